// The Sparkplug B edge node (dist/esp32-sparkplug.js, dist/esp8266-sparkplug.js) in the Espruino sandbox,
// against Aedes, watched and commanded as a Sparkplug host would: every payload is decoded, and every command
// made, with Eclipse Tahu's own JavaScript codec (sparkplug-payload). Statement ids are Sparkplug 3.0's.
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { startBroker, type TestBroker } from '../helpers/broker';
import { perTest } from '../helpers/sim';
import { sleep, until } from '../helpers/host-client';
import { createSandbox } from '../../scripts/sandbox.mjs';
import { checkConfig } from '../../scripts/node-config.mjs';

const sp = createRequire(import.meta.url)('sparkplug-payload').get('spBv1.0');
type Sandbox = ReturnType<typeof createSandbox>;
interface Metric {
  name?: string;
  alias?: number;
  type: string;
  value: unknown;
  timestamp?: number;
}
interface Seen {
  topic: string;
  type: string; // NBIRTH, NDATA, ...
  qos: number;
  retain: boolean;
  size: number; // of the payload
  timestamp?: number;
  seq?: number;
  metrics: Metric[];
}

const fx = perTest();

// 64-bit fields come as Long objects: numbers here (every one we send is below 2^53).
function plain(x: unknown): unknown {
  if (x && typeof x === 'object' && 'low' in x && 'high' in x) return Number(BigInt.asUintN(64, (BigInt((x as { high: number }).high >>> 0) << 32n) | BigInt((x as { low: number }).low >>> 0)));
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === 'object' && !(x instanceof Uint8Array)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

// The committed example as a Sparkplug node in group Plant1, on 127.0.0.1 (periods shortened after the check).
function nodeConfig(board = 'esp32', change: (raw: any) => void = () => {}) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
  raw.board = board;
  raw.mqtt = { url: `mqtt://127.0.0.1:${fx.broker.port}`, keepalive: 5 };
  raw.node = { id: 'kitchen', format: 'sparkplug' };
  delete raw.discovery;
  raw.sparkplug = { group: 'Plant1' };
  if (board === 'esp8266') {
    // what the build's estimate leaves room for beside the Sparkplug node (boards/esp8266.json budget.sparkplug)
    raw.sensors = [];
    raw.actuators = [{ type: 'relay', name: 'pump', pin: 15 }];
  }
  change(raw);
  const { config, errors } = checkConfig(raw);
  expect(errors).toEqual([]);
  for (const s of config.sensors) if (s.period) s.period = 0.3;
  return config;
}

const PINS = { dht: 4, ds: 5, sda: 21, adc: 35, motion: 14, pump: 26, lamp: 27 };

function bootNode(config: object, board = 'esp32', clock?: string): Sandbox {
  const box = createSandbox({ board: board === 'esp8266' ? 'ESP8266' : 'ESP32', clock, storage: { 'node.json': JSON.stringify(config) } });
  fx.boxes.push(box);
  box.sensors[PINS.dht] = { temp: 21.46, rh: 40.04 };
  box.sensors[PINS.ds] = 18.0625;
  box.sensors[PINS.sda] = { temp: 20.5, pressure: 1013.27, humidity: 45.5 };
  box.pins.analog[PINS.adc] = 0.95;
  box.load(`dist/${board}-sparkplug.js`);
  return box;
}

