// npm run hil with the simulated node of npm start standing in for the board, on 127.0.0.1.
import { runScript } from './helpers/run-script';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
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

  it('a failed --flash is one line and exit 2, never a stack trace; a config for another board is pointed out', async () => {
    const closed = net.createServer();
    await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((res) => closed.close(res));
    const config = join(mkdtempSync(join(tmpdir(), 'hil-')), 'node.json');
    writeFileSync(config, JSON.stringify({ board: 'esp8266', wifi: { ssid: 'lab', password: 'not-a-real-secret' }, node: { id: 'n' }, sensors: [], actuators: [{ type: 'relay', name: 'pump', pin: 'D12' }] }));
    const { code, out } = await hil(['--board', 'esp32', '--port', `tcp://127.0.0.1:${port}`, '--flash', '--no-build', '--config', config, '--broker-host', '127.0.0.1', '--broker-port', '0']);
    expect(code, out).toBe(2);
    expect(out).toMatch(/note: .*node\.json names the board "esp8266"; running it as --board esp32/);
    expect(out).toMatch(/nothing was confirmed written to tcp:\/\/127\.0\.0\.1:\d+: the connection was refused/);
    expect(out).toMatch(/npm run hil: flashing failed \(npm run flash exited 1\): no node to test/);
    expect(out).not.toMatch(/^\s+at /m);
  }, 60000);

  it('says it runs 3.1.1 only when the configuration says MQTT 5.0, instead of testing another firmware', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'hil-')), 'node.json');
    const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
    raw.mqtt.version = 5;
    writeFileSync(config, JSON.stringify(raw));
    const { code, out } = await hil(['--simulate', '--board', 'esp32', '--config', config]);
    expect(code, out).not.toBe(0);
    expect(out).toMatch(/says "mqtt": \{"version": 5\}: npm run hil runs its node against Aedes, which speaks MQTT 3\.1\.1 only/);
  });

  it('exits non-zero and says why when the node never comes online', async () => {
    const { code, out } = await hil(['--board', 'esp32']);
    expect(code).toBe(2);
    expect(out).toMatch(/--port is missing/);
  });
});
