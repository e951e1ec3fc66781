// RAM of the sensor-node firmware in blocks, on the real interpreter (ESPRUINO_BIN, see scripts/espruino.mjs):
// the board bundle as boot code, node.json in Storage, connected to Aedes on 127.0.0.1. For each board
// profile: no sensors, then one of each sensor and actuator alone, so the rows give the figures of the RAM
// budget in boards/*.json (`budget`: connected, sensor, actuator; websocket: the WebSocket firmware over
// ws:// against the TCP one, no parts; mqtt5: the MQTT 5.0 firmware against the 3.1.1 one, no parts, both
// against Mosquitto since Aedes speaks 3.1.1 only). Sensor modules are stand-ins here
// (scripts/espruino-node.mjs); with ESPRUINO_MODULES=/path/to/EspruinoDocs/devices the real modules'
// own cost is measured too (`budget.modules`), minified and loaded from Storage as an upload leaves them.
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { Aedes } from 'aedes';
import { minify } from 'terser';
import { interpreters, run, scratch } from '../scripts/espruino.mjs';
import { listenWebSocket } from '../scripts/ws-broker.mjs';
import { startPlainMosquitto } from '../scripts/mosquitto.mjs';
import { SENSOR_MODULES, moduleBlocks, nodeLines } from '../scripts/espruino-node.mjs';
import { checkConfig, firmwareFile, loadBoard } from '../scripts/node-config.mjs';

const bins = interpreters();
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

// The same broker over WebSocket, for the WebSocket firmware.
const web = await listenWebSocket(broker);

// Each variant: the committed example cut down to the parts named; 'ws': no parts, a ws:// broker (the
// WebSocket firmware, dist/<board>-ws.js); 'sparkplug': no parts, the Sparkplug B node
// (dist/<board>-sparkplug.js), and 'sparkplug+<part>' with one part, whose cost is against 'sparkplug';
// 'mqtt5' and 'sparkplug+mqtt5': no parts, "mqtt": {"version": 5} (dist/<board>[-sparkplug]-mqtt5.js),
// against 'mqtt4' and 'sparkplug+mqtt4', the 3.1.1 firmware on the same broker (Mosquitto: Aedes speaks
// 3.1.1 only). VARIANTS=none,ws picks some.
const VARIANTS = ['none', 'ws', 'mqtt4', 'mqtt5', 'sparkplug', 'sparkplug+analog', 'sparkplug+relay', 'sparkplug+mqtt4', 'sparkplug+mqtt5', 'dht22', 'bme280', 'ds18b20', 'analog', 'digital', 'relay', 'pwm'].filter((v) => !process.env.VARIANTS || process.env.VARIANTS.split(',').includes(v));
// MQTT 5.0 needs a 5.0 broker
const mosquitto = VARIANTS.some((v) => /mqtt[45]$/.test(v)) ? await startPlainMosquitto() : null;
function configFor(board, name) {
  const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
  const sparkplug = name.startsWith('sparkplug');
  const variant = sparkplug ? name.split('+')[1] : name;
  if (sparkplug) {
    raw.node = { id: raw.node.id, format: 'sparkplug' };
    delete raw.discovery;
    raw.sparkplug = { group: 'Plant1' };
  }
  raw.board = board;
  raw.mqtt = { url: variant === 'ws' ? `ws://127.0.0.1:${web.address().port}/mqtt` : `mqtt://127.0.0.1:${/^mqtt[45]$/.test(variant) ? mosquitto.port : port}` };
  if (variant === 'mqtt5') raw.mqtt.version = 5;
  const pins = board === 'esp8266' ? { dht22: 12, ds18b20: 13, analog: 'A0', digital: 14, relay: 15, pwm: 0 } : {};
  raw.sensors = raw.sensors.filter((s) => s.type === variant).map((s) => (pins[s.type] !== undefined ? { ...s, pin: pins[s.type] } : s));
  raw.actuators = raw.actuators.filter((a) => a.type === variant).map((a) => (pins[a.type] !== undefined ? { ...a, pin: pins[a.type] } : a));
  if (board === 'esp8266') for (const s of raw.sensors) if (s.type === 'bme280') delete s.sda, delete s.scl;
  const { config, errors } = checkConfig(raw);
  // measured even where the estimate says it would not fit: the measurement is what corrects the estimate
  const real = errors.filter((e) => !/blocks of RAM/.test(e));
  if (real.length) throw new Error(`${board} ${variant}: ${real.join('; ')}`);
  return config;
}

