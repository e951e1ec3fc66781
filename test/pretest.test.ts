// npm's pretest step (scripts/pretest.mjs): npm test brings up Mosquitto itself, or stops at once saying how.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from './helpers/run-script';

describe('npm test set-up (pretest)', () => {
  it('is silent when Mosquitto is installed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pretest-'));
    writeFileSync(join(dir, 'mosquitto'), '#!/bin/sh\n');
    chmodSync(join(dir, 'mosquitto'), 0o755);
    const r = await runScript('pretest.mjs', [], { MOSQUITTO_DIRS: dir, PRETEST_ROOT: '0' });
    expect(r.code, r.out).toBe(0);
    expect(r.out.trim()).toBe('');
  });

  it('stops at once with the one command to run when it is missing and this user may not install packages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pretest-'));
    const r = await runScript('pretest.mjs', [], { MOSQUITTO_DIRS: dir, PRETEST_ROOT: '0' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Mosquitto is not installed; the interoperability tests run against it/);
    expect(r.out).toMatch(/sudo apt-get install mosquitto/);
  });
});
