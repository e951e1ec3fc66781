// The sensor-node firmware (dist/esp32.js, dist/esp8266.js) in the Espruino sandbox, against Aedes, watched
// and commanded by MQTT.js as Home Assistant would: discovery, readings, commands, availability, faults.
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import { perTest } from '../helpers/sim';
import { sleep, until } from '../helpers/host-client';
import { createSandbox } from '../../scripts/sandbox.mjs';
import { checkConfig } from '../../scripts/node-config.mjs';
const VERSION = JSON.parse(readFileSync('package.json', 'utf8')).version;

type Sandbox = ReturnType<typeof createSandbox>;
interface Seen {
  topic: string;
  payload: string;
  retain: boolean;
}

const fx = perTest();

// A node like the committed example, on 127.0.0.1. Periods are shorter than real sensors allow (set after
// the check), so a test sees several readings.
function nodeConfig(board = 'esp32', change: (raw: any) => void = () => {}) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
  raw.board = board;
  raw.mqtt = { url: `mqtt://127.0.0.1:${fx.broker.port}`, keepalive: 5 };
  if (board === 'esp8266') {
    // what fits an ESP8266's RAM with its 200 blocks for peaks (scripts/node-config.mjs estimates it)
    raw.sensors = [
      { type: 'dht22', name: 'climate', pin: 'D4', period: 2 },
      { type: 'analog', name: 'battery', pin: 'A0', scale: 4.2, unit: 'V', class: 'voltage', period: 2 },
    ];
    raw.actuators = [
      { type: 'relay', name: 'pump', pin: 15 },
      { type: 'pwm', name: 'lamp', pin: 0 },
    ];
  }
  change(raw);
  const { config, errors } = checkConfig(raw);
  expect(errors).toEqual([]);
  for (const s of config.sensors) if (s.period) s.period = 0.3;
  return config;
}

// Pins of the example (esp32) and of the esp8266 variant above.
const PINS = { esp32: { dht: 4, ds: 5, sda: 21, adc: 35, motion: 14, pump: 26, lamp: 27 }, esp8266: { dht: 4, ds: 5, sda: 12, adc: 17, motion: 14, pump: 15, lamp: 0 } };

function bootNode(config: object, board = 'esp32', serial?: string): Sandbox {
  const box = createSandbox({ board: board === 'esp8266' ? 'ESP8266' : 'ESP32', serial, storage: { 'node.json': JSON.stringify(config) } });
  fx.boxes.push(box);
  const p = PINS[board as 'esp32'];
  box.sensors[p.dht] = { temp: 21.46, rh: 40.04 };
  box.sensors[p.ds] = 18.0625;
  box.sensors[p.sda] = { temp: 20.5, pressure: 1013.27, humidity: 45.5 };
  box.pins.analog[p.adc] = 0.95;
  box.load(`dist/${board}.js`);
  return box;
}

async function watcher(filter = '#') {
  const seen: Seen[] = [];
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: fx.broker.port, protocolVersion: 4, reconnectPeriod: 100 });
  fx.peers.push(c);
  c.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  await c.subscribeAsync(filter, { qos: 1 });
  return { c, seen, last: (topic: string) => [...seen].reverse().find((m) => m.topic === topic) };
}

