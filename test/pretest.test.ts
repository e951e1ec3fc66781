// npm's pretest step (scripts/pretest.mjs): npm test brings up Mosquitto and RabbitMQ itself, or stops at once saying how.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from './helpers/run-script';

describe('npm test set-up (pretest)', () => {
  // a directory with stand-ins for the named programs
  const dirWith = (...names: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'pretest-'));
    for (const n of names) {
      writeFileSync(join(dir, n), '#!/bin/sh\n');
      chmodSync(join(dir, n), 0o755);
    }
    return dir;
  };

  it('is silent when Mosquitto and RabbitMQ are installed', async () => {
    const r = await runScript('pretest.mjs', [], { MOSQUITTO_DIRS: dirWith('mosquitto'), RABBITMQ_SBIN: dirWith('rabbitmq-server', 'rabbitmqctl'), PRETEST_ROOT: '0' });
    expect(r.code, r.out).toBe(0);
    expect(r.out.trim()).toBe('');
  });

  it('stops at once with the one command to run when one is missing and this user may not install packages', async () => {
    const r = await runScript('pretest.mjs', [], { MOSQUITTO_DIRS: dirWith(), RABBITMQ_SBIN: dirWith('rabbitmq-server', 'rabbitmqctl'), PRETEST_ROOT: '0' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Mosquitto is not installed; the interoperability tests run against it/);
    expect(r.out).not.toMatch(/RabbitMQ/);
    expect(r.out).toMatch(/sudo apt-get install --no-install-recommends mosquitto\n/);
    const rabbit = await runScript('pretest.mjs', [], { MOSQUITTO_DIRS: dirWith('mosquitto'), RABBITMQ_SBIN: dirWith('rabbitmq-server'), PRETEST_ROOT: '0' });
    expect(rabbit.code).toBe(1);
    expect(rabbit.out).toMatch(/RabbitMQ is not installed; the fleet failover test runs a cluster of it/);
    expect(rabbit.out).toMatch(/sudo apt-get install --no-install-recommends rabbitmq-server\n/);
  });

  it('names both, and one command for both, when both are missing', async () => {
    const r = await runScript('pretest.mjs', [], { MOSQUITTO_DIRS: dirWith(), RABBITMQ_SBIN: dirWith(), PRETEST_ROOT: '0' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Mosquitto is not installed/);
    expect(r.out).toMatch(/RabbitMQ is not installed/);
    expect(r.out).toMatch(/sudo apt-get install --no-install-recommends mosquitto rabbitmq-server\n/);
  });
});