// A host's view: every spBv1.0 message, decoded by Tahu's codec.
async function host(filter = 'spBv1.0/#', on: TestBroker = fx.broker) {
  const seen: Seen[] = [];
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: on.port, protocolVersion: 4, reconnectPeriod: 100 });
  fx.peers.push(c);
  c.on('message', (topic, payload, packet) => {
    const type = topic.split('/')[2];
    let d = { metrics: [] } as Omit<Seen, 'topic' | 'type'>;
    // (the node's payloads always decode: a test fails on an undecodable one; the STATE is JSON and an NCMD
    // may be the test's own garbage)
    if (type !== 'STATE' && !topic.startsWith('spBv1.0/STATE/')) {
      try {
        d = plain(sp.decodePayload(payload)) as typeof d;
      } catch (e) {
        if (type !== 'NCMD') throw e;
      }
    }
    seen.push({ ...d, topic, type, qos: packet.qos, retain: packet.retain, size: payload.length });
  });
  await c.subscribeAsync(filter, { qos: 1 });
  const of = (type: string) => seen.filter((m) => m.type === type);
  // NCMD made by Tahu's codec: what a host writes
  const command = (metrics: object[]) => c.publishAsync('spBv1.0/Plant1/NCMD/kitchen', Buffer.from(sp.encodePayload({ timestamp: Date.now(), metrics })));
  return { c, seen, of, command };
}

const byName = (m: Seen) => Object.fromEntries(m.metrics.map((x) => [x.name, x.value]));

