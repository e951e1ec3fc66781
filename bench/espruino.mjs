// Speed on the real interpreter (ESPRUINO_BIN, see scripts/espruino.mjs), side by side with the modules this
// client means to replace. One client publishes N 16-byte messages to a topic it subscribes to, through an
// Aedes broker on 127.0.0.1, timed inside the interpreter (getTime) from the first publish to the last receipt.
// Pacings: at most 8 unanswered (topped up from the message handler), one at a time, and all N at once
// (our outbox sized to hold them). Every run is a fresh interpreter with the library loaded by require() from
// a file (the same for every library); runs alternate between libraries, in an order rotated each run, after
// one run not counted; each cell is the median of RUNS (default 3) with min and max, and the ratio is ours
// over Espruino's module's median.
// With ESPRUINO_MQTT=path/MQTT.js and ESPRUINO_TINYMQTT=path/tinyMQTT.js (from espruino/EspruinoDocs'
// modules/, supplied by the user; minified here as an upload would: nothing of them is kept in this project)
// those modules run in the same session. ROWS=name,name picks rows; N=1000 sets the message count;
// PRETOKENISE=1 turns on Espruino's pretokenised function storage first, for every library. WS=1 adds this
// library's WebSocket build over ws:// (the same broker behind the ws package). V5=1 adds the MQTT 5.0 build
// (dist/espruino-mqtt5.js) speaking 3.1.1 to Aedes, and speaking 5.0 to Mosquitto beside the 3.1.1 build
// on the same Mosquitto (Aedes speaks 3.1.1 only): the 5.0 cost against the same broker.
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minify } from 'terser';
import { Aedes } from 'aedes';
import { interpreters, run, scratch } from '../scripts/espruino.mjs';
import { listenWebSocket } from '../scripts/ws-broker.mjs';
import { startPlainMosquitto } from '../scripts/mosquitto.mjs';

const RUNS = Number(process.env.RUNS || 3);
const N = Number(process.env.N || 1000);
const BODY = '0123456789abcdef'; // 16 bytes
const TOPIC = 'bench/t';

// The libraries, each as the lines that connect, subscribe and call `ready()` once subscribed, route every
// received message to `got()`, and define `pub()`. Our outbox holds every message of the largest row.
const LIBS = {
  'espruino-mqtt': {
    file: 'dist/espruino-mqtt.js',
    qos: [0, 1],
    setup: (port, qos) => `var c = LIB.connect({ host: "127.0.0.1", port: ${port}, clientId: "bench", keepalive: 60,
  outboxMessages: ${N + 8}, outboxBytes: ${Math.min(65535, (N + 8) * 40)} });
c.on("message", function () { got(); });
c.on("connect", function () { c.subscribe("${TOPIC}", { qos: ${qos} }, function () { ready(); }); });
var opts = { qos: ${qos} };
pub = function () { c.publish("${TOPIC}", BODY, opts); };`,
  },
  // WS=1: the WebSocket build over ws:// to the same broker (served by the ws package), beside the TCP one
  'espruino-mqtt over ws': {
    file: 'dist/espruino-mqtt-ws.js',
    env: 'WS',
    qos: [0, 1],
    setup: (port, qos) => LIBS['espruino-mqtt'].setup(port, qos).replace(`host: "127.0.0.1", port: ${port}`, `url: "ws://127.0.0.1:${wsPort}/mqtt"`),
  },
  // V5=1: the MQTT 5.0 build, in 3.1.1 (Aedes), and in 5.0 beside the 3.1.1 build, both on Mosquitto
  'espruino-mqtt5 in 3.1.1': {
    file: 'dist/espruino-mqtt5.js',
    env: 'V5',
    qos: [0, 1],
    setup: (port, qos) => LIBS['espruino-mqtt'].setup(port, qos),
  },
  'espruino-mqtt via Mosquitto': {
    file: 'dist/espruino-mqtt.js',
    env: 'V5',
    qos: [0, 1],
    setup: (_port, qos) => LIBS['espruino-mqtt'].setup(mosquittoPort, qos),
  },
  'espruino-mqtt5 in 5.0 via Mosquitto': {
    file: 'dist/espruino-mqtt5.js',
    env: 'V5',
    qos: [0, 1],
    setup: (_port, qos) => LIBS['espruino-mqtt'].setup(mosquittoPort, qos).replace('keepalive: 60,', 'keepalive: 60, protocolVersion: 5,'),
  },
  // ESPRUINO_MQTT_BEFORE=path/espruino-mqtt.js: an earlier build of this library, for before/after in one run
  'espruino-mqtt before': {
    env: 'ESPRUINO_MQTT_BEFORE',
    raw: true,
    qos: [0, 1],
    setup: (port, qos) => LIBS['espruino-mqtt'].setup(port, qos),
  },
  // ESPRUINO_MQTT_WS_BEFORE=path/espruino-mqtt-ws.js: the same for the WebSocket build (with WS=1)
  'espruino-mqtt over ws before': {
    env: 'ESPRUINO_MQTT_WS_BEFORE',
    raw: true,
    qos: [0, 1],
    setup: (port, qos) => LIBS['espruino-mqtt over ws'].setup(port, qos),
  },
  MQTT: {
    env: 'ESPRUINO_MQTT',
    qos: [0, 1],
    setup: (port, qos) => `var c = LIB.create("127.0.0.1", { port: ${port}, client_id: "bench" });
c.on("publish", function () { got(); });
c.on("connected", function () { c.subscribe("${TOPIC}", { qos: ${qos} }); });
c.on("subscribed", function () { ready(); });
var opts = { qos: ${qos} };
pub = function () { c.publish("${TOPIC}", BODY, opts); };
c.connect();`,
  },
  tinyMQTT: {
    env: 'ESPRUINO_TINYMQTT',
    qos: [0],
    // no SUBACK handling: ready once the subscription has surely been taken
    setup: (port) => `var c = LIB.create("127.0.0.1", { port: ${port}, reconnect_interval: 50 });
c.on("message", function () { got(); });
c.on("connected", function () { c.subscribe("${TOPIC}"); setTimeout(ready, 300); });
pub = function () { c.publish("${TOPIC}", BODY); };
c.connect();`,
  },
};

