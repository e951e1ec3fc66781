// npm run hil with the simulated node of npm start standing in for the board, on 127.0.0.1.
import { runScript } from './helpers/run-script';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const hil = (args: string[]) => runScript('hil.mjs', args);

describe('npm run hil', () => {
  it('runs every scenario against a simulated ESP8266 node and writes the report', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'hil-')), 'report.json');
    const { code, out } = await hil(['--simulate', '--board', 'esp8266', '--config', 'test/node/esp8266.json', '--report', report]);
    expect(code, out).toBe(0);
    for (const name of ['readings arrive on schedule', 'a command round trip echoes the new state', 'QoS 1 readings survive a broker restart (no gaps)', 'reconnects after the broker is down longer than its keep-alive (2 s)', 'malformed commands change nothing', 'a retained offline appears when the node loses power or network'])
      expect(out).toMatch(new RegExp(`pass  ${name.replace(/[()]/g, '\\$&')}`));
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r).toMatchObject({ board: 'esp8266', simulated: true, passed: 6, failed: 0, skipped: 0 });
    // no gap the node did not report: a full outbox may give readings up (each one reported), never lose one
    const detail: string = r.scenarios.find((s: { name: string }) => s.name.startsWith('QoS 1')).detail;
    const gap = /missing ([\d,]+) \((\d+) given up/.exec(detail);
    if (gap) expect(gap[1].split(',').length, detail).toBe(Number(gap[2]));
    else expect(detail).toMatch(/missing none/);
  }, 180000);

  it('exits non-zero and says why when the node never comes online', async () => {
    const { code, out } = await hil(['--board', 'esp32']);
    expect(code).toBe(2);
    expect(out).toMatch(/--port is missing/);
  });
});
