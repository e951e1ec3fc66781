// A node's configuration: checked against its board at build time, completed with defaults, and turned
// into the compact node.json the firmware reads from Storage. Every problem is reported at once, each with
// the path of the field at fault. Secrets (Wi-Fi and broker passwords) are never printed.
//
//   node scripts/node-config.mjs [--config node.json] [--board esp32] [--out dist/node.json]
//
// Without --config it checks node.json when there is one, else node.example.json (so the example stays
// valid). Exits 1 when the configuration has errors.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const BOARDS = ['esp32', 'esp8266'];

// Home Assistant's device classes, their units and state classes: the one table (src/node/ha-classes.json).
const HA = JSON.parse(readFileSync(`${root}/src/node/ha-classes.json`, 'utf8'));

// A class name for an error message: the valid ones that share its first letters, or some examples.
function suggest(cls, valid) {
  const alias = { co2: 'carbon_dioxide', co: 'carbon_monoxide', temp: 'temperature', voc: 'volatile_organic_compounds', lux: 'illuminance' }[cls];
  if (alias && valid.includes(alias)) return `did you mean ${JSON.stringify(alias)}?`;
  const near = valid.filter((v) => typeof cls === 'string' && cls.length >= 2 && (v.startsWith(cls.slice(0, 3)) || cls.startsWith(v)));
  return near.length ? `did you mean ${near.slice(0, 4).map((v) => JSON.stringify(v)).join(' or ')}?` : `for example ${valid.slice(0, 6).map((v) => JSON.stringify(v)).join(', ')}`;
}

export function loadBoard(name) {
  return JSON.parse(readFileSync(`${root}/boards/${name}.json`, 'utf8'));
}

// The fastest each sensor may be read, in seconds (DHT22: its module allows one reading per 2 s; DS18B20:
// a 12-bit conversion takes 750 ms).
const SENSORS = { dht22: 2, bme280: 1, ds18b20: 1, analog: 0.1, digital: 0 };
const ACTUATORS = ['relay', 'pwm'];
const NAME = /^[a-z0-9_]{1,24}$/;
const RESERVED = ['status', 'error'];