// The rows: name, QoS, messages, and how many may be unanswered at once.
const ROWS = [
  { name: 'qos0-window8', qos: 0, n: N, window: 8, label: 'QoS 0, at most 8 unanswered' },
  { name: 'qos0-one', qos: 0, n: N, window: 1, label: 'QoS 0, one at a time' },
  { name: 'qos0-all', qos: 0, n: N, window: N, label: `QoS 0, all ${N} at once` },
  { name: 'qos1-window8', qos: 1, n: N, window: 8, label: 'QoS 1, at most 8 unanswered' },
  { name: 'qos1-one', qos: 1, n: N, window: 1, label: 'QoS 1, one at a time' },
  // the cost of a message against the depth of the queue: all at once, 10 and 100 (1000 is qos0-all)
  { name: 'qos0-all10', qos: 0, n: 10, window: 10, label: 'QoS 0, all 10 at once' },
  { name: 'qos0-all100', qos: 0, n: 100, window: 100, label: 'QoS 0, all 100 at once' },
].filter((r) => !process.env.ROWS || process.env.ROWS.split(',').includes(r.name));

// The program the interpreter runs: the library's setup, then the paced producer. A stall of 3 s without a
// receipt ends the run and reports what arrived ("@"+"@" keeps the marker out of the REPL's echo).
function program(lib, port, row) {
  return `var __run = function () {
var BODY = "${BODY}", N = ${row.n}, W = ${row.window}, sent = 0, recv = 0, t0 = 0, t1 = 0, last = 0, pub;
var finish = function () { console.log("@"+"@result " + ((t1 - t0) * 1000).toFixed(1) + " " + recv); console.log("@"+"@done"); };
var top = function () { while (sent < N && sent - recv < W) { sent++; pub(); } };
var got = function () { if (!t0) return; recv++; t1 = getTime(); last = t1; if (recv >= N) finish(); else top(); };
var ready = function () {
  console.log("@"+"@go"); t0 = getTime(); last = t0; top();
  var watch = setInterval(function () { if (getTime() - last > 3) { clearInterval(watch); if (!t1) t1 = t0; finish(); } }, 500);
};
${lib.setup(port, row.qos)}
};`;
}

async function sourceOf(name, lib) {
  if (lib.file) return !lib.env || process.env[lib.env] ? readFileSync(lib.file, 'latin1') : null;
  const file = process.env[lib.env];
  if (!file) return null;
  if (lib.raw) return readFileSync(file, 'latin1'); // built by this project: already minified
  return (await minify(readFileSync(file, 'latin1'), { ecma: 5 })).code;
}

const bins = interpreters();
// The ESP32 profile: the largest outbox row does not fit an ESP8266's heap with any library's buffers.
let bin = null;
for (const b of bins) {
  const box = scratch();
  const probe = await run(b, box.dir, ['console.log("@"+"@total", process.memory().total);'], 10000);
  box.remove();
  const total = Number((probe.marks.find((m) => m[0] === 'total') || [])[1]);
  if (total >= 4000) bin = b;
}
if (!bin) {
  console.error('bench:espruino needs an ESP32-profile interpreter (16383 blocks) in ESPRUINO_BIN');
  process.exit(2);
}

const sources = {};
for (const [name, lib] of Object.entries(LIBS)) {
  const src = await sourceOf(name, lib);
  if (src) sources[name] = src;
  else if (lib.file) console.log(`(${name}: set ${lib.env}=1 to measure it in the same run)`);
  else if (!lib.raw) console.log(`(${name}: set ${lib.env}=path/to/${name}.js to measure it in the same run)`);
}