describe('the Sparkplug B edge node in the Espruino sandbox, against Aedes', () => {
  it('is born with every metric, then publishes only what changes, in sequence', async () => {
    const h = await host();
    const box = bootNode(nodeConfig());
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    const birth = h.of('NBIRTH')[0];
    expect(birth).toMatchObject({ topic: 'spBv1.0/Plant1/NBIRTH/kitchen', qos: 0, retain: false, seq: 0 }); // [tck-id-topics-nbirth-mqtt] [tck-id-topics-nbirth-seq-num]
    expect(birth.timestamp).toBeGreaterThan(Date.now() - 60000);
    // name, alias (none for bdSeq and Rebirth), datatype of every metric, each with a timestamp
    expect(birth.metrics.map((m) => [m.name, m.alias, m.type])).toEqual([
      ['bdSeq', undefined, 'Int64'],
      ['Node Control/Rebirth', undefined, 'Boolean'],
      ['climate/temperature', 1, 'Double'],
      ['climate/humidity', 2, 'Double'],
      ['water/temperature', 3, 'Double'],
      ['air/temperature', 4, 'Double'],
      ['air/humidity', 5, 'Double'],
      ['air/pressure', 6, 'Double'],
      ['battery/voltage', 7, 'Double'],
      ['motion/state', 8, 'Boolean'],
      ['pump/state', 9, 'Boolean'],
      ['lamp/state', 10, 'Boolean'],
      ['lamp/brightness', 11, 'Int32'],
      ['Node Info/Error', 12, 'String'],
    ]);
    expect(birth.metrics.every((m) => typeof m.timestamp === 'number')).toBe(true); // [tck-id-payloads-name-birth-data-requirement]
    expect(byName(birth)).toMatchObject({ bdSeq: 0, 'Node Control/Rebirth': false, 'pump/state': false, 'lamp/state': false, 'lamp/brightness': 100, 'Node Info/Error': '' });
    // a sensor that has not answered yet is null, not a made-up value
    const known = byName(birth);
    expect([null, 21.5]).toContain(known['climate/temperature']);
    expect([null, 18.1]).toContain(known['water/temperature']);

    // readings every 0.3 s: once each is known, a change is the only news, by alias alone
    await until(() => h.of('NDATA').length >= 2, 5000, 'first NDATA');
    await sleep(1000);
    const quiet = h.of('NDATA').length;
    await sleep(700);
    expect(h.of('NDATA').length).toBe(quiet); // nothing changed, nothing sent
    box.sensors[PINS.dht] = { temp: 22.04, rh: 40.04 };
    await until(() => h.of('NDATA').length > quiet, 3000, 'NDATA for the change');
    const change = h.of('NDATA')[quiet];
    expect(change.metrics).toEqual([{ alias: 1, type: 'Double', value: 22, timestamp: expect.any(Number) }]); // no name [tck-id-payloads-alias-data-cmd-requirement]
    expect(change).toMatchObject({ qos: 0, retain: false });
    // seq: 1, 2, ... after the NBIRTH's 0 [tck-id-payloads-sequence-num-incrementing]
    expect(h.of('NDATA').map((m) => m.seq)).toEqual(h.of('NDATA').map((_m, i) => i + 1));
  });

  it('counts NDATA seq from 1 after each NBIRTH to 255, then 0 [tck-id-payloads-sequence-num-incrementing]', async () => {
    const h = await host();
    const box = bootNode(nodeConfig('esp32', (raw) => (raw.sensors = [{ type: 'digital', name: 'door', pin: 14, debounce: 0 }])));
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    // each change of the input is an NDATA of its own
    for (let i = 1; i <= 260; i++) {
      box.setPin(14, i % 2);
      await until(() => h.of('NDATA').length === i, 3000, `NDATA ${i}`);
    }
    const seqs = h.of('NDATA').map((m) => m.seq);
    expect(seqs.slice(250)).toEqual([251, 252, 253, 254, 255, 0, 1, 2, 3, 4]);
    expect(h.of('NDATA').map((m) => m.metrics[0].value)).toEqual(seqs.map((_s, i) => (i + 1) % 2 === 1));
  });

  it('asks SNTP for the time, and is not born with a clock still at 1970 [tck-id-payloads-timestamp-in-UTC]', async () => {
    const h = await host();
    const box = bootNode(nodeConfig('esp32', (raw) => (raw.sparkplug.ntp = 'ntp.plant.lan')), 'esp32', 'boot');
    await until(() => !!box.wifi.sntp, 3000, 'SNTP asked');
    expect(box.wifi.sntp).toEqual({ server: 'ntp.plant.lan', tz: 'UTC0' }); // the ESP32's zone is a TZ string (the ESP8266's hours: its test below)
    await sleep(1500);
    expect(h.of('NBIRTH')).toEqual([]);
    box.setClock(Date.now()); // SNTP answers
    await until(() => h.of('NBIRTH').length === 1, 3000, 'NBIRTH once the clock is set');
    const birth = h.of('NBIRTH')[0];
    expect(Math.abs(birth.timestamp! - Date.now())).toBeLessThan(5000);
    expect(birth.metrics.every((m) => m.timestamp! > 1.5e12)).toBe(true);
  });

  it('acts on a command by alias or by name, and reports the new state', async () => {
    const h = await host();
    const box = bootNode(nodeConfig());
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    const before = h.of('NDATA').length;
    await h.command([
      { alias: 9, type: 'Boolean', value: true }, // pump/state
      { name: 'lamp/brightness', type: 'Int32', value: 40 },
    ]);
    await until(() => box.pins.level[PINS.pump] === 1, 3000, 'the pump pin');
    expect(box.pins.pwm[PINS.lamp].duty).toBeCloseTo(0.4);
    await until(() => h.of('NDATA').slice(before).some((m) => m.metrics.some((x) => x.alias === 9)), 3000, 'the new state');
    const report = h.of('NDATA').slice(before).find((m) => m.metrics.some((x) => x.alias === 9))!;
    expect(report.metrics.map((x) => [x.alias, x.value])).toEqual([
      [9, true],
      [10, true],
      [11, 40],
    ]);
    // a host leaving out the datatype, as the specification advises [tck-id-payloads-metric-datatype-not-req]:
    // hand-made, since Tahu's codec always writes one (field 2: metric {alias 10, boolean_value false})
    await h.c.publishAsync('spBv1.0/Plant1/NCMD/kitchen', Buffer.from([0x12, 0x04, 0x10, 0x0a, 0x70, 0x00]));
    await until(() => box.pins.pwm[PINS.lamp].duty === 0, 3000, 'the lamp off');
  });

  it('changes nothing on an invalid command, and says why in Node Info/Error', async () => {
    const h = await host();
    const config = nodeConfig();
    const box = bootNode(config);
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    const errors = () => h.of('NDATA').flatMap((m) => m.metrics.filter((x) => x.alias === 12).map((x) => x.value));
    const bad: [object[] | Buffer, string][] = [
      [[{ alias: 1, type: 'Double', value: 3 }], 'NCMD: alias 1: read-only'],
      [[{ alias: 99, type: 'Boolean', value: true }], 'NCMD: alias 99: no such metric'],
      [[{ name: 'pump/state', type: 'String', value: 'ON' }], 'NCMD: pump/state: takes a Boolean'],
      [[{ name: 'lamp/brightness', type: 'Int32', value: 101 }], 'NCMD: lamp/brightness: takes 0-100'],
      // a valid write first, then a bad one: the valid one is not done either
      [[{ alias: 9, type: 'Boolean', value: true }, { alias: 11, type: 'Double', value: 50 }], 'NCMD: alias 11: takes 0-100'],
      [Buffer.from([0x12, 0x7f, 0x01]), 'NCMD: not a Sparkplug B payload'], // a metric running past the end
    ];
    for (const [metrics, why] of bad) {
      if (Buffer.isBuffer(metrics)) await h.c.publishAsync('spBv1.0/Plant1/NCMD/kitchen', metrics);
      else await h.command(metrics);
      await until(() => errors().includes(why), 3000, why);
    }
    expect(errors()).toEqual(bad.map((b) => b[1]));
    // the same refusal again is answered again
    await h.command(bad[0][0] as object[]);
    await until(() => errors().length === bad.length + 1, 3000, 'the same refusal again');
    expect(errors()[bad.length]).toBe(bad[0][1]);
    errors().pop();
    h.seen.splice(h.seen.findLastIndex((m) => m.type === 'NDATA'), 1);
    // the longest error there can be, then a rebirth: the largest NBIRTH fits the buffer node-config sized
    await h.command([{ name: 'x'.repeat(200), type: 'Boolean', value: true }]);
    await until(() => errors().length === bad.length + 1, 3000, 'the long error');
    expect(errors()[bad.length]).toBe(('NCMD: ' + 'x'.repeat(200)).slice(0, 64));
    await h.command([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    await until(() => h.of('NBIRTH').length === 2, 3000, 'the NBIRTH with it');
    expect(byName(h.of('NBIRTH')[1])['Node Info/Error']).toBe(errors()[bad.length]);
    expect(h.of('NBIRTH')[1].size).toBeLessThanOrEqual(config.sparkplug.bytes);
    expect(h.of('NBIRTH')[1].size).toBeGreaterThan(config.sparkplug.bytes - 40); // the bound is close
    expect(box.pins.level[PINS.pump] || 0).toBe(0);
    expect(box.pins.pwm[PINS.lamp]?.duty || 0).toBe(0);
    expect(h.of('NDATA').every((m) => !m.metrics.some((x) => x.alias === 9 || x.alias === 11))).toBe(true);
  });

  it('is born again on a rebirth request: the same bdSeq, seq from 0, the current state', async () => {
    const h = await host();
    const box = bootNode(nodeConfig());
    await until(() => h.of('NBIRTH').length === 1 && h.of('NDATA').length >= 2, 5000, 'NBIRTH and data');
    await h.command([{ alias: 9, type: 'Boolean', value: true }]);
    await until(() => box.pins.level[PINS.pump] === 1);
    await h.command([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    await until(() => h.of('NBIRTH').length === 2, 3000, 'the second NBIRTH');
    const again = h.of('NBIRTH')[1];
    expect(again.seq).toBe(0);
    expect(byName(again)).toMatchObject({ bdSeq: 0, 'pump/state': true, 'climate/temperature': 21.5, 'water/temperature': 18.1 });
    box.sensors[PINS.ds] = 19;
    await until(() => h.seen[h.seen.length - 1].type === 'NDATA', 3000, 'data after it');
    expect(h.seen[h.seen.length - 1].seq).toBe(1);
  });

  it('dies with the bdSeq of its birth (the will), and is born again with the next one', async () => {
    const h = await host();
    const box = bootNode(nodeConfig());
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    for (let round = 1; round <= 2; round++) {
      for (const s of box.sockets) s.real.destroy(); // abrupt: no DISCONNECT, the broker sends the will
      await until(() => h.of('NDEATH').length === round, 5000, 'NDEATH');
      const death = h.of('NDEATH')[round - 1];
      // the will: QoS 1, not retained, the bdSeq metric alone, no seq [tck-id-topics-ndeath-payload] [tck-id-topics-ndeath-seq]
      expect(death).toMatchObject({ topic: 'spBv1.0/Plant1/NDEATH/kitchen', qos: 1, retain: false });
      expect(death.seq).toBeUndefined();
      expect(death.metrics).toEqual([{ name: 'bdSeq', type: 'Int64', value: round - 1 }]);
      await until(() => h.of('NBIRTH').length === round + 1, 12000, 'born again'); // the node's first wait is 1 to 5 s, then doubles (node.ts)
      expect(byName(h.of('NBIRTH')[round])).toMatchObject({ bdSeq: round }); // [tck-id-topics-nbirth-bdseq-increment]
      expect(h.of('NBIRTH')[round].seq).toBe(0);
    }
    // NDATA of the old connection never comes after the new NBIRTH: every NDATA follows its own birth, in sequence
    let expected = 1;
    for (const m of h.seen) {
      if (m.type === 'NBIRTH') expected = 1;
      else if (m.type === 'NDATA') expect(m.seq).toBe(expected++);
    }
  });

  it('says NDEATH itself before an orderly end (a reset), then disconnects', async () => {
    const h = await host();
    const box = bootNode(nodeConfig());
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    box.kill();
    await until(() => h.of('NDEATH').length === 1, 5000, 'NDEATH');
    expect(h.of('NDEATH')[0].metrics).toEqual([{ name: 'bdSeq', type: 'Int64', value: 0 }]);
    await sleep(300);
    expect(h.of('NDEATH').length).toBe(1); // a DISCONNECT: the broker drops the will
  });

  it('with a primary host, is born only once the host says online, and dies and reconnects when it goes offline', async () => {
    const h = await host();
    const state = (online: boolean, timestamp: number) => h.c.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
    await state(false, 1000);
    bootNode(nodeConfig('esp32', (raw) => (raw.sparkplug.host = 'scada')));
    await sleep(800);
    expect(h.of('NBIRTH')).toEqual([]); // [tck-id-message-flow-edge-node-birth-publish-phid-wait]
    await state(true, 2000);
    await until(() => h.of('NBIRTH').length === 1, 3000, 'NBIRTH once online');
    await state(false, 1500); // older than the online: nothing happens [tck-id-operational-behavior-edge-node-termination-host-offline-timestamp]
    await sleep(500);
    expect(h.of('NDEATH')).toEqual([]);
    await state(false, 3000);
    // NDEATH at once, and a new connection, which waits again [tck-id-operational-behavior-edge-node-termination-host-offline]
    await until(() => h.of('NDEATH').length >= 1, 3000, 'NDEATH');
    expect(h.of('NDEATH').every((m) => (m.metrics[0].value as number) === 0)).toBe(true);
    await sleep(800);
    expect(h.of('NBIRTH').length).toBe(1);
    await state(true, 4000);
    await until(() => h.of('NBIRTH').length === 2, 9000, 'born again'); // after the node's wait of 1 to 5 s (node.ts)
    expect(byName(h.of('NBIRTH')[1]).bdSeq).toBe(1);
  });

  it('with a primary host that restarts (offline, then online at once), leaves and is born again on a new connection', async () => {
    const h = await host();
    const state = (online: boolean, timestamp: number) => h.c.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
    await state(true, 1000);
    bootNode(nodeConfig('esp32', (raw) => (raw.sparkplug.host = 'scada')));
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    await state(false, 2000);
    await state(true, 2001);
    await until(() => h.of('NBIRTH').length === 2, 9000, 'born again'); // after the node's wait of 1 to 5 s (node.ts)
    // not on the connection it was leaving (an NBIRTH cut at once), but on the next one, with its bdSeq
    expect(byName(h.of('NBIRTH')[1]).bdSeq).toBe(1);
    expect(h.of('NDEATH').every((m) => m.metrics[0].value === 0)).toBe(true);
  });

  it('with a primary host and two servers, moves to the one where the host is online, whatever its STATE timestamps there', async () => {
    const other = await startBroker();
    try {
      const a = await host('spBv1.0/#', fx.broker);
      const b = await host('spBv1.0/#', other);
      const state = (h: typeof a, online: boolean, timestamp: number) => h.c.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp }), { qos: 1, retain: true });
      await state(a, false, 5000); // gone from A (a clean goodbye: a recent timestamp)
      await state(b, true, 1000); // online on B since long ago
      bootNode(nodeConfig('esp32', (r) => {
        r.mqtt = { urls: [`mqtt://127.0.0.1:${fx.broker.port}`, `mqtt://127.0.0.1:${other.port}`], keepalive: 5 };
        r.sparkplug.host = 'scada';
      }));
      await until(() => b.of('NBIRTH').length === 1, 12000, 'NBIRTH on B'); // after a wait of 1 to 5 s (node.ts)
      expect(a.of('NBIRTH')).toEqual([]);
      expect(byName(b.of('NBIRTH')[0]).bdSeq).toBe(1); // its second CONNECT
      // the host leaves B too: NDEATH there, and back to A, where it has come online meanwhile
      await state(a, true, 6000);
      await state(b, false, 7000);
      await until(() => b.of('NDEATH').length >= 1, 3000, 'NDEATH on B');
      expect(b.of('NDEATH').every((m) => m.metrics[0].value === 1)).toBe(true);
      await until(() => a.of('NBIRTH').length === 1, 16000, 'NBIRTH on A'); // the second short connection in a row: 2 to 10 s
      expect(byName(a.of('NBIRTH')[0]).bdSeq).toBe(2);
    } finally {
      for (const p of fx.peers.splice(0)) await p.endAsync(true);
      for (const bx of fx.boxes.splice(0)) bx.close();
      await other.close();
    }
  });

  it('runs on the ESP8266 profile', async () => {
    const h = await host();
    const box = bootNode(nodeConfig('esp8266'), 'esp8266');
    await until(() => h.of('NBIRTH').length === 1, 5000, 'NBIRTH');
    expect(h.of('NBIRTH')[0].metrics.map((m) => m.name)).toEqual(['bdSeq', 'Node Control/Rebirth', 'pump/state', 'Node Info/Error']);
    await h.command([{ alias: 1, type: 'Boolean', value: true }]);
    await until(() => box.pins.level[15] === 1, 3000, 'the pump pin');
    await until(() => h.of('NDATA').some((m) => m.metrics.some((x) => x.alias === 1 && x.value === true)), 3000, 'the report');
    expect(box.wifi.sntp).toEqual({ server: 'pool.ntp.org', tz: 0 });
    // a DHT22 as well fits (since issue 13's eighth session), and a DS18B20 beside it (since the seventeenth: 1245
    // blocks estimated since the twenty-second, 1265 since the twentieth, 1347 since the eighteenth, 1358 before it, 1417 before the
    // seventeenth); a digital input more would not, its NBIRTH longer than txBuffer: the build says so
    const raw = JSON.parse(readFileSync('node.esp8266.example.json', 'utf8'));
    raw.node = { id: 'kitchen', format: 'sparkplug' };
    delete raw.discovery;
    raw.sparkplug = { group: 'Plant1' };
    raw.sensors = [{ type: 'dht22', name: 'climate', pin: 'D4', period: 2 }];
    expect(checkConfig(raw).errors).toEqual([]);
    raw.sensors.push({ type: 'ds18b20', name: 'water', pin: 13, period: 60 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1245 });
    raw.sensors.push({ type: 'digital', name: 'door', pin: 14 });
    expect(checkConfig(raw).errors).toEqual([expect.stringMatching(/^sensors: the Sparkplug NBIRTH of this node takes up to \d+ bytes, more than the ESP8266 transmit buffer \(448\)/)]);
  });
});