// After 4 s connected (discovery and first readings done): the steady usage, and the highest usage seen
// every 5 ms until then.
const PROBE = `var __mx = 0, __iv = setInterval(function () { var u = process.memory().usage; if (u > __mx) __mx = u; }, 5);
setTimeout(function () { clearInterval(__iv); console.log("@" + "@mem " + process.memory().usage + " " + __mx); console.log("@" + "@done"); }, 4000);`;

const rows = [];
for (const bin of bins) {
  const probe = await run(bin, scratch().dir, ['console.log("@"+"@total", process.memory().total, process.memory().blocksize);'], 10000);
  const mark = probe.marks.find((m) => m[0] === 'total') || [];
  const total = Number(mark[1]);
  const blocksize = Number(mark[2]);
  const board = total >= 4000 ? 'esp32' : 'esp8266';
  for (const variant of VARIANTS) {
    // MQTT 5.0 firmware for the ESP32 only (boards/*.json budget.mqtt5); to try another board, build one
    if (variant.endsWith('mqtt5') && !loadBoard(board).budget.mqtt5) continue;
    if (variant === 'ws' && !loadBoard(board).budget.websocket) continue;
    const box = scratch();
    const config = configFor(board, variant);
    const r = await run(bin, box.dir, nodeLines(readFileSync(firmwareFile(config, board), 'latin1'), config, PROBE), 30000);
    box.remove();
    const m = r.marks.find((x) => x[0] === 'mem');
    rows.push({ bin, blocksize, board, total, variant, steady: m ? Number(m[1]) : null, peak: m ? Number(m[2]) : null, why: r.why });
  }
  const devices = process.env.ESPRUINO_MODULES;
  if (devices) {
    for (const name of Object.keys(SENSOR_MODULES)) {
      const file = `${devices}/${name}.js`;
      if (!existsSync(file)) continue;
      const blocks = await moduleBlocks(bin, name, (await minify(readFileSync(file, 'latin1'), { ecma: 5 })).code);
      rows.push({ bin, blocksize, board, total, variant: `module ${name}`, steady: blocks, peak: null, why: blocks == null ? 'no figure' : 'done' });
    }
  }
}
server.close();
web.close();
if (mosquitto) await mosquitto.close();
await new Promise((r) => broker.close(r));

console.log('\nSensor-node firmware RAM in blocks (process.memory().usage), boot code, connected, discovery and first readings done');
console.log('board        total  parts            steady   peak   cost   budget in boards/*.json');
for (const r of rows) {
  // a part's cost against the same interpreter's baseline: two builds of one board (16- and 12-byte
  // blocks) have different ones
  const part = r.variant.split('+')[1];
  const base = /mqtt5$/.test(r.variant) ? r.variant.replace(/5$/, '4') : part && r.variant.startsWith('sparkplug') ? 'sparkplug' : 'none';
  const none = rows.find((x) => x.bin === r.bin && x.variant === base);
  const board = loadBoard(r.board);
  const b = board.budget;
  const isModule = r.variant.startsWith('module');
  const cost = r.steady == null ? '' : r.variant === 'none' ? '' : isModule ? String(r.steady) : !none || none.steady == null ? '?' : String(r.steady - none.steady);
  // the Sparkplug node: its code, and its payload buffer as node-config sizes it for no parts
  const spBuffer = r.variant === 'sparkplug' ? `${b.sparkplug} + ${Math.ceil(configFor(r.board, 'sparkplug').sparkplug.bytes / board.blockSize)}` : '';
  const kind = part || r.variant;
  const budget = r.variant === 'none' ? b.connected : r.variant === 'ws' ? b.websocket : kind === 'mqtt5' ? b.mqtt5 : kind === 'mqtt4' ? '' : spBuffer || (isModule ? b.modules[r.variant.slice(7).toLowerCase()] : ['relay', 'pwm'].includes(kind) ? b.actuator : b.sensor);
  const shown = r.steady == null ? `failed (${r.why})` : `${String(r.steady).padStart(6)} ${String(r.peak ?? '').padStart(6)} ${cost.padStart(6)}`;
  console.log(`${`${r.board}/${r.blocksize}B`.padEnd(12)} ${String(r.total).padStart(5)}  ${r.variant.padEnd(15)} ${shown}   ${budget}`);
}