const broker = await Aedes.createBroker();
// no Nagle on the broker side: its small acks must not wait for ours (a board's own stack is not measured here)
const server = net.createServer((s) => { s.setNoDelay(true); broker.handle(s); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const web = await listenWebSocket(broker);
const wsPort = web.address().port;
const mosquitto = process.env.V5 ? await startPlainMosquitto() : null;
const mosquittoPort = mosquitto && mosquitto.port;

async function once(name, row) {
  const box = scratch();
  const file = `bench-${name.replace(/ /g, '-')}`;
  writeFileSync(join(box.dir, 'node_modules', `${file}.js`), sources[name]);
  // PRETOKENISE=1: Espruino stores the functions it parses from then on as tokens (E.setFlags), for every library alike
  const lines = [...(process.env.PRETOKENISE === '1' ? ['E.setFlags({pretokenise: 1});'] : []), program(LIBS[name], port, row).replace(/\n/g, ' '), `var LIB = require("${file}");`, '__run();'];
  const result = await run(bin, box.dir, lines, 60000 + row.n * 60);
  box.remove();
  const r = result.marks.find((m) => m[0] === 'result');
  if (!r) return { fail: /MEMORY/.test(result.output) ? 'out of memory' : result.why };
  const ms = Number(r[1]);
  const recv = Number(r[2]);
  return recv < row.n ? { fail: `lost ${row.n - recv} of ${row.n}` } : { ms };
}

// One run first, not counted: the broker's first connections are slower (a fresh Node process), and the
// library run first would carry it. Then each run starts the rotation one library later, so none is always
// first or always after the same one.
if (ROWS.length) await once(Object.keys(sources)[0], ROWS[0]);
const results = {}; // row -> lib -> [ms...] or failure
for (let i = 0; i < RUNS; i++) {
  const order = Object.keys(sources);
  order.push(...order.splice(0, i % order.length));
  for (const row of ROWS) {
    for (const name of order) {
      if (!LIBS[name].qos.includes(row.qos)) continue;
      const cell = ((results[row.name] ||= {})[name] ||= { ms: [], fail: null });
      if (cell.fail) continue; // a library that loses messages in a row is not timed again
      const r = await once(name, row);
      if (r.fail) cell.fail = r.fail;
      else cell.ms.push(r.ms);
      process.stderr.write(`run ${i + 1}/${RUNS} ${row.name} ${name}: ${r.fail || `${r.ms} ms`}\n`);
    }
  }
}
server.close();
web.close();
await new Promise((r) => broker.close(r));
if (mosquitto) await mosquitto.close();

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (cell) => {
  const s = [...cell.ms].sort((x, y) => x - y);
  return `${(median(s) / 1000).toFixed(2)} s (${(s[0] / 1000).toFixed(2)}-${(s[s.length - 1] / 1000).toFixed(2)})`;
};
const names = Object.keys(sources);
// One table of the runs, wall time: the ratio is ours over Espruino's module's median, none where theirs is
// shorter than `least` ms.
const table = (key, cellText, least) => {
  console.log(`\n| row | ${names.join(' | ')} | ratio |`);
  console.log(`|---|${names.map(() => '---').join('|')}|---|`);
  for (const row of ROWS) {
    const cells = results[row.name] || {};
    const ours = cells['espruino-mqtt'];
    const theirs = cells.MQTT;
    const ratio = ours && theirs && ours[key].length && theirs[key].length && !ours.fail && !theirs.fail && median(theirs[key]) >= least
      ? (median(ours[key]) / median(theirs[key])).toFixed(2) : '-';
    console.log(`| ${row.label} | ${names.map((n) => (!cells[n] ? '-' : cells[n].fail || cellText(cells[n]))).join(' | ')} | ${ratio} |`);
  }
};
console.log(`\nSpeed on the real interpreter (${bin}), require() from a file, ${RUNS} runs alternated, median (min-max);`);
console.log(`ratio: espruino-mqtt's median over Espruino's MQTT module's (<= 1.00 is the target). ${BODY.length}-byte messages to itself via Aedes.`);
table('ms', fmt, 0);
// No CPU-time table: the Linux interpreter polls its sockets without sleeping while one is open (measured:
// a connected socket and nothing to do, 3 s of wall time, 3.07 s of CPU), so its CPU time equals the wall
// time whatever it does. What bounds the broker's share is Espruino's own module, timed in the same run.
// per-message cost against queue depth, and QoS 1 against QoS 0, for this client
const per = (row) => {
  const c = results[row] && results[row]['espruino-mqtt'];
  return c && c.ms.length && !c.fail ? median(c.ms) / (ROWS.find((r) => r.name === row).n) : null;
};
const depth = ['qos0-all10', 'qos0-all100', 'qos0-all'].map((r) => [r, per(r)]).filter((x) => x[1] != null);
if (depth.length > 1) {
  console.log(`\nespruino-mqtt, ms per message, all at once: ${depth.map(([r, v]) => `${ROWS.find((x) => x.name === r).n}: ${v.toFixed(2)}`).join(', ')}` +
    ` (largest/smallest ${(Math.max(...depth.map((d) => d[1])) / Math.min(...depth.map((d) => d[1]))).toFixed(2)})`);
}
for (const p of ['window8', 'one']) {
  const q0 = per(`qos0-${p}`);
  const q1 = per(`qos1-${p}`);
  if (q0 && q1) console.log(`espruino-mqtt, QoS 1 over QoS 0 (${p}): ${(q1 / q0).toFixed(2)}`);
}