export function checkConfig(raw, boardName) {
  const errors = [];
  const err = (path, msg) => errors.push(`${path}: ${msg}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { errors: ['the configuration must be a JSON object'] };
  unknownKeys(raw, ['board', 'wifi', 'mqtt', 'node', 'discovery', 'sparkplug', 'sensors', 'actuators'], '', err);

  const name = boardName || raw.board;
  if (!BOARDS.includes(name)) {
    err('board', `must be one of ${BOARDS.join(', ')} (got ${JSON.stringify(raw.board)})`);
    return { errors };
  }
  if (raw.board !== undefined && boardName && raw.board !== boardName) err('board', `the file says ${raw.board}, the build asks for ${boardName}`);
  const board = loadBoard(name);
  const out = { id: '', name: '', prefix: 'espruino', format: 'json', qos: 1, discovery: 'homeassistant', mqtt: { servers: [] }, sensors: [], actuators: [] };

  if (raw.wifi !== undefined) {
    const w = raw.wifi;
    if (!isObject(w)) err('wifi', 'must be an object {"ssid", "password"}, or absent to use the Wi-Fi saved on the board');
    else {
      unknownKeys(w, ['ssid', 'password'], 'wifi.', err);
      if (typeof w.ssid !== 'string' || !w.ssid.length || Buffer.byteLength(w.ssid) > 32) err('wifi.ssid', 'must be a network name of 1 to 32 bytes');
      if (w.password === undefined) err('wifi.password', 'is missing: the network\'s password, or "" for an open network');
      else if (typeof w.password !== 'string' || (w.password.length && (w.password.length < 8 || w.password.length > 63)))
        err('wifi.password', 'must be empty (an open network) or 8 to 63 characters (WPA2)');
      out.wifi = { ssid: w.ssid };
      if (w.password) out.wifi.password = w.password;
    }
  }

  const m = raw.mqtt;
  if (!isObject(m)) err('mqtt', 'must be an object with at least "url": "mqtt://host:1883"');
  else {
    unknownKeys(m, ['url', 'urls', 'username', 'password', 'keepalive', 'clientId', 'version', 'clean', 'sessionExpiry'], 'mqtt.', err);
    const urls = m.urls !== undefined ? m.urls : m.url !== undefined ? [m.url] : [];
    if (!Array.isArray(urls) || !urls.length) err('mqtt.url', 'is missing: the broker, as "mqtt://host:1883" (or "urls": [...] to fail over)');
    else
      urls.forEach((u, i) => {
        const at = m.urls !== undefined ? `mqtt.urls[${i}]` : 'mqtt.url';
        const s = parseUrl(u);
        if (typeof s === 'string') return err(at, s);
        if ((s.protocol === 'mqtts' || s.protocol === 'wss') && !board.tls) return err(at, `${board.name} has no TLS: use ${s.protocol === 'wss' && board.budget.websocket ? 'ws' : 'mqtt'}://`);
        // (boards/*.json budget.websocket: none where the WebSocket firmware ran out of memory with no parts)
        if (s.protocol.startsWith('ws') && !board.budget.websocket)
          return err(at, `the WebSocket firmware does not fit an ${board.name}: it ran out of memory there with no sensors (in the board's own 12-byte blocks, README "Memory, in blocks"); use mqtt://, or an ESP32`);
        out.mqtt.servers.push(s);
      });
    if (m.username !== undefined) {
      if (typeof m.username !== 'string') err('mqtt.username', 'must be a string');
      else out.mqtt.username = m.username;
    }
    if (m.password !== undefined) {
      if (typeof m.password !== 'string') err('mqtt.password', 'must be a string');
      else if (m.username === undefined) err('mqtt.password', 'needs a username too [MQTT-3.1.2-22]');
      else out.mqtt.password = m.password;
    }
    if (m.keepalive !== undefined) {
      if (!isInt(m.keepalive, 0, 65535)) err('mqtt.keepalive', 'must be whole seconds, 0 to 65535 (0: none)');
      else out.mqtt.keepalive = m.keepalive;
    }
    if (m.clientId !== undefined) {
      if (typeof m.clientId !== 'string' || !/^[0-9A-Za-z]{1,23}$/.test(m.clientId))
        err('mqtt.clientId', 'must be 1 to 23 letters and digits, which every broker accepts [MQTT-3.1.3-5]; omit it to use the node id');
      else out.mqtt.clientId = m.clientId;
    }
    // 4: MQTT 3.1.1, the default; 5: MQTT 5.0, the -mqtt5 firmware (firmwareFile), which has no WebSocket
    if (m.version !== undefined) {
      if (m.version !== 4 && m.version !== 5) err('mqtt.version', `must be 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0), not ${JSON.stringify(m.version)}`);
      else if (m.version === 5 && !board.budget.mqtt5)
        err('mqtt.version', `no MQTT 5.0 firmware is built for an ${board.name} (boards/*.json budget.mqtt5): use version 4`);
      else if (m.version === 5 && out.mqtt.servers.some((s) => s.protocol.startsWith('ws')))
        err('mqtt.version', 'MQTT 5.0 firmware has no WebSocket: use mqtt:// or mqtts:// brokers, or version 4 over ws://');
      else if (m.version === 5) out.mqtt.version = 5;
    }
    // false: a persistent session: the broker keeps the node's subscriptions and queues its QoS 1 commands
    // while it is away, and a cluster member that takes over keeps them too (README, "A fleet on a cluster").
    // In 5.0 the session then lasts sessionExpiry seconds after a connection ends (a day unless given).
    if (m.clean !== undefined) {
      if (typeof m.clean !== 'boolean') err('mqtt.clean', 'must be true (a new session on every connection, the default) or false (a persistent session)');
      else if (!m.clean) out.mqtt.clean = false;
    }
    if (m.sessionExpiry !== undefined) {
      if (out.mqtt.version !== 5 || m.clean !== false) err('mqtt.sessionExpiry', 'is for a persistent MQTT 5.0 session: "version": 5 and "clean": false');
      else if (!isInt(m.sessionExpiry, 1, 4294967295)) err('mqtt.sessionExpiry', 'must be whole seconds, 1 to 4294967295 (never expires)');
    }
    if (out.mqtt.clean === false && out.mqtt.version === 5) out.mqtt.sessionExpiry = m.sessionExpiry || 86400;
  }

  const n = raw.node === undefined ? {} : raw.node;
  if (!isObject(n)) err('node', 'must be an object');
  else {
    unknownKeys(n, ['id', 'name', 'prefix', 'format', 'qos', 'seq'], 'node.', err);
    if (n.id !== undefined && n.id !== 'auto') {
      if (typeof n.id !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(n.id)) err('node.id', 'must be 1 to 32 letters, digits, "_" or "-" (or "auto": from the board serial)');
      else out.id = n.id;
    }
    if (out.id.length > 23 && !out.mqtt.clientId) err('node.id', 'is the client id too, and longer than 23 characters: set mqtt.clientId');
    out.name = n.name === undefined ? out.id || `Espruino ${board.name}` : n.name;
    if (typeof out.name !== 'string' || !/^[^"\\\x00-\x1f]{1,64}$/.test(out.name)) err('node.name', 'must be 1 to 64 characters, without quotes or backslashes');
    if (n.prefix !== undefined) {
      if (typeof n.prefix !== 'string' || !/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(n.prefix))
        err('node.prefix', 'must be topic levels of letters, digits, "_" or "-", separated by "/" (no wildcards, no leading or trailing "/")');
      else out.prefix = n.prefix;
    }
    if (n.format !== undefined) {
      if (!['json', 'plain', 'sparkplug'].includes(n.format)) err('node.format', 'must be "json" (one message per sensor), "plain" (one topic per value) or "sparkplug" (a Sparkplug B edge node)');
      else out.format = n.format;
    }
    // (boards/*.json budget.sparkplugWebsocket false: where the Sparkplug node over WebSocket ran out of memory)
    if (out.format === 'sparkplug' && board.budget.sparkplugWebsocket === false && out.mqtt.servers.some((x) => x.protocol.startsWith('ws')))
      err('node.format', `the Sparkplug node over WebSocket does not fit an ${board.name}: it ran out of memory there with no sensors (in the board's own 12-byte blocks, README "Memory, in blocks"); use an mqtt:// broker, or an ESP32`);
    if (out.format === 'sparkplug') {
      // Sparkplug has its own topics, and publishes data at QoS 0 [tck-id-topics-ndata-mqtt]
      if (n.prefix !== undefined) err('node.prefix', 'Sparkplug topics are spBv1.0/<group>/<type>/<id>: remove "prefix" (the group is sparkplug.group)');
      if (n.qos !== undefined && n.qos !== 0) err('node.qos', 'Sparkplug publishes data at QoS 0: remove "qos"');
      out.qos = 0;
      // [tck-id-principles-persistence-clean-session-311] [tck-id-principles-persistence-clean-session-50]
      if (out.mqtt.clean === false) err('mqtt.clean', 'a Sparkplug edge node connects with a clean session: remove "clean"');
    }
    if (n.seq !== undefined) {
      if (typeof n.seq !== 'boolean') err('node.seq', 'must be true or false');
      else if (n.seq && out.format !== 'json') err('node.seq', 'needs the json format');
      else if (n.seq) out.seq = true;
    }
    if (n.qos !== undefined) {
      if (n.qos !== 0 && n.qos !== 1) err('node.qos', 'must be 0 or 1 (the QoS of readings)');
      else out.qos = n.qos;
    }
  }

  if (out.format === 'sparkplug') {
    const sp = raw.sparkplug;
    // ids are topic levels: no "+", "/" or "#" [tck-id-topic-structure-namespace-valid-group-id]; kept to
    // printable ASCII here, without quotes (they go into JSON and into the board's source)
    const ID = /^[\x20\x21\x24-\x2a\x2c-\x2e\x30-\x5b\x5d-\x7e]{1,64}$/;
    if (!isObject(sp)) err('sparkplug', 'is missing: {"group": "<Sparkplug group id>"} (and "host": "<primary host id>" to wait for that host)');
    else {
      unknownKeys(sp, ['group', 'host', 'ntp'], 'sparkplug.', err);
      if (typeof sp.group !== 'string' || !ID.test(sp.group)) err('sparkplug.group', 'must be 1 to 64 printable characters, without "+", "/", "#" or quotes');
      if (sp.host !== undefined && (typeof sp.host !== 'string' || !ID.test(sp.host))) err('sparkplug.host', 'must be 1 to 64 printable characters, without "+", "/", "#" or quotes');
      // the NTP server that sets the board's clock (Sparkplug timestamps are UTC): pool.ntp.org unless given
      if (sp.ntp !== undefined && (typeof sp.ntp !== 'string' || !/^[A-Za-z0-9.-]{1,64}$/.test(sp.ntp))) err('sparkplug.ntp', 'must be an NTP server\'s host name or IPv4 address, such as "pool.ntp.org" or "192.168.1.1"');
      out.sparkplug = { group: sp.group };
      if (sp.host) out.sparkplug.host = sp.host;
      if (sp.ntp) out.sparkplug.ntp = sp.ntp;
    }
    if (raw.discovery !== undefined && raw.discovery !== false) err('discovery', 'is Home Assistant\'s: a Sparkplug node announces itself with NBIRTH; remove "discovery"');
    out.discovery = '';
  } else if (raw.sparkplug !== undefined) err('sparkplug', 'needs "node": {"format": "sparkplug"}');
  if (raw.discovery !== undefined && out.format !== 'sparkplug') {
    if (raw.discovery === false) out.discovery = '';
    else if (typeof raw.discovery !== 'string' || !/^[A-Za-z0-9_-]+$/.test(raw.discovery)) err('discovery', 'must be the Home Assistant discovery prefix ("homeassistant") or false');
    else out.discovery = raw.discovery;
  }

  const names = new Map();
  const pins = new Map(); // pin -> what uses it
  const claim = (pin, path, shareable) => {
    const was = pins.get(pin);
    if (pin === board.led) err(path, `pin ${pin} is the ${board.name} status LED`);
    else if (was && !(shareable && was.shareable === shareable)) err(path, `pin ${pin} is already used by ${was.path}`);
    else pins.set(pin, { path, shareable });
  };
  const named = (x, path) => {
    if (typeof x.name !== 'string' || !NAME.test(x.name)) err(`${path}.name`, 'must be 1 to 24 lower-case letters, digits or "_" (it is a topic level)');
    else if (RESERVED.includes(x.name)) err(`${path}.name`, `"${x.name}" is a topic the node uses itself`);
    else if (names.has(x.name)) err(`${path}.name`, `"${x.name}" is already the name of ${names.get(x.name)}`);
    else names.set(x.name, path);
  };
  const pinOf = (x, key, path, kind) => {
    const p = parsePin(x[key]);
    if (x[key] === undefined) err(`${path}.${key}`, `is missing: the ${kind} pin (a GPIO number such as 4, or "D4"${kind === 'analog' ? ', "A0"' : ''})`);
    else if (p === null) err(`${path}.${key}`, `${JSON.stringify(x[key])} is not a pin: use a GPIO number such as 4, or "D4"`);
    else if (!board.pins[kind].includes(p))
      err(`${path}.${key}`, `pin ${p} cannot be ${kind === 'watch' ? 'watched for changes' : `used as ${kind}`} on ${board.name}; ${kind} pins: ${board.pins[kind].join(', ')}`);
    else return p;
    return undefined;
  };

  list(raw.sensors, 'sensors', err).forEach((s, i) => {
    const path = `sensors[${i}]`;
    if (!isObject(s)) return err(path, 'must be an object');
    if (!(s.type in SENSORS)) return err(`${path}.type`, `unknown sensor type ${JSON.stringify(s.type)}; known: ${Object.keys(SENSORS).join(', ')}`);
    const common = ['type', 'name', 'period', 'decimals'];
    const extra = { dht22: ['pin'], ds18b20: ['pin'], bme280: ['sda', 'scl', 'addr'], analog: ['pin', 'scale', 'offset', 'samples', 'unit', 'class'], digital: ['pin', 'debounce', 'pull', 'inverted', 'class'] }[s.type];
    unknownKeys(s, common.concat(extra), `${path}.`, err);
    named(s, path);
    const o = { type: s.type, name: s.name };
    if (s.type === 'bme280') {
      // the board's usual I2C pins unless given
      o.sda = pinOf({ sda: board.i2c.sda, ...s }, 'sda', path, 'output');
      o.scl = pinOf({ scl: board.i2c.scl, ...s }, 'scl', path, 'output');
      const bus = `i2c:${o.sda}/${o.scl}`;
      if (o.sda !== undefined) claim(o.sda, `${path}.sda`, bus);
      if (o.scl !== undefined) claim(o.scl, `${path}.scl`, bus);
      if (s.addr !== undefined && s.addr !== 0x76 && s.addr !== 0x77) err(`${path}.addr`, 'must be 118 (0x76) or 119 (0x77)');
      if (s.addr) o.addr = s.addr; // else the module's default, 0x76
    } else {
      const kind = s.type === 'analog' ? 'analog' : s.type === 'digital' ? 'watch' : 'output';
      o.pin = pinOf(s, 'pin', path, kind);
      // a DHT22 both drives and watches its one wire
      if (s.type === 'dht22' && o.pin !== undefined && !board.pins.watch.includes(o.pin)) err(`${path}.pin`, `pin ${o.pin} cannot be watched on ${board.name}, which the DHT22 module needs`);
      if (o.pin !== undefined) claim(o.pin, `${path}.pin`, s.type === 'ds18b20' ? `onewire:${o.pin}` : undefined);
    }
    if (s.type === 'digital') {
      if (s.period !== undefined) err(`${path}.period`, 'a digital input is published when it changes: remove "period"');
      if (s.debounce !== undefined && !isInt(s.debounce, 0, 1000)) err(`${path}.debounce`, 'must be 0 to 1000 ms');
      if (s.debounce !== undefined) o.debounce = s.debounce;
      for (const k of ['pull', 'inverted']) if (s[k] !== undefined && typeof s[k] !== 'boolean') err(`${path}.${k}`, 'must be true or false');
      if (s.pull) o.pull = true;
      if (s.inverted) o.inverted = true;
    } else {
      const min = SENSORS[s.type];
      if (s.period === undefined) err(`${path}.period`, 'is missing: seconds between readings');
      else if (typeof s.period !== 'number' || !isFinite(s.period)) err(`${path}.period`, `must be a number of seconds (${JSON.stringify(Number(s.period) || 60)}, not ${JSON.stringify(s.period)})`);
      else if (s.period < min || s.period > 86400)
        err(`${path}.period`, `${s.period} s is ${s.period < min ? `too short for a ${s.type} (at least ${min} s)` : 'out of range (at most 86400 s)'}`);
      o.period = s.period;
    }
    if (s.type === 'analog') {
      for (const k of ['scale', 'offset']) if (s[k] !== undefined && (typeof s[k] !== 'number' || !isFinite(s[k]))) err(`${path}.${k}`, 'must be a number');
      if (s.samples !== undefined && !isInt(s.samples, 1, 64)) err(`${path}.samples`, 'must be 1 to 64');
      if (s.unit !== undefined && (typeof s.unit !== 'string' || !/^[^"\\\x00-\x1f]{1,8}$/.test(s.unit))) err(`${path}.unit`, 'must be 1 to 8 characters, without quotes');
      if (s.scale !== undefined) o.scale = s.scale;
      if (s.offset) o.offset = s.offset;
      if (s.samples > 1) o.samples = s.samples;
      if (s.unit) o.unit = s.unit;
    }
    if (s.type === 'digital' && s.class !== undefined) {
      // a binary_sensor in Home Assistant: only its classes, else the entity is dropped there, silently
      if (!HA.binary_sensor.includes(s.class)) err(`${path}.class`, `${JSON.stringify(s.class)} is not a Home Assistant binary_sensor device class; ${suggest(s.class, HA.binary_sensor)}`);
      else o.class = s.class;
    }
    if (s.type === 'analog') {
      // a sensor in Home Assistant: the class must be one of its numeric classes, the unit one the class allows,
      // and the state class one the class allows (a meter such as energy is total_increasing)
      const known = Object.keys(HA.sensor);
      const entry = s.class === undefined ? null : HA.sensor[s.class];
      if (s.class !== undefined && !entry) {
        if (HA.sensorNotNumbers.includes(s.class)) err(`${path}.class`, `${JSON.stringify(s.class)} is not for numbers: an analog input reports numbers`);
        else err(`${path}.class`, `${JSON.stringify(s.class)} is not a Home Assistant sensor device class; ${suggest(s.class, known)}`);
      } else if (entry) {
        o.class = s.class;
        const units = entry[0];
        if (!units.includes(s.unit || '')) {
          const allowed = units.filter((u) => u).map((u) => JSON.stringify(u));
          err(`${path}.unit`, `${s.unit === undefined ? 'is missing' : `${JSON.stringify(s.unit)} is not a unit`} for class ${s.class}: ${allowed.length ? `use ${allowed.join(', ')}` : 'it has no unit: remove "unit"'}${units.includes('') && allowed.length ? ', or none' : ''}`);
        }
      }
      // what Home Assistant records (statistics): none for a class that takes none
      o.stateClass = entry ? entry[1] : 'measurement';
    }
    if (s.decimals !== undefined) {
      if (!isInt(s.decimals, 0, 6)) err(`${path}.decimals`, 'must be 0 to 6');
      else o.decimals = s.decimals;
    }
    out.sensors.push(o);
  });

  list(raw.actuators, 'actuators', err).forEach((a, i) => {
    const path = `actuators[${i}]`;
    if (!isObject(a)) return err(path, 'must be an object');
    if (!ACTUATORS.includes(a.type)) return err(`${path}.type`, `unknown actuator type ${JSON.stringify(a.type)}; known: ${ACTUATORS.join(', ')}`);
    unknownKeys(a, ['type', 'name', 'pin', 'inverted', 'initial'].concat(a.type === 'pwm' ? ['freq'] : []), `${path}.`, err);
    named(a, path);
    const o = { type: a.type, name: a.name, pin: pinOf(a, 'pin', path, a.type === 'pwm' ? 'pwm' : 'output') };
    if (a.type === 'pwm') o.level = 100; // the level ON restores
    if (a.inverted) o.inverted = true;
    if (o.pin !== undefined) claim(o.pin, `${path}.pin`);
    if (a.inverted !== undefined && typeof a.inverted !== 'boolean') err(`${path}.inverted`, 'must be true or false');
    if (a.initial !== undefined) {
      if (a.initial === 'ON' || a.initial === 'OFF') {
        if (a.initial === 'ON') o.active = true;
      }
      else if (a.type === 'pwm' && isInt(a.initial, 0, 100)) {
        if (a.initial > 0) o.active = true;
        o.level = a.initial || 100;
      } else err(`${path}.initial`, a.type === 'pwm' ? 'must be "ON", "OFF" or a level 0 to 100' : 'must be "ON" or "OFF"');
    }
    if (a.type === 'pwm') {
      if (a.freq !== undefined && !isInt(a.freq, 1, 40000)) err(`${path}.freq`, 'must be 1 to 40000 Hz');
      if (a.freq) o.freq = a.freq; // else 1000 Hz
    }
    out.actuators.push(o);
  });

  if (!errors.length) checkSizes(out, board, err);
  const ram = estimateBlocks(out, board);
  const perSensor = board.budget.sensor + (out.sparkplug ? board.budget.sparkplugSensor : 0);
  if (!errors.length && ram + board.budget.headroom > board.blocks)
    err('sensors', `this node needs about ${ram} of the ${board.blocks} blocks of RAM an ${board.name} has, and ${board.budget.headroom} more for its peaks (${out.sparkplug ? 'commands' : 'discovery'}, bursts): leave out a sensor (a BME280 costs about ${perSensor + board.budget.modules.bme280}, a DS18B20 ${perSensor + board.budget.modules.ds18b20}, a DHT22 ${perSensor + board.budget.modules.dht22}, an analog or digital input ${perSensor})${firmwareFile(out, '').includes('-ws') ? `, use mqtt:// (a ws:// broker takes ${board.budget.websocket} of it)` : ''}${out.mqtt.version === 5 ? `, use MQTT 3.1.1 (mqtt.version 5 takes ${board.budget.mqtt5} of it)` : ''} or use an ESP32`);
  return { config: out, board, errors, ram };
}

// RAM when connected, in blocks, from figures measured on the interpreter (npm run bench:memory, the
// "node" rows): the firmware with a connected client (and what its WebSocket build adds, when a broker is
// ws:// or wss://), plus each sensor and actuator, plus the code of the
// Espruino module a sensor needs (minified, loaded from Storage). budget.blockSize is the block size of the
// interpreter build they were measured on; where it is larger than the board's own (a 64-bit Linux build has
// 16-byte blocks, an ESP32 14), the board's fixed buffers take more blocks than measured, and that is added.
// It is a lower bound: strings grow too (on the ESP8266, 31 blocks for its buffers of ~100 in all), which is
// why the ESP8266's budget is measured in its own 12-byte blocks; the ESP32's 16383 leave room to spare.
export function estimateBlocks(cfg, board) {
  const b = board.budget;
  const ws = firmwareFile(cfg, '').includes('-ws'); // the WebSocket firmware, for a ws:// or wss:// broker
  // (the fixed buffers: the outbox, and the WebSocket layer's frame buffer, which grows to the longest frame
  // and stays; the client holds no receive or transmit buffer, client/outbound.ts and codec/reader.ts)
  const buffers = board.outboxBytes + (ws ? board.txBuffer : 0);
  let n = b.connected + Math.ceil(buffers / board.blockSize - buffers / b.blockSize) + cfg.actuators.length * b.actuator;
  if (ws) n += b.websocket;
  if (cfg.mqtt.version === 5) n += b.mqtt5; // the 5.0 client's code and state
  if (cfg.seq) n += b.seq; // numbered readings (npm run hil): the drop counter's closure and what it keeps
  // the Sparkplug node's code and its payload buffer (sized at build time, in checkSizes)
  if (cfg.sparkplug) n += b.sparkplug + Math.ceil((cfg.sparkplug.bytes || board.txBuffer) / board.blockSize);
  // (a Sparkplug node keeps each sensor's last values and their time, for its NBIRTH)
  for (const s of cfg.sensors) n += b.sensor + (b.modules[s.type] || 0) + (cfg.sparkplug ? b.sparkplugSensor : 0);
  return n;
}

// Every message the node sends must fit the board's transmit buffer; the discovery configs are the largest.
function checkSizes(cfg, board, err) {
  const host = createRequire(import.meta.url)('../dist/host.cjs');
  const id = cfg.id || 'esp0123456789ab';
  const v5 = cfg.mqtt.version === 5;
  if (cfg.sparkplug) {
    // the firmware lays every payload out in a buffer of this size; the NBIRTH is the largest
    const bytes = (cfg.sparkplug.bytes = sparkplugBirthBytes(cfg, host.quantities));
    const size = publishSize(`spBv1.0/${cfg.sparkplug.group}/NBIRTH/${id}`, 'x'.repeat(bytes), v5);
    if (size > board.txBuffer)
      err('sensors', `the Sparkplug NBIRTH of this node takes up to ${size} bytes, more than the ${board.name} transmit buffer (${board.txBuffer}): shorten the names or sparkplug.group, or leave out a sensor`);
    return;
  }
  for (let i = 0; ; i++) {
    const m = host.discoveryMessage(cfg, id, board.name, 'esp0123456789ab', i);
    if (!m) break;
    const size = publishSize(m[0], m[1], v5);
    if (size > board.txBuffer)
      err('discovery', `the Home Assistant config for ${m[0]} is ${size} bytes, more than the ${board.name} transmit buffer (${board.txBuffer}): shorten node.name, node.prefix or the names`);
  }
  const will = publishSize(`${cfg.prefix}/${id}/status`, 'offline', v5);
  if (will > board.txBuffer) err('node.prefix', 'is too long for the board');
}

// The largest NBIRTH the Sparkplug node (src/node/sparkplug.ts) can send, every field at its longest:
// timestamps of 7 varint bytes (to the year 19800), an alias of 2, 'Node Info/Error' of 64 bytes.
export function sparkplugBirthBytes(cfg, quantities) {
  const metric = (name, value) => {
    const body = 2 + name.length + 3 + 8 + 2 + value; // name, alias, timestamp, datatype, value
    return 1 + (body < 128 ? 1 : 2) + body;
  };
  let n = 8 + 2 + metric('bdSeq', 3) + metric('Node Control/Rebirth', 2); // timestamp, seq 0
  for (const s of cfg.sensors) for (const q of quantities(s)) n += metric(`${s.name}/${q}`, s.type === 'digital' ? 2 : 9);
  for (const a of cfg.actuators) n += metric(`${a.name}/state`, 2) + (a.type === 'pwm' ? metric(`${a.name}/brightness`, 2) : 0);
  return n + metric('Node Info/Error', 2 + 64);
}

// A PUBLISH at QoS 1 (5.0: with its properties' length, one byte for none).
function publishSize(topic, payload, v5) {
  const body = 2 + Buffer.byteLength(topic) + 2 + (v5 ? 1 : 0) + Buffer.byteLength(payload);
  return 1 + (body < 128 ? 1 : body < 16384 ? 2 : 3) + body;
}

const DEFAULT_PORTS = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

// mqtt:// and mqtts:// (no path), ws:// and wss:// (a path, '/mqtt' when none is given, as MQTT.js does).
function parseUrl(u) {
  // a path is printable ASCII with no fragment (RFC 6455 3); an IPv6 address goes in brackets
  const m = typeof u === 'string' && /^(mqtts?|wss?):\/\/([A-Za-z0-9.-]+|\[([0-9a-fA-F]*:[0-9a-fA-F:]*)\])(?::(\d{1,5}))?(\/[\x21\x22\x24-\x7e]*)?$/.exec(u);
  const web = m && m[1].startsWith('ws');
  if (!m || (!web && m[5] && m[5] !== '/'))
    return `${JSON.stringify(u)} is not a broker URL such as "mqtt://192.168.1.10:1883", "mqtts://broker.lan:8883" or "ws://broker.lan:8080/mqtt" (credentials go in "username" and "password")`;
  const port = m[4] ? Number(m[4]) : DEFAULT_PORTS[m[1]];
  if (port < 1 || port > 65535) return `port ${port} is out of range`;
  const server = { host: m[3] || m[2], port, protocol: m[1] };
  if (web) server.path = m[5] || '/mqtt';
  return server;
}

// The firmware a node runs: the board bundle; its WebSocket build when a broker URL is ws:// or wss://
// (the TCP build has none of the WebSocket code, and refuses those URLs); its Sparkplug B build for the
// sparkplug format (the Home Assistant node has none of it); its MQTT 5.0 build for "mqtt": {"version": 5}
// (the 3.1.1 builds have none of 5.0's code).
export function firmwareFile(config, board) {
  const ws = config.mqtt.servers.some((s) => s.protocol.startsWith('ws')) ? '-ws' : '';
  return `dist/${board}${ws}${config.format === 'sparkplug' ? '-sparkplug' : ''}${config.mqtt.version === 5 ? '-mqtt5' : ''}.js`;
}

// A GPIO number, or "D4" / "GPIO4" / "A0" (the ESP8266's ADC is pin 17 to Espruino).
function parsePin(p) {
  if (typeof p === 'number') return Number.isInteger(p) && p >= 0 && p < 40 ? p : null;
  if (typeof p !== 'string') return null;
  if (p === 'A0') return 17;
  const m = /^(?:D|GPIO)(\d{1,2})$/.exec(p);
  return m ? Number(m[1]) : null;
}

function list(x, path, err) {
  if (x === undefined) return [];
  if (!Array.isArray(x)) {
    err(path, 'must be a list');
    return [];
  }
  return x;
}

function unknownKeys(o, known, prefix, err) {
  for (const k of Object.keys(o)) if (!known.includes(k)) err(prefix + k, `unknown field (known: ${known.join(', ')})`);
}

const isObject = (x) => !!x && typeof x === 'object' && !Array.isArray(x);
const isInt = (x, lo, hi) => Number.isInteger(x) && x >= lo && x <= hi;

// A configuration file as JSON. Throws an Error naming the file and, for a syntax error, the line and
// column (Node's own message gives only a character position).
export function readConfigFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: ${e.code === 'ENOENT' ? 'not found' : e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /at position (\d+)/.exec(e.message);
    const where = at ? text.slice(0, Number(at[1])).split('\n') : null;
    const reason = e.message.replace(/ in JSON at position \d+.*$/, '');
    throw new Error(`${file}: not valid JSON${where ? ` at line ${where.length}, column ${where[where.length - 1].length + 1}` : ''}: ${reason}`);
  }
}

// A node's configuration file for a board, pointed at a broker (`node` fields override the file's, and
// `transform(raw)` may change the rest before it is checked): what npm start and npm run hil run. Throws
// when the file cannot be read as JSON.
export function configAt(file, board, url, node = {}, transform) {
  const raw = readConfigFile(file);
  const fileBoard = raw.board; // the board the file names, if any: the caller says when it differs
  raw.board = board;
  raw.mqtt = { ...(raw.mqtt || {}), url };
  delete raw.mqtt.urls;
  raw.node = { ...(raw.node || {}), ...node };
  if (transform) transform(raw);
  return { ...checkConfig(raw), raw, fileBoard };
}

// What may be shown of a configuration: no passwords.
export function describe(cfg, boardName) {
  const board = loadBoard(boardName);
  const lines = [
    cfg.sparkplug
      ? `board ${boardName}, Sparkplug B edge node ${cfg.id || '(from the board serial)'} in group ${cfg.sparkplug.group}, topics spBv1.0/${cfg.sparkplug.group}/N*/<id>${cfg.sparkplug.host ? `, waits for primary host ${cfg.sparkplug.host}` : ''}`
      : `board ${boardName}, node ${cfg.id || '(from the board serial)'} "${cfg.name}", topics ${cfg.prefix}/<id>/, readings ${cfg.format} QoS ${cfg.qos}`,
  ];
  lines.push(`broker ${cfg.mqtt.servers.map((s) => `${s.protocol}://${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}${s.path || ''}`).join(', ')}${cfg.mqtt.version === 5 ? ', MQTT 5.0' : ''}${cfg.mqtt.username ? `, user ${cfg.mqtt.username}` : ''}${cfg.mqtt.password ? ', password set' : ''}`);
  if (cfg.wifi) lines.push(`Wi-Fi "${cfg.wifi.ssid}"${cfg.wifi.password ? ', password set' : ', open'}`);
  // the ESP8266's ADC is pin 17 to Espruino, "A0" to its user
  const pinName = (s) => (s.type === 'analog' && boardName === 'esp8266' && s.pin === 17 ? 'A0' : s.pin);
  for (const s of cfg.sensors) lines.push(`sensor ${s.name}: ${s.type} ${s.pin !== undefined ? `pin ${pinName(s)}` : `sda ${s.sda} scl ${s.scl}`}${s.period ? `, every ${s.period} s` : ', on change'}`);
  for (const a of cfg.actuators) lines.push(`actuator ${a.name}: ${a.type} pin ${a.pin}`);
  if (!cfg.sparkplug) lines.push(cfg.discovery ? `Home Assistant discovery under ${cfg.discovery}/` : 'no Home Assistant discovery');
  lines.push(`RAM when connected: about ${estimateBlocks(cfg, board)} of ${board.blocks} blocks`);
  return lines;
}

function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const k = args.indexOf(`--${name}`);
    return k >= 0 ? args[k + 1] : undefined;
  };
  const file = opt('config') || (existsSync('node.json') ? 'node.json' : 'node.example.json');
  const out = opt('out') || (file.endsWith('example.json') ? undefined : 'dist/node.json');
  let raw;
  try {
    raw = readConfigFile(file);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  const { config, errors } = checkConfig(raw, opt('board'));
  if (errors.length) {
    console.error(`${file}: ${errors.length} problem${errors.length > 1 ? 's' : ''}:\n  ${errors.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`${file}: valid. ${describe(config, opt('board') || raw.board).join('\n  ')}`);
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(config));
    console.log(`wrote ${out} (${JSON.stringify(config).length} bytes; npm run flash stores it on the board)`);
  } else console.log('(no node.json yet: copy node.example.json, or node.esp8266.example.json, to node.json and edit it)');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
