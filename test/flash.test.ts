// npm run flash against a fake board: a loopback TCP device that answers the Espruino REPL prompt and runs
// what it is sent in the Espruino sandbox, so the test sees exactly what would reach a board's Storage, then
// reboots it into the uploaded firmware against a real broker.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createSandbox } from '../scripts/sandbox.mjs';
import { startBroker } from './helpers/broker';
import { until } from './helpers/host-client';
import { runScript } from './helpers/run-script';

type Sandbox = ReturnType<typeof createSandbox>;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

// The REPL of a board: Ctrl-C and every line get a prompt; a line runs in the sandbox; load() is a reboot.
// `fault` makes it a faulty board: 'deaf' answers every line with a prompt and runs none; a function
// changes Storage just before the read-back runs (a board that lost what it was sent).
async function fakeBoard(board: 'ESP32' | 'ESP8266', fault?: 'deaf' | ((storage: Record<string, string>) => void)) {
  const box: Sandbox = createSandbox({ board });
  const state = { lines: 0, loads: 0, errors: [] as string[], box };
  box.context.load = () => state.loads++;
  box.context.reset = () => {};
  const server = net.createServer((sock) => {
    let pending = '';
    box.context.print = (...a: unknown[]) => sock.write(a.join(' ') + '\r\n');
    sock.on('data', (d) => {
      pending += d.toString('latin1');
      if (pending.includes('\x03')) {
        pending = pending.replace(/\x03/g, '');
        sock.write('\r\n>');
      }
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        // \x10 turns echo off for a line; ESC [ n d tells the REPL the line number (the CLI sends both)
        const line = pending.slice(0, nl).replace(/^\x10/, '').replace(/^\x1b\[\d*d/, '').replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (line.trim() && fault === 'deaf') state.lines++;
        else if (line.trim()) {
          state.lines++;
          if (typeof fault === 'function' && line.includes('@"+"@flashed')) fault(box.storage);
          try {
            box.run(line);
          } catch (e) {
            state.errors.push(String(e));
            sock.write(`Uncaught ${e}\r\n`);
          }
        }
        sock.write('\r\n>');
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)), () => box.close());
  return { ...state, state, port: (server.address() as net.AddressInfo).port };
}

const flash = (args: string[]) => runScript('flash.mjs', ['--no-build', ...args]);

// A node for the ESP8266 with a DHT22, and our own stand-in for the DHT22 module (Espruino's is not ours to
// commit); the broker is a real one on loopback.
function workspace(brokerPort: number) {
  const dir = mkdtempSync(join(tmpdir(), 'flash-'));
  const config = {
    board: 'esp8266',
    wifi: { ssid: 'lab', password: 'not-a-real-secret' },
    mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, username: 'node', password: 'broker-secret' },
    node: { id: 'flashed', name: 'Flashed node, Küche' },
    sensors: [{ type: 'dht22', name: 'climate', pin: 'D14', period: 2 }],
    actuators: [{ type: 'relay', name: 'pump', pin: 'D12' }],
  };
  writeFileSync(join(dir, 'node.json'), JSON.stringify(config));
  writeFileSync(join(dir, 'DHT22.js'), 'exports.connect = function (pin) {\n  return { read: function (cb) { cb({ temp: 19.5, rh: 55 }); } };\n};\n');
  return { dir, config: join(dir, 'node.json') };
}

describe('npm run flash', () => {
  it('writes boot code, node.json and the needed module to the board, reboots it, and the node comes online', async () => {
    const broker = await startBroker({ authenticate: (_c, u, p, done) => done(null, u === 'node' && String(p) === 'broker-secret') });
    cleanup.push(() => broker.close());
    const dev = await fakeBoard('ESP8266');
    const ws = workspace(broker.port);
    const { code, out } = await flash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${dev.port}`, '--config', ws.config, '--modules', ws.dir, '--baud', '115200']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/\[5\/5\] uploading to tcp:\/\/127\.0\.0\.1:\d+ at 115200 baud/);
    expect(out).toMatch(/\d+ B as base64 REPL input, about \d+ s at 115200 baud/);
    expect(out).toMatch(/wrote .*\.bootcde \(\d+ B\).* to ESP8266 on tcp:\/\/127\.0\.0\.1:\d+, read back from the board \(length and CRC-32 of each\) and confirmed; it rebooted/);
    expect(out).not.toMatch(/broker-secret|not-a-real-secret/); // secrets never in the output
    const storage = dev.box.storage;
    expect(dev.state.errors).toEqual([]);
    expect(storage['.bootcde']).toBe(readFileSync('dist/esp8266.js', 'latin1')); // byte for byte, "°" included
    expect(JSON.parse(storage['node.json'])).toMatchObject({ id: 'flashed', sensors: [{ type: 'dht22', pin: 14 }], actuators: [{ type: 'relay', pin: 12 }] });
    expect(storage['node.json']).toContain('K\u00c3\u00bcche'); // text as UTF-8 bytes, as the board's strings hold it
    expect(storage.DHT22).toMatch(/exports\.connect/);
    expect(Object.keys(storage).sort()).toEqual(['.bootcde', 'DHT22', 'node.json']); // no module the node does not use
    expect(dev.state.loads).toBe(1);

    // the reboot: a board that finds this Storage runs the node
    const board = createSandbox({ board: 'ESP8266', storage: { ...storage } });
    cleanup.push(() => board.close());
    const seen: string[] = [];
    const watch = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, username: 'node', password: 'broker-secret' });
    cleanup.push(() => watch.endAsync(true));
    watch.on('message', (t, p) => seen.push(`${t} ${p}`));
    await watch.subscribeAsync('espruino/flashed/#');
    board.run(storage['.bootcde']);
    await until(() => seen.includes('espruino/flashed/status online') && seen.includes('espruino/flashed/climate {"temperature":19.5,"humidity":55}'), 10000, 'the flashed node');
  }, 60000);

  it('flashes the WebSocket firmware for a ws:// broker, and the node comes online through it', async () => {
    const broker = await startBroker({}, undefined, { path: '/mqtt' });
    cleanup.push(() => broker.close());
    const dev = await fakeBoard('ESP32');
    const ws = workspace(broker.port);
    const config = JSON.parse(readFileSync(ws.config, 'utf8'));
    config.mqtt = { url: `ws://127.0.0.1:${broker.port}/mqtt` };
    // on an ESP8266 the WebSocket firmware fits with a sensor or two; its Sparkplug node does not, and is refused
    writeFileSync(ws.config, JSON.stringify(config));
    const small = await flash(['--board', 'esp8266', '--dry-run', '--config', ws.config, '--modules', ws.dir]);
    expect(small.code, small.out).toBe(0);
    expect(small.out).toMatch(/firmware dist\/esp8266-ws\.js\n/);
    writeFileSync(ws.config, JSON.stringify({ ...config, node: { id: 'flashed', format: 'sparkplug' }, sparkplug: { group: 'G' } }));
    const sparkplug = await flash(['--board', 'esp8266', '--dry-run', '--config', ws.config, '--modules', ws.dir]);
    expect(sparkplug.code, sparkplug.out).toBe(1);
    expect(sparkplug.out).toMatch(/the Sparkplug node over WebSocket does not fit an ESP8266: .* use an mqtt:\/\/ broker, or an ESP32/);
    config.board = 'esp32';
    writeFileSync(ws.config, JSON.stringify(config));
    const { code, out } = await flash(['--board', 'esp32', '--port', `tcp://127.0.0.1:${dev.port}`, '--config', ws.config, '--modules', ws.dir]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/firmware dist\/esp32-ws\.js\n/);
    expect(out).toMatch(/broker ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
    expect(dev.box.storage['.bootcde']).toBe(readFileSync('dist/esp32-ws.js', 'latin1'));
    const board = createSandbox({ board: 'ESP32', storage: { ...dev.box.storage } });
    cleanup.push(() => board.close());
    const seen: string[] = [];
    const watch = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocol: 'ws', path: '/mqtt' });
    cleanup.push(() => watch.endAsync(true));
    watch.on('message', (t, p) => seen.push(`${t} ${p}`));
    await watch.subscribeAsync('espruino/flashed/#');
    board.run(dev.box.storage['.bootcde']);
    await until(() => seen.includes('espruino/flashed/status online') && seen.includes('espruino/flashed/climate {"temperature":19.5,"humidity":55}'), 10000, 'the flashed node, over WebSocket');
  }, 60000);

  it('never claims an upload it did not see confirmed: a refused port, a board that runs nothing, a file that came back different', async () => {
    const ws = workspace(1883);
    const args = ['--board', 'esp8266', '--config', ws.config, '--modules', ws.dir];
    // nothing listens on the port: the CLI says ECONNREFUSED and exits 0
    const closed = net.createServer();
    await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((res) => closed.close(res));
    let r = await flash([...args, '--port', `tcp://127.0.0.1:${closedPort}`]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/nothing was confirmed written to tcp:\/\/127\.0\.0\.1:\d+: the connection was refused/);
    expect(r.out).not.toMatch(/\nwrote |rebooted into/);
    // a device that prompts for every line and runs none of them: the upload "completes", nothing is confirmed
    const deaf = await fakeBoard('ESP8266', 'deaf');
    r = await flash([...args, '--port', `tcp://127.0.0.1:${deaf.port}`]);
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/nothing was confirmed written .*: the board never answered the read-back/);
    expect(deaf.state.lines).toBeGreaterThan(0);
    expect(r.out).not.toMatch(/\nwrote |rebooted into/);
    // a board that kept a shorter node.json and a changed .bootcde: named, and not rebooted into
    const lossy = await fakeBoard('ESP8266', (storage) => {
      storage['node.json'] = storage['node.json'].slice(0, -5);
      storage['.bootcde'] = 'X' + storage['.bootcde'].slice(1);
    });
    r = await flash([...args, '--port', `tcp://127.0.0.1:${lossy.port}`]);
    expect(r.code, r.out).toBe(1);
    const size = Buffer.byteLength(lossy.box.storage['node.json'], 'latin1');
    expect(r.out).toContain(`node.json: sent ${size + 5} B, the board has ${size} B`);
    expect(r.out).toMatch(/\.bootcde: sent \d+ B, the board has \d+ B with a different CRC-32/);
    expect(r.out).not.toMatch(/DHT22: sent/); // what came back right is not blamed
    expect(lossy.state.loads).toBe(0);
  }, 90000);

  it('names the missing modules instead of uploading a node that cannot read its sensors', async () => {
    const dev = await fakeBoard('ESP32');
    const ws = workspace(1883);
    const { code, out } = await flash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${dev.port}`, '--config', ws.config, '--modules', join(ws.dir, 'none')]);
    expect(code).toBe(1);
    expect(out).toMatch(/missing Espruino module DHT22, needed by the configured sensors/);
    expect(out).toMatch(/https:\/\/www\.espruino\.com\/modules\/DHT22\.min\.js/);
    expect(dev.state.lines).toBe(0); // nothing reached the board
  }, 60000);

  it('says so when the port is missing or the board does not answer, without hanging', async () => {
    const ws = workspace(1883);
    let r = await flash(['--board', 'esp32', '--config', ws.config]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/--port is missing/);
    r = await flash(['--board', 'esp32', '--port', '/dev/ttyNOPE0', '--config', ws.config]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no such port: \/dev\/ttyNOPE0/);
    // a TCP device that accepts and never answers
    const conns: net.Socket[] = [];
    const silent = net.createServer((s) => conns.push(s.on('error', () => {})));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    cleanup.push(() => new Promise((res) => (conns.forEach((c) => c.destroy()), silent.close(res))));
    const started = Date.now();
    r = await flash(['--board', 'esp8266', '--port', `tcp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`, '--config', ws.config, '--modules', ws.dir, '--timeout', '8']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/does not answer|did not finish/);
    expect(Date.now() - started).toBeLessThan(25000);
  }, 60000);

  it('--dry-run needs no port and no board: it writes what would be sent, read-back included; --no-build builds nothing', async () => {
    const ws = workspace(1883);
    const r = await flash(['--board', 'esp8266', '--dry-run', '--config', ws.config, '--modules', ws.dir]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/using the firmware built before \(--no-build\)/);
    expect(r.out).toMatch(/firmware dist\/esp8266\.js\n/);
    expect(r.out).not.toMatch(/building/);
    expect(r.out).toMatch(/dry run: writing what would be sent to dist\/flash\/esp8266\/upload\.js/);
    const upload = readFileSync('dist/flash/esp8266/upload.js', 'latin1');
    expect(upload).toMatch(/require\("Storage"\)/);
    expect(upload).toMatch(/E\.CRC32\(d\)/);
    expect(upload).toMatch(/if\(ok\)load\(\)/); // the reboot only after the read-back matched
    const other = await flash(['--board', 'esp32', '--dry-run', '--config', ws.config, '--modules', ws.dir]);
    expect(other.code, other.out).toBe(1); // a node.json for another board is refused, by name
    expect(other.out).toMatch(/board: the file says esp8266, the build asks for esp32/);
  }, 60000);

  it('refuses a configuration the board cannot hold', async () => {
    const ws = workspace(1883);
    const cfg = JSON.parse(readFileSync(ws.config, 'utf8'));
    // a DHT22, a BME280, a DS18B20, an analog input, three digital inputs and a relay fit (the third since issue 13's
    // twenty-second session let go of the reader's packet and the socket's options, the second since the twentieth
    // merged the firmware's message path; the seventeenth's let go of the client's buffers); a fourth does not
    cfg.sensors.push(
      { type: 'bme280', name: 'air', period: 10 },
      { type: 'ds18b20', name: 'water', pin: 'D13', period: 10 },
      { type: 'digital', name: 'door', pin: 'D0' },
      { type: 'analog', name: 'battery', pin: 'A0', period: 10 },
      { type: 'digital', name: 'window', pin: 'D15' },
      { type: 'digital', name: 'gate', pin: 'D3' },
      { type: 'digital', name: 'hatch', pin: 'D1' },
    );
    writeFileSync(ws.config, JSON.stringify(cfg));
    const r = await flash(['--board', 'esp8266', '--dry-run', '--config', ws.config, '--modules', ws.dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/this node needs about \d+ of the 1600 blocks of RAM an ESP8266 has/);
  }, 60000);
});
