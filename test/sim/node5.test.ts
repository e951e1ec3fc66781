// The MQTT 5.0 firmware (node.json "mqtt": {"version": 5}: dist/esp32-mqtt5.js, dist/esp32-sparkplug-mqtt5.js)
// in the Espruino sandbox, against Mosquitto 2.0 (Aedes speaks 3.1.1 only), through a loopback proxy that
// keeps what the node wrote: its CONNECT and DISCONNECT are read off the wire. Sparkplug statement ids are
// Sparkplug 3.0's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { startProxy, type TestProxy } from '../helpers/broker';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto';
import { until } from '../helpers/host-client';
import { createSandbox } from '../../scripts/sandbox.mjs';
import { checkConfig, firmwareFile } from '../../scripts/node-config.mjs';
import { packetsOf } from '../../scripts/wire.mjs';

const packets = (bytes: Buffer) => packetsOf(bytes) as [number, Buffer][];

const sp = createRequire(import.meta.url)('sparkplug-payload').get('spBv1.0');
let broker: TestMosquitto;
let proxy: TestProxy;
const cleanup: (() => unknown)[] = [];

beforeEach(async () => {
  broker = await startMosquitto();
  proxy = await startProxy(() => broker.port);
});

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  await proxy.close();
  await broker.close();
});

// The committed example on the ESP32, in MQTT 5.0, through the proxy; `sparkplug`: as a Sparkplug B node in
// group Plant1. Periods shortened after the check.
function boot(sparkplug = false) {
  const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
  raw.board = 'esp32';
  raw.mqtt = { url: `mqtt://127.0.0.1:${proxy.port}`, keepalive: 5, version: 5 };
  if (sparkplug) {
    raw.node = { id: 'kitchen', format: 'sparkplug' };
    delete raw.discovery;
    raw.sparkplug = { group: 'Plant1' };
  }
  const { config, errors } = checkConfig(raw);
  expect(errors).toEqual([]);
  for (const s of config.sensors) if (s.period) s.period = 0.3;
  const file = firmwareFile(config, 'esp32');
  expect(file).toBe(sparkplug ? 'dist/esp32-sparkplug-mqtt5.js' : 'dist/esp32-mqtt5.js');
  const box = createSandbox({ board: 'ESP32', storage: { 'node.json': JSON.stringify(config) } });
  cleanup.push(() => box.close());
  box.sensors[4] = { temp: 21.46, rh: 40.04 };
  box.sensors[5] = 18.0625;
  box.sensors[21] = { temp: 20.5, pressure: 1013.27, humidity: 45.5 };
  box.pins.analog[35] = 0.95;
  box.load(file);
  return box;
}

async function watcher(filter: string, decode = false) {
  const seen: { topic: string; payload: Buffer; retain: boolean; metrics?: { name: string; value: unknown }[] }[] = [];
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, reconnectPeriod: 100 });
  cleanup.push(() => c.endAsync(true));
  c.on('message', (topic, payload, packet) => seen.push({ topic, payload, retain: packet.retain, metrics: decode ? sp.decodePayload(payload).metrics : undefined }));
  await c.subscribeAsync(filter, { qos: 1 });
  return { c, seen, last: (t: string) => [...seen].reverse().find((m) => m.topic === t) };
}

// A CONNECT's protocol level, Clean Start flag and properties' bytes (5.0 3.1.2).
function connectOf(bytes: Buffer) {
  const [type, body] = packets(bytes)[0];
  expect(type).toBe(0x10);
  return { level: body[6], cleanStart: (body[7] & 2) === 2, properties: body.subarray(11, 11 + body[10]) };
}

describe('the MQTT 5.0 sensor-node firmware in the Espruino sandbox, against Mosquitto 2.0', () => {
  it('connects in 5.0, announces itself, publishes readings, obeys a command, and its will says offline', async () => {
    const w = await watcher('#');
    const box = boot();
    await until(() => w.last('espruino/kitchen/status')?.payload.toString() === 'online', 5000, 'online');
    expect(connectOf(proxy.sent[0]).level).toBe(5);
    await until(() => w.seen.filter((m) => m.topic.startsWith('homeassistant/') && m.topic.endsWith('/config')).length === 10, 5000, 'discovery');
    await until(() => /^\{"temperature":21\.5,"humidity":40\}$/.test(w.last('espruino/kitchen/climate')?.payload.toString() || ''), 5000, 'a reading');
    await w.c.publishAsync('espruino/kitchen/pump/set', 'ON', { qos: 1 });
    await until(() => w.last('espruino/kitchen/pump')?.payload.toString() === 'ON', 5000, 'the command obeyed');
    box.close(); // power gone: the broker publishes the will
    await until(() => w.last('espruino/kitchen/status')?.payload.toString() === 'offline', 5000, 'the will');
    expect(w.last('espruino/kitchen/status')!.retain).toBe(false); // (delivered live; kept retained below)
    const late = await watcher('espruino/kitchen/status');
    await until(() => late.seen.length > 0);
    expect(late.seen[0]).toMatchObject({ retain: true });
    expect(late.seen[0].payload.toString()).toBe('offline');
  });

  it('Sparkplug B: Clean Start and no Session Expiry; an orderly end is its NDEATH, then a DISCONNECT 0x04 (the will too)', async () => {
    const h = await watcher('spBv1.0/Plant1/+/kitchen', true);
    const box = boot(true);
    await until(() => h.seen.some((m) => m.topic.endsWith('/NBIRTH/kitchen')), 5000, 'NBIRTH');
    const connect = connectOf(proxy.sent[0]);
    // [tck-id-principles-persistence-clean-session-50]: Clean Start 1, Session Expiry Interval 0 (absent)
    expect(connect).toMatchObject({ level: 5, cleanStart: true });
    expect([...connect.properties]).toEqual([0x21, 0, 16]); // Receive Maximum 16 (qos2Ids) alone: no 0x11
    box.kill(); // an orderly shutdown (a reset)
    await until(() => h.seen.some((m) => m.topic.endsWith('/NDEATH/kitchen')), 5000, 'NDEATH');
    await until(() => packets(proxy.sent[0]).some(([t]) => t === 0xe0), 5000, 'DISCONNECT');
    const wire = packets(proxy.sent[0]);
    // [tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50]: Disconnect with Will Message
    expect(wire.filter(([t]) => t === 0xe0).map(([, body]) => [...body])).toEqual([[0x04, 0]]);
    // [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]: its own NDEATH went first
    const ndeath = wire.findIndex(([t, body]) => (t & 0xf0) === 0x30 && body.subarray(2, 2 + body.readUInt16BE(0)).toString() === 'spBv1.0/Plant1/NDEATH/kitchen');
    expect(ndeath).toBeGreaterThan(0);
    expect(ndeath).toBeLessThan(wire.findIndex(([t]) => t === 0xe0));
    // and the server published the will: both with the bdSeq of the session
    await until(() => h.seen.filter((m) => m.topic.endsWith('/NDEATH/kitchen')).length === 2, 5000, 'the will as well');
    await new Promise((r) => setTimeout(r, 300));
    const deaths = h.seen.filter((m) => m.topic.endsWith('/NDEATH/kitchen'));
    expect(deaths.map((d) => d.metrics!.map((m) => [m.name, Number(m.value)]))).toEqual([[['bdSeq', 0]], [['bdSeq', 0]]]);
  });
});
