// The node configuration check (scripts/node-config.mjs): what the build says about a user's node.json.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, describe as describeConfig, firmwareFile, readConfigFile } from '../../scripts/node-config.mjs';

const example = () => JSON.parse(readFileSync('node.example.json', 'utf8'));

describe('the node configuration check', () => {
  it('accepts the committed example and completes it for the board', () => {
    const { config, errors } = checkConfig(example());
    expect(errors).toEqual([]);
    expect(config).toMatchObject({ id: 'kitchen', prefix: 'espruino', format: 'json', qos: 1, discovery: 'homeassistant' });
    expect(config.mqtt.servers).toEqual([{ host: '192.168.1.10', port: 1883, protocol: 'mqtt' }]);
    expect(config.sensors[0]).toEqual({ type: 'dht22', name: 'climate', pin: 4, period: 30 }); // nothing the firmware defaults
    expect(config.actuators[1]).toEqual({ type: 'pwm', name: 'lamp', pin: 27, level: 100 });
  });

  it('accepts the committed ESP8266 example, and the README shows the example file as it is', () => {
    const esp8266 = JSON.parse(readFileSync('node.esp8266.example.json', 'utf8'));
    const { config, errors } = checkConfig(esp8266);
    expect(errors).toEqual([]);
    expect(config.sensors[1]).toMatchObject({ type: 'analog', pin: 17, class: 'voltage', unit: 'V' });
    const readme = readFileSync('README.md', 'utf8');
    const at = readme.indexOf('`node.example.json`, as committed:');
    expect(at).toBeGreaterThan(0);
    const block = /```json\n([\s\S]*?)```/.exec(readme.slice(at))![1];
    expect(block).toBe(readFileSync('node.example.json', 'utf8'));
  });

  it('names every problem with the path of the field at fault', () => {
    const raw = example();
    raw.sensors.push({ type: 'lux', name: 'x', pin: 3, period: 5 });
    raw.sensors[0].period = 1;
    raw.sensors[1].perod = 3;
    raw.sensors[2].name = 'climate';
    raw.actuators[0].pin = 4;
    raw.actuators[1].name = 'status';
    raw.mqtt.url = 'http://broker';
    raw.wifi.password = 'short';
    const { errors } = checkConfig(raw);
    expect(errors).toEqual([
      'wifi.password: must be empty (an open network) or 8 to 63 characters (WPA2)',
      'mqtt.url: "http://broker" is not a broker URL such as "mqtt://192.168.1.10:1883", "mqtts://broker.lan:8883" or "ws://broker.lan:8080/mqtt" (credentials go in "username" and "password")',
      'sensors[0].period: 1 s is too short for a dht22 (at least 2 s)',
      'sensors[1].perod: unknown field (known: type, name, period, decimals, pin)',
      'sensors[2].name: "climate" is already the name of sensors[0]',
      'sensors[5].type: unknown sensor type "lux"; known: dht22, bme280, ds18b20, analog, digital',
      'actuators[0].pin: pin 4 is already used by sensors[0].pin',
      'actuators[1].name: "status" is a topic the node uses itself',
    ]);
  });

  it('takes the device classes, units and state classes Home Assistant takes, and no others', () => {
    const raw = example();
    const analog = (cls: string | undefined, unit: string | undefined) => ({ type: 'analog', name: `a${raw.sensors.length}`, pin: 34, period: 10, class: cls, unit });
    const only = (sensor: object) => {
      const r = example();
      r.sensors = [sensor];
      r.actuators = [];
      return checkConfig(r);
    };
    // valid, though short, with digits or long: particulate matter, a meter, a class of 32 letters, a class without a unit
    for (const [cls, unit, state] of [['pm25', 'µg/m³', 'measurement'], ['pm1', 'µg/m³', 'measurement'], ['carbon_dioxide', 'ppm', 'measurement'], ['energy', 'kWh', 'total_increasing'], ['volatile_organic_compounds_parts', 'ppb', 'measurement'], ['ph', undefined, 'measurement'], ['wind_direction', '°', '']]) {
      const { config, errors } = only(analog(cls, unit));
      expect(errors, cls).toEqual([]);
      expect(config.sensors[0]).toMatchObject({ class: cls, stateClass: state });
    }
    expect(only({ type: 'digital', name: 'door', pin: 13, class: 'garage_door' }).errors).toEqual([]);
    // what Home Assistant would drop without a word
    expect(only(analog('temp', '°C')).errors).toEqual(['sensors[0].class: "temp" is not a Home Assistant sensor device class; did you mean "temperature"?']);
    expect(only(analog('co2', 'ppm')).errors).toEqual(['sensors[0].class: "co2" is not a Home Assistant sensor device class; did you mean "carbon_dioxide"?']);
    expect(only(analog('voltage', 'volts')).errors).toEqual(['sensors[0].unit: "volts" is not a unit for class voltage: use "µV", "mV", "V", "kV", "MV"']);
    expect(only(analog('energy', undefined)).errors[0]).toMatch(/^sensors\[0\]\.unit: is missing for class energy: use "J", /);
    expect(only(analog('aqi', 'AQI')).errors).toEqual(['sensors[0].unit: "AQI" is not a unit for class aqi: it has no unit: remove "unit"']);
    expect(only(analog('timestamp', undefined)).errors).toEqual(['sensors[0].class: "timestamp" is not for numbers: an analog input reports numbers']);
    expect(only({ type: 'digital', name: 'door', pin: 13, class: 'temperature' }).errors).toEqual([
      'sensors[0].class: "temperature" is not a Home Assistant binary_sensor device class; for example "battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door"',
    ]);
    expect(raw.sensors.length).toBeGreaterThan(0);
  });

  it('sends each analog input\'s state class in its discovery config (a meter is total_increasing, a wind direction none)', async () => {
    const { createRequire } = await import('node:module');
    const host = createRequire(import.meta.url)('../../dist/host.cjs');
    const r = example();
    r.sensors = [
      { type: 'analog', name: 'meter', pin: 34, period: 10, class: 'energy', unit: 'kWh' },
      { type: 'analog', name: 'vane', pin: 35, period: 10, class: 'wind_direction', unit: '°' },
      { type: 'analog', name: 'raw', pin: 32, period: 10 },
    ];
    r.actuators = [];
    const { config, errors } = checkConfig(r);
    expect(errors).toEqual([]);
    const payload = (i: number) => JSON.parse(host.discoveryMessage(config, 'kitchen', 'ESP32', 'esp0123456789ab', i)[1]);
    expect(payload(0)).toMatchObject({ dev_cla: 'energy', unit_of_meas: 'kWh', stat_cla: 'total_increasing' });
    expect(payload(1)).toMatchObject({ dev_cla: 'wind_direction' });
    expect(payload(1).stat_cla).toBeUndefined();
    expect(payload(2)).toMatchObject({ stat_cla: 'measurement' });
    expect(payload(2).dev_cla).toBeUndefined();
  });

  it('says where a configuration goes wrong: the line and column of a JSON error, a number given as text, a Wi-Fi password left out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    writeFileSync(join(dir, 'node.json'), '{\n  "board": "esp32",\n  "wifi": { "ssid": "lab" }\n  "sensors": []\n}\n');
    expect(() => readConfigFile(join(dir, 'node.json'))).toThrow(`${join(dir, 'node.json')}: not valid JSON at line 4, column 3: Expected ',' or '}' after property value`);
    expect(() => readConfigFile(join(dir, 'none.json'))).toThrow(`${join(dir, 'none.json')}: not found`);
    const raw = example();
    raw.sensors[0].period = '60';
    delete raw.wifi.password;
    expect(checkConfig(raw).errors).toEqual(['wifi.password: is missing: the network\'s password, or "" for an open network', 'sensors[0].period: must be a number of seconds (60, not "60")']);
    raw.wifi.password = ''; // an open network, said so
    raw.sensors[0].period = 60;
    expect(checkConfig(raw).errors).toEqual([]);
  });

  it('shows the ESP8266 analog input as A0, as its user calls it', () => {
    const raw = example();
    raw.board = 'esp8266';
    raw.sensors = [{ type: 'analog', name: 'battery', pin: 'A0', period: 60 }];
    raw.actuators = [];
    const { config, errors } = checkConfig(raw);
    expect(errors).toEqual([]);
    expect(config.sensors[0].pin).toBe(17); // what Espruino calls it
    expect(describeConfig(config, 'esp8266')).toContain('sensor battery: analog pin A0, every 60 s');
  });

  it('checks pins against what the board can do', () => {
    const raw = example();
    raw.board = 'esp8266';
    const { errors } = checkConfig(raw);
    expect(errors).toContain('sensors[3].pin: pin 35 cannot be used as analog on ESP8266; analog pins: 17');
    expect(errors).toContain('actuators[1].pin: pin 27 cannot be used as pwm on ESP8266; pwm pins: 0, 1, 2, 3, 4, 5, 12, 13, 14, 15');
    const tls = example();
    tls.board = 'esp8266';
    tls.sensors = [];
    tls.actuators = [];
    tls.mqtt.url = 'mqtts://broker.lan';
    expect(checkConfig(tls).errors).toEqual(['mqtt.url: ESP8266 has no TLS: use mqtt://']);
    tls.mqtt.url = 'wss://broker.lan/mqtt';
    expect(checkConfig(tls).errors).toEqual(['mqtt.url: ESP8266 has no TLS: use ws://']);
    // the WebSocket firmware, measured in the ESP8266's own 12-byte blocks: 906 with no parts (753 + 153; 926 before issue 13's twenty-second session)
    tls.mqtt.url = 'ws://broker.lan/mqtt';
    const ws = checkConfig(tls);
    expect(ws.errors).toEqual([]);
    expect(firmwareFile(ws.config, 'esp8266')).toBe('dist/esp8266-ws.js');
    expect(ws.ram).toBe(906);
    // the Sparkplug node over WebSocket ran out of memory there with no parts: refused
    const sp = { ...tls, node: { id: 'n1', format: 'sparkplug' }, sparkplug: { group: 'G' } };
    delete (sp as Record<string, unknown>).discovery;
    expect(checkConfig(sp).errors).toEqual([
      'node.format: the Sparkplug node over WebSocket does not fit an ESP8266: it ran out of memory there with no sensors (in the board\'s own 12-byte blocks, README "Memory, in blocks"); use an mqtt:// broker, or an ESP32',
    ]);
    expect(checkConfig({ ...sp, mqtt: { url: 'mqtt://broker.lan' } }).errors).toEqual([]);
    const led = example();
    led.actuators[0].pin = 'D2';
    expect(checkConfig(led).errors).toEqual(['actuators[0].pin: pin 2 is the ESP32 status LED']);
  });

  it('takes ws:// and wss:// broker URLs, with their path, and picks the WebSocket firmware for them', () => {
    const raw = example();
    raw.mqtt = { urls: ['ws://broker.lan', 'wss://[fd00::1]:8443/ws/mqtt?token=x', 'mqtt://10.0.0.2', 'mqtts://b:1/'] };
    const { config, errors } = checkConfig(raw);
    expect(errors).toEqual([]);
    expect(config.mqtt.servers).toEqual([
      { host: 'broker.lan', port: 80, protocol: 'ws', path: '/mqtt' },
      { host: 'fd00::1', port: 8443, protocol: 'wss', path: '/ws/mqtt?token=x' },
      { host: '10.0.0.2', port: 1883, protocol: 'mqtt' },
      { host: 'b', port: 1, protocol: 'mqtts' },
    ]);
    expect(firmwareFile(config, 'esp32')).toBe('dist/esp32-ws.js');
    expect(describeConfig(config, 'esp32').join('\n')).toContain('broker ws://broker.lan:80/mqtt, wss://[fd00::1]:8443/ws/mqtt?token=x, mqtt://10.0.0.2:1883, mqtts://b:1');
    raw.mqtt = { url: 'mqtts://b' };
    const tcp = checkConfig(raw);
    expect(firmwareFile(tcp.config, 'esp8266')).toBe('dist/esp8266.js');
    // the WebSocket firmware's RAM (measured, boards/*.json budget.websocket) counts in the estimate
    // (plus its frame buffer's share of the ESP32's smaller blocks: 1024 B in 14-byte rather than 16-byte blocks, 9 or 10)
    expect(checkConfig({ ...raw, mqtt: { url: 'ws://b' } }).ram - checkConfig(raw).ram).toBeOneOf([137 + 9, 137 + 10]);
    for (const url of ['mqtt://b/path', 'ws://b/a b', 'ws://b:0', 'wss://', 'ws:/b', 'ws://[abc]/', 'ws://b/mqtt#frag', 'ws://fe80::1/']) {
      raw.mqtt = { url };
      expect(checkConfig(raw).errors, url).toHaveLength(1);
    }
  });

  it('takes "mqtt": {"version": 5}: the MQTT 5.0 firmware, its RAM counted; refuses it over ws://', () => {
    const raw = example();
    raw.mqtt.version = 5;
    const { config, errors, ram } = checkConfig(raw);
    expect(errors).toEqual([]);
    expect(config.mqtt.version).toBe(5);
    expect(firmwareFile(config, 'esp32')).toBe('dist/esp32-mqtt5.js');
    expect(firmwareFile({ ...config, format: 'sparkplug' }, 'esp32')).toBe('dist/esp32-sparkplug-mqtt5.js');
    expect(describeConfig(config, 'esp32')[1]).toBe('broker mqtt://192.168.1.10:1883, MQTT 5.0');
    const board = JSON.parse(readFileSync('boards/esp32.json', 'utf8'));
    expect(ram - checkConfig(example()).ram).toBe(board.budget.mqtt5);
    // version 4 is 3.1.1, as if absent: the 3.1.1 firmware
    raw.mqtt.version = 4;
    const v4 = checkConfig(raw);
    expect([v4.errors, v4.config.mqtt.version, firmwareFile(v4.config, 'esp32')]).toEqual([[], undefined, 'dist/esp32.js']);
    for (const version of [3, '5', 5.0001, 6]) expect(checkConfig({ ...raw, mqtt: { ...raw.mqtt, version } }).errors).toEqual([`mqtt.version: must be 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0), not ${JSON.stringify(version)}`]);
    expect(checkConfig({ ...raw, mqtt: { url: 'ws://b', version: 5 } }).errors).toEqual(['mqtt.version: MQTT 5.0 firmware has no WebSocket: use mqtt:// or mqtts:// brokers, or version 4 over ws://']);
    // on an ESP8266 too, since issue 13's seventeenth session (it ran out of memory there with no sensors before):
    // the example's DHT22, analog input, relay and PWM output with it need 1144 of 1600 blocks, 200 kept for peaks
    // (1164 before issue 13's twenty-second session, 1246 before the twentieth)
    const esp8266 = JSON.parse(readFileSync('node.esp8266.example.json', 'utf8'));
    const v4on8266 = checkConfig(esp8266).ram;
    esp8266.mqtt.version = 5;
    const on8266 = checkConfig(esp8266);
    expect(on8266.errors).toEqual([]);
    expect(firmwareFile(on8266.config, 'esp8266')).toBe('dist/esp8266-mqtt5.js');
    expect(on8266.ram - v4on8266).toBe(JSON.parse(readFileSync('boards/esp8266.json', 'utf8')).budget.mqtt5);
    expect(on8266.ram).toBe(1144);
  });

  it('takes "mqtt": {"clean": false}: a persistent session, in 5.0 with a Session Expiry (a day unless sessionExpiry says); never for Sparkplug', () => {
    const raw = example();
    expect(checkConfig(raw).config.mqtt.clean).toBeUndefined();
    raw.mqtt.clean = true;
    expect(checkConfig(raw).config.mqtt.clean).toBeUndefined();
    raw.mqtt.clean = false;
    const v4 = checkConfig(raw);
    expect([v4.errors, v4.config.mqtt.clean, v4.config.mqtt.sessionExpiry]).toEqual([[], false, undefined]);
    raw.mqtt.version = 5;
    expect(checkConfig(raw).config.mqtt).toMatchObject({ clean: false, sessionExpiry: 86400 });
    raw.mqtt.sessionExpiry = 600;
    expect(checkConfig(raw).config.mqtt).toMatchObject({ clean: false, sessionExpiry: 600 });
    for (const sessionExpiry of [0, -1, 1.5, '600', 2 ** 32])
      expect(checkConfig({ ...raw, mqtt: { ...raw.mqtt, sessionExpiry } }).errors).toEqual(['mqtt.sessionExpiry: must be whole seconds, 1 to 4294967295 (never expires)']);
    // without a 5.0 persistent session, sessionExpiry means nothing: refused, not ignored
    expect(checkConfig({ ...raw, mqtt: { ...raw.mqtt, clean: true } }).errors).toEqual(['mqtt.sessionExpiry: is for a persistent MQTT 5.0 session: "version": 5 and "clean": false']);
    expect(checkConfig({ ...raw, mqtt: { ...raw.mqtt, version: 4 } }).errors).toEqual(['mqtt.sessionExpiry: is for a persistent MQTT 5.0 session: "version": 5 and "clean": false']);
    expect(checkConfig({ ...raw, mqtt: { ...raw.mqtt, clean: 'no' } }).errors).toContain('mqtt.clean: must be true (a new session on every connection, the default) or false (a persistent session)');
    const sp = example();
    sp.node = { id: 'kitchen', format: 'sparkplug' };
    delete sp.discovery;
    sp.sparkplug = { group: 'g' };
    expect(checkConfig(sp).errors).toEqual([]);
    sp.mqtt.clean = false;
    expect(checkConfig(sp).errors).toEqual(['mqtt.clean: a Sparkplug edge node connects with a clean session: remove "clean"']);
  });

  it('a 5.0 PUBLISH has a byte more (its properties\' length): a prefix that just fits in 3.1.1 does not in 5.0', () => {
    const fits = (n: number, version?: number) => {
      const raw = example();
      raw.node.prefix = 'p'.repeat(n);
      if (version) raw.mqtt.version = version;
      return checkConfig(raw).errors.length === 0;
    };
    // the longest prefix the transmit buffer takes in 3.1.1
    let lo = 1;
    let hi = 4096;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    expect([fits(lo), fits(lo + 1)]).toEqual([true, false]);
    expect(fits(lo, 5)).toBe(false);
    expect(fits(lo - 1, 5)).toBe(true);
  });

  it('takes the sparkplug format: its own topics, QoS 0, no discovery, the Sparkplug firmware, its RAM and payload buffer counted', () => {
    const raw = example();
    raw.node = { id: 'kitchen', format: 'sparkplug' };
    delete raw.discovery;
    raw.sparkplug = { group: 'Plant 1.A', host: 'scada-1' };
    const { config, errors, ram } = checkConfig(raw);
    expect(errors).toEqual([]);
    expect(config).toMatchObject({ format: 'sparkplug', qos: 0, discovery: '', sparkplug: { group: 'Plant 1.A', host: 'scada-1' } });
    expect(firmwareFile(config, 'esp32')).toBe('dist/esp32-sparkplug.js');
    expect(firmwareFile({ ...config, mqtt: { servers: [{ protocol: 'wss' }] } }, 'esp8266')).toBe('dist/esp8266-ws-sparkplug.js');
    expect(describeConfig(config, 'esp32')[0]).toBe('board esp32, Sparkplug B edge node kitchen in group Plant 1.A, topics spBv1.0/Plant 1.A/N*/<id>, waits for primary host scada-1');
    // the payload buffer: the largest NBIRTH of these 12 metrics, with room for 64 bytes of Node Info/Error
    expect(config.sparkplug.bytes).toBeGreaterThan(400);
    expect(config.sparkplug.bytes).toBeLessThan(700);
    const board = JSON.parse(readFileSync('boards/esp32.json', 'utf8'));
    const json = checkConfig(example());
    expect(ram - json.ram).toBe(board.budget.sparkplug + Math.ceil(config.sparkplug.bytes / board.blockSize) + config.sensors.length * board.budget.sparkplugSensor);

    const bad = (change: (r: any) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const r = structuredClone(raw);
      change(r);
      return checkConfig(r).errors;
    };
    expect(bad((r) => delete r.sparkplug)).toEqual(['sparkplug: is missing: {"group": "<Sparkplug group id>"} (and "host": "<primary host id>" to wait for that host)']);
    for (const group of ['a/b', 'a+', '#', '', 'x'.repeat(65), 'a"b', 7]) expect(bad((r) => (r.sparkplug.group = group)), String(group)).toEqual([expect.stringMatching(/^sparkplug\.group: must be/)]);
    expect(bad((r) => (r.sparkplug.host = 'h/1'))).toEqual([expect.stringMatching(/^sparkplug\.host: must be/)]);
    expect(bad((r) => (r.sparkplug.primary = 'x'))).toEqual([expect.stringMatching(/^sparkplug\.primary: unknown field/)]);
    expect(bad((r) => (r.sparkplug.ntp = 'ntp server'))).toEqual([expect.stringMatching(/^sparkplug\.ntp: must be an NTP server/)]);
    expect(checkConfig({ ...raw, sparkplug: { group: 'g', ntp: '192.168.1.1' } }).config.sparkplug).toMatchObject({ group: 'g', ntp: '192.168.1.1' });
    expect(bad((r) => (r.node.prefix = 'espruino'))).toEqual([expect.stringMatching(/^node\.prefix: Sparkplug topics are/)]);
    expect(bad((r) => (r.node.qos = 1))).toEqual(['node.qos: Sparkplug publishes data at QoS 0: remove "qos"']);
    expect(bad((r) => (r.discovery = 'homeassistant'))).toEqual([expect.stringMatching(/^discovery: is Home Assistant's/)]);
    expect(bad((r) => (r.node.format = 'json'))).toEqual(['sparkplug: needs "node": {"format": "sparkplug"}']);
    // an NBIRTH that would not fit the ESP8266's transmit buffer
    expect(
      bad((r) => {
        r.board = 'esp8266';
        r.sensors = [0, 1, 2].map((i) => ({ type: 'bme280', name: `greenhouse_air_number_${i}`, sda: 4, scl: 5, addr: 0x76 + (i % 2), period: 60 }));
        r.actuators = [];
      }),
    ).toContainEqual(expect.stringMatching(/^sensors: the Sparkplug NBIRTH of this node takes up to \d+ bytes, more than the ESP8266 transmit buffer \(448\)/));
  });

  it('lets two BME280s share an I2C bus but nothing else share a pin', () => {
    const raw = example();
    raw.sensors.push({ type: 'bme280', name: 'air2', sda: 21, scl: 22, addr: 0x77, period: 60 });
    expect(checkConfig(raw).errors).toEqual([]);
    raw.sensors.push({ type: 'ds18b20', name: 'pipe', pin: 21, period: 60 });
    expect(checkConfig(raw).errors).toEqual(['sensors[6].pin: pin 21 is already used by sensors[5].sda']);
  });

  it('refuses a configuration whose discovery messages would not fit the board transmit buffer', () => {
    const raw = example();
    raw.board = 'esp8266';
    raw.node.name = 'A rather long device name for the garden shed, north side';
    raw.sensors = [{ type: 'dht22', name: 'greenhouse_climate_north', pin: 4, period: 30 }];
    raw.actuators = [];
    const { errors } = checkConfig(raw);
    expect(errors.length).toBe(2);
    expect(errors[0]).toMatch(/^discovery: the Home Assistant config for homeassistant\/sensor\/kitchen\/greenhouse_climate_north_temperature\/config is \d+ bytes, more than the ESP8266 transmit buffer \(448\)/);
  });

  it('refuses a node that would not fit the board RAM, and says what each part costs', () => {
    const raw = example();
    raw.board = 'esp8266';
    raw.sensors = [
      { type: 'dht22', name: 'climate', pin: 12, period: 30 },
      { type: 'ds18b20', name: 'water', pin: 13, period: 60 },
      { type: 'bme280', name: 'air', period: 60 }, // on the board's usual I2C pins, 4 and 5
      { type: 'analog', name: 'battery', pin: 17, period: 60 },
      { type: 'digital', name: 'door', pin: 14 },
      { type: 'digital', name: 'window', pin: 15 },
      { type: 'digital', name: 'gate', pin: 0 },
      { type: 'digital', name: 'hatch', pin: 3 },
    ];
    raw.actuators = [];
    const { errors } = checkConfig(raw);
    expect(errors).toEqual([
      'sensors: this node needs about 1409 of the 1600 blocks of RAM an ESP8266 has, and 200 more for its peaks (discovery, bursts): leave out a sensor (a BME280 costs about 192, a DS18B20 174, a DHT22 90, an analog or digital input 40) or use an ESP32',
    ]);
    // (1429 before issue 13's twenty-second session let go of the reader's packet and the socket's options)
    // without the fourth digital input: 1369, and the six parts before it 1329 (1431, refused, before issue 13's
    // twentieth session merged the firmware's message path); without the second digital input: 1289 (1391; 1402,
    // refused, before the eighteenth left the options at their defaults out of the session's fields); without
    // the first: 1249 (1351; 1421, refused, before the seventeenth let go of the client's buffers); without the
    // analog input too, 1209 (1311; 1462, refused, before the sixteenth merged the cold functions)
    raw.sensors.pop();
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1369 });
    raw.sensors.pop();
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1329 });
    raw.sensors.pop();
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1289 });
    raw.sensors.pop();
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1249 });
    raw.sensors.pop();
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1209 });
    raw.sensors.pop();
    const fits = checkConfig(raw); // a DHT22 and a DS18B20: 1017 (1037 before the twenty-second session, 1119 before the twentieth)
    expect(fits.errors).toEqual([]);
    expect(fits.ram).toBe(1017);
    // numbered readings (node.seq, for testing a node) cost their own (boards/*.json budget.seq)
    raw.node.seq = true;
    expect(checkConfig(raw).ram).toBe(1017 + 18);
    delete raw.node.seq;
    // a DHT22 and a BME280: 1035 (1055 before the twenty-second session, 1137 before the twentieth; 1409 before the CONNECT was kept as bytes)
    const ds18b20 = raw.sensors.pop()!;
    raw.sensors.push({ type: 'bme280', name: 'air', period: 60 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1035 });
    // a DHT22, a DS18B20 and an analog input: 1057 (1077 before the twenty-second session, 1159 before the twentieth; too much before the eighth)
    raw.sensors[1] = ds18b20;
    raw.sensors.push({ type: 'analog', name: 'battery', pin: 17, period: 60 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1057 });
  });

  it('fits a Sparkplug node with a DHT22, a DS18B20, an analog and two digital inputs on an ESP8266; a third makes its NBIRTH too long', () => {
    const raw = example();
    raw.board = 'esp8266';
    raw.node = { id: 'kitchen', format: 'sparkplug' };
    delete raw.discovery;
    raw.sparkplug = { group: 'g' };
    raw.actuators = [];
    raw.sensors = [{ type: 'dht22', name: 'climate', pin: 12, period: 30 }];
    // (each figure 20 higher before issue 13's twenty-second session let go of the reader's packet and the socket's
    // options, and 82 more before the twentieth merged the firmware's message path)
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1024 }); // 1404 and refused before the eighth session
    raw.sensors.push({ type: 'analog', name: 'battery', pin: 17, period: 60 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1077 });
    // (1418, refused, before issue 13's sixteenth session merged the Sparkplug payload's functions)
    raw.sensors[1] = { type: 'ds18b20', name: 'water', pin: 13, period: 60 };
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1212 });
    // (1437, refused, before the seventeenth let go of the client's buffers)
    raw.sensors.push({ type: 'analog', name: 'battery', pin: 17, period: 60 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1265 });
    // a digital input besides: 1317 (1419, refused, before the twentieth session), and a second: 1370
    raw.sensors.push({ type: 'digital', name: 'door', pin: 14 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1317 });
    raw.sensors.push({ type: 'digital', name: 'window', pin: 15 });
    expect(checkConfig(raw)).toMatchObject({ errors: [], ram: 1370 });
    raw.sensors.push({ type: 'digital', name: 'gate', pin: 0 });
    expect(checkConfig(raw).errors).toEqual([expect.stringMatching(/^sensors: the Sparkplug NBIRTH of this node takes up to \d+ bytes, more than the ESP8266 transmit buffer \(448\)/)]);
  });

  it('never shows a password', () => {
    const raw = example();
    raw.mqtt.username = 'node';
    raw.mqtt.password = 'broker-secret';
    const { config, errors } = checkConfig(raw);
    expect(errors).toEqual([]);
    const shown = describeConfig(config, 'esp32').join('\n');
    expect(shown).not.toMatch(/broker-secret|change-me-please/);
    expect(shown).toMatch(/password set/);
    const bad = example();
    bad.wifi.password = 'x';
    expect(checkConfig(bad).errors.join('\n')).not.toMatch(/"x"/);
  });
});