describe('the sensor node in the Espruino sandbox, against Aedes', () => {
  it('announces itself to Home Assistant and publishes every sensor', async () => {
    const w = await watcher();
    bootNode(nodeConfig());
    await until(() => w.seen.filter((m) => m.topic.endsWith('/config')).length === 10, 10000, 'ten discovery messages');
    await until(() => ['climate', 'water', 'air', 'battery'].every((s) => w.last(`espruino/kitchen/${s}`)), 5000, 'readings');
    expect(w.last('espruino/kitchen/status')!.payload).toBe('online');
    expect(JSON.parse(w.last('espruino/kitchen/climate')!.payload)).toEqual({ temperature: 21.5, humidity: 40 });
    expect(JSON.parse(w.last('espruino/kitchen/water')!.payload)).toEqual({ temperature: 18.1 });
    expect(JSON.parse(w.last('espruino/kitchen/air')!.payload)).toEqual({ temperature: 20.5, humidity: 45.5, pressure: 1013.3 });
    expect(JSON.parse(w.last('espruino/kitchen/battery')!.payload)).toEqual({ voltage: 6.27 });

    // what a late subscriber (Home Assistant starting after the node) gets: all retained
    const late = await watcher();
    await until(() => late.seen.filter((m) => m.topic.startsWith('homeassistant/')).length === 10, 5000, 'retained discovery');
    expect(late.seen.filter((m) => m.topic.startsWith('homeassistant/')).every((m) => m.retain)).toBe(true); // (a live reading may arrive too)
    const temp = JSON.parse(late.last('homeassistant/sensor/kitchen/climate_temperature/config')!.payload);
    expect(temp).toMatchObject({
      '~': 'espruino/kitchen',
      uniq_id: 'kitchen_climate_temperature',
      stat_t: '~/climate',
      val_tpl: '{{value_json.temperature}}',
      unit_of_meas: '°C', // the board sends the UTF-8 bytes of its source
      dev_cla: 'temperature',
      avty_t: '~/status',
      // the device by the board's serial (the sandbox's 3c71bf0a1b2c): another install's "kitchen" is another device
      dev: { ids: 'esp3c71bf0a1b2c', name: 'Kitchen sensors', mdl: 'ESP32', mf: 'espruino-mqtt', sw: VERSION },
    });
    expect(JSON.parse(late.last('homeassistant/switch/kitchen/pump/config')!.payload)).toMatchObject({ stat_t: '~/pump', cmd_t: '~/pump/set' });
    const lamp = JSON.parse(late.last('homeassistant/light/kitchen/lamp/config')!.payload);
    // the form every Home Assistant release takes (no supported_color_modes, no color_mode flag), no transition, no flash
    expect(lamp).toMatchObject({ schema: 'json', cmd_t: '~/lamp/set', brightness: true, bri_scl: 100, flash: false, transition: false });
    expect(Object.keys(lamp).filter((k) => /^(sup_clrm|supported_color_modes|color_mode|clrm)$/.test(k))).toEqual([]);
    expect(JSON.parse(late.last('homeassistant/binary_sensor/kitchen/motion/config')!.payload)).toMatchObject({ dev_cla: 'motion', val_tpl: '{{value_json.state}}' });
    expect(JSON.parse(late.last('homeassistant/sensor/kitchen/battery/config')!.payload)).toMatchObject({ unit_of_meas: 'V', dev_cla: 'voltage' });
  });

  it('obeys a command: the pin changes and the new state is echoed, retained', async () => {
    const w = await watcher('espruino/#');
    const box = bootNode(nodeConfig());
    await until(() => w.last('espruino/kitchen/pump')?.payload === 'OFF', 5000, 'initial state');
    expect(box.pins.level[26]).toBe(0);
    await w.c.publishAsync('espruino/kitchen/pump/set', 'ON');
    await until(() => w.last('espruino/kitchen/pump')?.payload === 'ON', 5000, 'state echo');
    expect(box.pins.level[26]).toBe(1);
    expect(w.last('espruino/kitchen/pump')!.retain).toBe(false); // live, as every subscriber sees it
    await w.c.publishAsync('espruino/kitchen/pump/set', 'TOGGLE');
    await until(() => w.last('espruino/kitchen/pump')?.payload === 'OFF');
    expect(box.pins.level[26]).toBe(0);

    await w.c.publishAsync('espruino/kitchen/lamp/set', '{"state":"ON","brightness":40}');
    await until(() => w.last('espruino/kitchen/lamp')?.payload === '{"state":"ON","brightness":40}', 5000, 'dimmer echo');
    expect(box.pins.pwm[27].duty).toBeCloseTo(0.4);
    await w.c.publishAsync('espruino/kitchen/lamp/set', 'OFF');
    await until(() => w.last('espruino/kitchen/lamp')?.payload === '{"state":"OFF","brightness":40}');
    expect(box.pins.pwm[27].duty).toBe(0);
    await w.c.publishAsync('espruino/kitchen/lamp/set', '{"state":"ON"}'); // back at the last level
    await until(() => w.last('espruino/kitchen/lamp')?.payload === '{"state":"ON","brightness":40}');

    const late = await watcher('espruino/kitchen/+');
    await until(() => !!late.last('espruino/kitchen/lamp'));
    expect(late.last('espruino/kitchen/lamp')).toMatchObject({ payload: '{"state":"ON","brightness":40}', retain: true });
  });

  it('refuses an invalid command: nothing changes, the error is said on the error topic', async () => {
    const w = await watcher('espruino/#');
    const box = bootNode(nodeConfig());
    await until(() => w.last('espruino/kitchen/lamp')?.payload === '{"state":"OFF","brightness":100}', 5000, 'initial state');
    const before = w.seen.filter((m) => m.topic === 'espruino/kitchen/pump' || m.topic === 'espruino/kitchen/lamp').length;
    for (const [topic, payload] of [
      ['espruino/kitchen/pump/set', 'on'],
      ['espruino/kitchen/pump/set', '1'],
      ['espruino/kitchen/lamp/set', '{"brightness":150}'],
      ['espruino/kitchen/lamp/set', '{"state":"DIM"}'],
      ['espruino/kitchen/lamp/set', '{not json'],
      ['espruino/kitchen/heater/set', 'ON'],
    ])
      await w.c.publishAsync(topic, payload);
    await until(() => w.seen.filter((m) => m.topic === 'espruino/kitchen/error').length === 6, 5000, 'six errors');
    const errors = w.seen.filter((m) => m.topic === 'espruino/kitchen/error').map((m) => JSON.parse(m.payload));
    expect(errors[0]).toEqual({ source: 'pump', error: 'invalid command', payload: 'on' });
    expect(errors[4]).toEqual({ source: 'lamp', error: 'invalid command', payload: '{not json' });
    expect(errors[5]).toEqual({ source: 'heater', error: 'unknown actuator', payload: 'ON' });
    await sleep(200);
    expect(w.seen.filter((m) => m.topic === 'espruino/kitchen/pump' || m.topic === 'espruino/kitchen/lamp').length).toBe(before);
    expect(box.pins.level[26]).toBe(0);
    expect(box.pins.pwm[27].duty).toBe(0);
  });

  it('says a command to a topic level with a quote in it on the error topic as valid JSON', async () => {
    const w = await watcher('espruino/#');
    bootNode(nodeConfig());
    await until(() => w.last('espruino/kitchen/status')?.payload === 'online', 5000, 'online');
    await w.c.publishAsync('espruino/kitchen/a"b/set', 'x"y\\');
    await until(() => !!w.last('espruino/kitchen/error'), 5000, 'an error');
    expect(JSON.parse(w.last('espruino/kitchen/error')!.payload)).toEqual({ source: 'a"b', error: 'unknown actuator', payload: 'x"y\\' });
  });

  it('reports a failing sensor on the error topic, publishes no number for it, and keeps the others going', async () => {
    const w = await watcher('espruino/#');
    const box = bootNode(nodeConfig());
    box.sensors[4] = { fail: 'no response' };
    delete box.sensors[5]; // the DS18B20 is unplugged
    delete box.sensors[21]; // and so is the BME280
    await until(() => w.seen.filter((m) => m.topic === 'espruino/kitchen/battery').length >= 3, 5000, 'battery readings');
    const errors = w.seen.filter((m) => m.topic === 'espruino/kitchen/error').map((m) => JSON.parse(m.payload));
    expect(errors).toContainEqual({ source: 'climate', error: 'no response' });
    expect(errors).toContainEqual({ source: 'water', error: 'not found' });
    expect(errors).toContainEqual({ source: 'air', error: 'no response' });
    expect(w.seen.some((m) => /kitchen\/(climate|water|air)$/.test(m.topic))).toBe(false);
    box.sensors[5] = null; // a CRC failure
    box.sensors[21] = { temp: 20, pressure: 5, humidity: 50 }; // garbage from a loose wire
    await until(() => w.seen.some((m) => m.payload === '{"source":"water","error":"crc error"}'), 5000, 'crc error');
    await until(() => w.seen.some((m) => m.payload === '{"source":"air","error":"implausible reading"}'), 5000, 'implausible');
    box.sensors[4] = { temp: 22, rh: 50 }; // and the DHT22 recovers
    await until(() => w.last('espruino/kitchen/climate')?.payload === '{"temperature":22,"humidity":50}', 5000, 'recovery');
  });

  it('publishes a digital input when it changes, after its debounce', async () => {
    const w = await watcher('espruino/kitchen/motion');
    const box = bootNode(nodeConfig());
    await until(() => w.seen.length === 1, 5000, 'initial state');
    expect(box.pins.mode[14]).toBe('input_pullup');
    box.setPin(14, 1);
    await until(() => w.seen.length === 2);
    box.setPin(14, 0);
    box.setPin(14, 1); // a bounce shorter than 50 ms
    await sleep(30);
    box.setPin(14, 0);
    await sleep(150);
    expect(w.seen.map((m) => m.payload)).toEqual(['{"state":"OFF"}', '{"state":"ON"}', '{"state":"OFF"}']);
  });

  it('leaves a retained offline when the connection dies, and comes back online', async () => {
    const box = bootNode(nodeConfig());
    const w = await watcher('espruino/kitchen/status');
    await until(() => w.last('espruino/kitchen/status')?.payload === 'online');
    // the broker turns the node away until released, so what it left retained can be read while it is gone
    let held = true;
    let turnedAway = 0;
    fx.broker.broker.preConnect = (_client, packet, done) => {
      const away = held && packet.clientId === 'kitchen';
      if (away) turnedAway++;
      done(away ? new Error('held back by the test') : null, !away); // an error closes the connection
    };
    for (const s of box.sockets) s.real.destroy(); // abrupt: no DISCONNECT, the broker sends the will
    await until(() => w.last('espruino/kitchen/status')?.payload === 'offline', 5000, 'the will');
    await until(() => turnedAway > 0, 8000, 'a reconnection turned away'); // the node's first wait: 1 to 5 s (node.ts)
    const gone = await watcher('espruino/kitchen/status');
    await until(() => gone.seen.length > 0);
    await sleep(100); // while the node is away: the will, retained, and nothing else
    expect(gone.seen).toEqual([{ topic: 'espruino/kitchen/status', payload: 'offline', retain: true }]);
    held = false;
    await until(() => w.last('espruino/kitchen/status')?.payload === 'online', 15000, 'back online'); // its next wait: 2 to 10 s
    expect(w.seen.map((m) => m.payload)).toEqual(['online', 'offline', 'online']);
    // once back, its online replaces the will as the retained value
    const back = await watcher('espruino/kitchen/status');
    await until(() => back.seen.length > 0);
    await sleep(100);
    expect(back.seen).toEqual([{ topic: 'espruino/kitchen/status', payload: 'online', retain: true }]);
  }, 60000); // waits up to 8 + 15 s for the node's reconnections

  it('says offline itself on an orderly shutdown (a reset)', async () => {
    const box = bootNode(nodeConfig());
    const w = await watcher('espruino/kitchen/status');
    await until(() => w.last('espruino/kitchen/status')?.payload === 'online');
    box.kill();
    await until(() => w.last('espruino/kitchen/status')?.payload === 'offline', 5000, 'offline');
    const late = await watcher('espruino/kitchen/status');
    await until(() => late.seen.length > 0);
    expect(late.seen[0]).toMatchObject({ payload: 'offline', retain: true });
  });

  it('rides out a Wi-Fi loss: QoS 1 readings taken offline arrive after it returns', async () => {
    const config = nodeConfig('esp32', (raw) => {
      raw.sensors = raw.sensors.filter((s: { type: string }) => s.type === 'analog');
      raw.actuators = [];
      raw.discovery = false;
    });
    const box = bootNode(config);
    const w = await watcher('espruino/kitchen/#');
    await until(() => w.seen.some((m) => m.topic === 'espruino/kitchen/battery'));
    const status = () => w.seen.filter((m) => m.topic === 'espruino/kitchen/status').map((m) => m.payload);
    expect(box.pins.level[2]).toBe(0); // the status LED (pin 2, lit high on the ESP32) is dark while connected
    box.wifi.drop();
    await until(() => status().includes('offline'), 5000, 'the will');
    await until(() => box.pins.level[2] === 1, 5000, 'the status LED lit while the node is offline');
    const seenBefore = w.seen.length;
    for (let v = 0.1; v < 0.6; v += 0.1) {
      box.pins.analog[35] = v;
      await sleep(300);
    }
    expect(w.seen.length).toBe(seenBefore); // nothing gets through while Wi-Fi is down
    box.wifi.restore();
    await until(() => status().slice(-1)[0] === 'online', 10000, 'online again');
    expect(box.pins.level[2]).toBe(0);
    await until(() => w.seen.filter((m) => m.topic === 'espruino/kitchen/battery' && m.payload === '{"voltage":0.66}').length > 0, 5000, 'queued readings');
    const readings = w.seen.filter((m) => m.topic === 'espruino/kitchen/battery').map((m) => JSON.parse(m.payload).voltage);
    for (const v of [0.66, 1.32, 1.98, 2.64, 3.3]) expect(readings).toContain(v);
  });

  it('joins Wi-Fi at boot, and asks again 5 s after losing it, not before', async () => {
    const config = nodeConfig('esp32', (raw) => {
      raw.sensors = [];
      raw.actuators = [];
      raw.discovery = false;
    });
    const box = bootNode(config);
    await until(() => box.wifi.connected, 5000, 'joined');
    expect(box.wifi.joins).toBe(1);
    box.wifi.drop();
    await sleep(4000);
    expect(box.wifi.joins).toBe(1);
    await until(() => box.wifi.joins === 2, 3000, 'asked again after 5 s');
    box.wifi.restore();
    await until(() => box.wifi.connected, 5000, 'joined again');
  });

  it('numbers its readings and counts the messages its outbox gave up (node.seq, for testing a node)', async () => {
    const config = nodeConfig('esp8266', (raw) => {
      raw.node.seq = true;
      raw.sensors = [{ type: 'analog', name: 'battery', pin: 'A0', scale: 4.2, period: 0.1 }];
      raw.actuators = [];
      raw.discovery = false;
    });
    config.sensors[0].period = 0.1; // (nodeConfig sets 0.3 s: too few readings to overflow the outbox in the outage)
    const w = await watcher('espruino/kitchen/battery'); // before the node: its first reading is seen
    const box = bootNode(config, 'esp8266');
    const readings = () => w.seen.map((m) => JSON.parse(m.payload) as { seq: number; dropped: number });
    await until(() => readings().length >= 2, 5000, 'readings');
    expect(readings()[0]).toMatchObject({ seq: 1, dropped: 0 });
    expect(box.pins.level[2]).toBe(1); // the status LED (active low on the ESP8266) is dark while connected
    box.wifi.drop();
    await until(() => box.pins.level[2] === 0, 5000, 'the status LED lit while the node is offline');
    await sleep(3000); // about 30 readings while offline, where the outbox holds about 12 (768 bytes)
    const before = readings().length;
    box.wifi.restore();
    // (back within one or two of its reconnection waits, 1 to 5 s and 2 to 10 s, node.ts)
    await until(() => readings().some((r) => r.dropped > 0), 30000, 'a reading that counts what was given up').catch((e) => {
      throw new Error(`${e.message}: ${readings().length} readings (${before} before Wi-Fi came back), the last ${JSON.stringify(readings().slice(-2))}, log ${JSON.stringify(box.log.slice(-5))}`);
    });
    await sleep(500);
    const all = readings();
    const last = all[all.length - 1];
    // every reading numbered was either delivered or counted as given up (a message resent after a lost
    // PUBACK may arrive twice: distinct numbers are counted)
    const seqs = new Set(all.map((r) => r.seq));
    expect(last.seq - seqs.size).toBeLessThanOrEqual(last.dropped);
    expect(last.dropped).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(before);
  }, 60000);

  it('announces again when Home Assistant says it is back online', async () => {
    const w = await watcher('homeassistant/+/kitchen/#');
    bootNode(nodeConfig());
    await until(() => w.seen.length === 10, 10000, 'first round');
    await w.c.publishAsync('homeassistant/status', 'online');
    await until(() => w.seen.length === 20, 10000, 'second round');
    expect(w.seen.slice(10).map((m) => m.topic)).toEqual(w.seen.slice(0, 10).map((m) => m.topic));
  });

  it('publishes one topic per value in the plain format', async () => {
    const w = await watcher('espruino/#');
    bootNode(nodeConfig('esp32', (raw) => (raw.node.format = 'plain')));
    await until(() => ['climate/temperature', 'climate/humidity', 'water', 'air/pressure', 'battery', 'motion'].every((t) => w.last(`espruino/kitchen/${t}`)), 5000, 'plain readings');
    expect(w.last('espruino/kitchen/climate/temperature')!.payload).toBe('21.5');
    expect(w.last('espruino/kitchen/motion')!.payload).toBe('OFF');
    expect(w.last('espruino/kitchen/water')!.payload).toBe('18.1');
  });

  it('runs on the ESP8266 profile, with its id from the board serial, and gets discovery through a flooded outbox', async () => {
    const w = await watcher('#');
    const box = bootNode(
      nodeConfig('esp8266', (raw) => delete raw.node.id),
      'esp8266',
      '5c:cf:7f:12:34:56',
    );
    // readings every 0.3 s flood its 768-byte outbox: a discovery message pushed out is sent again
    await until(() => new Set(w.seen.filter((m) => m.topic.startsWith('homeassistant/')).map((m) => m.topic)).size === 5, 10000, 'discovery'); // climate (2), battery, pump, lamp
    await until(() => !!w.last('espruino/esp5ccf7f123456/climate'), 5000, 'readings');
    expect(JSON.parse(w.last('espruino/esp5ccf7f123456/battery')!.payload)).toEqual({ voltage: 3.99 });
    expect(JSON.parse(w.last('homeassistant/sensor/esp5ccf7f123456/climate_humidity/config')!.payload).dev.mdl).toBe('ESP8266');
    await w.c.publishAsync('espruino/esp5ccf7f123456/pump/set', 'ON');
    await until(() => w.last('espruino/esp5ccf7f123456/pump')?.payload === 'ON');
    expect(box.pins.level[15]).toBe(1);
    expect(box.pins.level[2]).toBe(1); // the status LED (active low on the ESP8266) is dark while connected
  });

  it('says that mqtts:// needs TLS when an ESP8266 (built without it) is given a node.json past the build', async () => {
    const config = nodeConfig('esp8266');
    (config as unknown as { mqtt: { servers: { protocol: string }[] } }).mqtt.servers[0].protocol = 'mqtts'; // the build refuses it
    const box = bootNode(config, 'esp8266');
    await until(() => box.log.some((l) => l.includes('mqtts:// needs TLS')), 5000, 'the error logged');
    expect(box.sockets.length).toBe(0); // no plain connection to a TLS port
  });

  it('says what is missing when there is no node.json in Storage', () => {
    const box = createSandbox({});
    fx.boxes.push(box);
    box.load('dist/esp32.js');
    expect(box.log.join('\n')).toMatch(/no node\.json in Storage/);
    expect(box.sockets.length).toBe(0);
  });
});
