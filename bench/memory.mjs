// RAM in Espruino's own units (blocks), measured on the real interpreter (ESPRUINO_BIN, see
// scripts/espruino.mjs): before loading, after loading, connected and subscribed, after 1,000 QoS 0 and 1,000
// QoS 1 messages through an Aedes broker, and a burst of 1,000 200-byte publishes. Two deployments: the
// module loaded with require() from a file, and the same code stored as boot code, run from flash.
// With ESPRUINO_MQTT=/path/to/EspruinoDocs/modules/MQTT.js, Espruino's own MQTT module (the anchor of the
// targets) is measured the same way, minified here as an upload would: nothing of it is kept in this project.
// MODES=boot (or require) runs one deployment only. TRANSPORTS=tcp,ws measures the WebSocket build
// (dist/espruino-mqtt-ws.js) connected over ws:// beside the TCP build (default: tcp only); mqtt5 the MQTT 5.0
// build (dist/espruino-mqtt5.js) speaking 3.1.1 to Aedes, v5 the same build speaking 5.0 to a Mosquitto.
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minify } from 'terser';
import { Aedes } from 'aedes';
import { bootLines, interpreters, run, scratch } from '../scripts/espruino.mjs';
import { listenWebSocket } from '../scripts/ws-broker.mjs';
import { startPlainMosquitto } from '../scripts/mosquitto.mjs';
import { loadBoard } from '../scripts/node-config.mjs';

// Default buffers per board, from the board definitions the firmware is built with.
const PROFILES = { ESP32: loadBoard('esp32'), ESP8266: loadBoard('esp8266') };
const ANCHOR = { ESP32: 626, ESP8266: 628 }; // Espruino's own MQTT module, connected and subscribed (ESPRUINO.md)

const bins = interpreters();
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const web = await listenWebSocket(broker);
const LIBS = { tcp: readFileSync('dist/espruino-mqtt.js', 'latin1'), ws: readFileSync('dist/espruino-mqtt-ws.js', 'latin1') };
LIBS.mqtt5 = LIBS.v5 = readFileSync('dist/espruino-mqtt5.js', 'latin1');
const MODULE = { tcp: 'espruino-mqtt', ws: 'espruino-mqtt-ws', mqtt5: 'espruino-mqtt5', v5: 'espruino-mqtt5' };
const TRANSPORTS = (process.env.TRANSPORTS || 'tcp').split(',');
const mosquitto = TRANSPORTS.includes('v5') ? await startPlainMosquitto() : null;

// The scenario, as the interpreter runs it: defined first, before the empty-interpreter mark, and called
// with a short line once the library is loaded (a long REPL line is RAM until it has run). "@"+"@" keeps
// the marker out of the REPL's echo of this text. "base" is taken once everything the scenario itself needs
// exists (its helpers, listeners and options), so the client's figure is the client's. No // comments
// inside: the require run types it as one line. Marks named "*_in" are taken inside the client's callbacks
// (the call stack's scopes still hold blocks: the peak); the others from a fresh timer once everything has
// returned (the steady state).
function scenario(profile, id, transport) {
  return `var __scen = function () {
console.log("@"+"@loaded " + (process.memory().usage - __m0) + " " + process.memory().total);
var mark = function (k, v, w) { console.log("@"+"@" + k + " " + v + (w === undefined ? "" : " " + w)); };
var used = function () { return process.memory().usage - __m0; };
var later = function (k, then) { setTimeout(function () { mark(k, used()); then(); }, 20); };
var c, got = 0, dropped = 0;
var batch = function (n, qos, size, then) {
  var sent = 0, start = got, body = "";
  while (body.length < size) body += "x";
  var more = function () {
    while (sent < n && c.queued() < ${Math.max(2, profile.outboxMessages - 2)}) { c.publish("bench/t", body, { qos: qos }); sent++; }
    if (got - start < n) setTimeout(more, 1); else then();
  };
  more();
};
var phases = function () {
  batch(100, 0, 16, function () { later("qos0_100", function () {
  batch(900, 0, 16, function () { later("qos0_1000", function () {
  batch(100, 1, 16, function () { later("qos1_100", function () {
  batch(900, 1, 16, function () { later("qos1_1000", function () {
    var body = ""; while (body.length < 200) body += "y";
    var accepted = 0;
    for (var i = 0; i < 1000; i++) if (c.publish("bench/burst", body)) accepted++;
    mark("burst_queued", used(), accepted);
    var wait = setInterval(function () {
      if (c.queued()) return;
      clearInterval(wait);
      later("burst_done", function () {
        mark("burst_dropped", dropped);
        c.end(function () { mark("done", 0); });
      });
    }, 5);
  }); }); }); }); }); }); }); });
};
var onSubscribed = function () { mark("subscribed_in", used()); later("subscribed", phases); };
var onConnect = function () { mark("connect_in", used()); c.subscribe("bench/t", { qos: 1 }, onSubscribed); };
var onError = function (e) { mark("error", e.code); };
var onDrop = function () { dropped++; };
var onMessage = function () { got++; };
var options = { ${transport === 'ws' ? `url: "ws://127.0.0.1:${web.address().port}/mqtt"` : transport === 'v5' ? `host: "127.0.0.1", port: ${mosquitto.port}, protocolVersion: 5` : `host: "127.0.0.1", port: ${port}`}, clientId: "${id}", keepalive: 30,
  rxBuffer: ${profile.rxBuffer}, txBuffer: ${profile.txBuffer}, outboxBytes: ${profile.outboxBytes}, outboxMessages: ${profile.outboxMessages} };
mark("base", used());
c = mqtt.connect(options);
c.on("error", onError);
c.on("drop", onDrop);
c.on("message", onMessage);
c.on("connect", onConnect);
};`;
}

// The REPL lines that define a scenario, mark the empty interpreter, load `source` as `name` (boot: at top
// level from flash, `exports` as its exports; require: from node_modules/<module>.js) and run the scenario.
function deployLines(mode, scen, source, name, module) {
  const head = 'var __m0 = process.memory().usage;';
  return mode === 'boot'
    ? bootLines(`${scen}\n${head}\nvar exports = {};\n${source}\nvar ${name} = exports;\n__scen();`)
    : [scen.replace(/\n/g, ' '), head, `var ${name} = require("${module}");`, '__scen();'];
}

// Espruino's module, connected and subscribed, steady: its API is create(server, options), 'connected',
// subscribe(topic), 'subscribed'.
function anchorScenario() {
  return `var __scen = function () {
console.log("@"+"@loaded " + (process.memory().usage - __m0));
var used = function () { return process.memory().usage - __m0; };
var mark = function (k, v) { console.log("@"+"@" + k + " " + v); };
var c;
var onSubscribed = function () { setTimeout(function () { mark("subscribed", used()); console.log("@"+"@done"); }, 300); };
var onConnected = function () { c.subscribe("bench/t"); };
mark("base", used());
c = __MQTT.create("127.0.0.1", { port: ${port}, client_id: "anchor" });
c.on("connected", onConnected);
c.on("subscribed", onSubscribed);
c.connect();
};`;
}

async function measureAnchor(bin, mode, source) {
  const box = scratch();
  writeFileSync(join(box.dir, 'node_modules', 'MQTT.js'), source);
  const result = await run(bin, box.dir, deployLines(mode, anchorScenario(), source, '__MQTT', 'MQTT'), 30000);
  box.remove();
  const m = Object.fromEntries(result.marks.map((x) => [x[0], x.slice(1).map(Number)]));
  return m.subscribed ? m.loaded[0] + m.subscribed[0] - m.base[0] : failure(result);
}

// Why a run ended without its figures, from what the interpreter printed: "Module ... not found" means this
// build has no file system for require() to read (not a lack of memory), so that deployment is not measured.
function failure(result) {
  if (/OUT OF MEMORY|out of memory/.test(result.output)) return 'out of memory';
  if (/Module \S+ not found/.test(result.output)) return 'not measured: require() found no file (a build without a file system)';
  return `no output (${result.why})`;
}

const anchorFile = process.env.ESPRUINO_MQTT;
const anchorSource = anchorFile ? (await minify(readFileSync(anchorFile, 'latin1'), { ecma: 5 })).code : null;
const anchors = [];
const rows = [];
for (const bin of bins) {
  for (const mode of (process.env.MODES || 'boot,require').split(',')) {
    const box = scratch();
    // The profile is known once the interpreter reports its total blocks: ask first, then run for real.
    const probe = await run(bin, box.dir, ['console.log("@"+"@total", process.memory().total, process.memory().blocksize);'], 10000);
    const marked = probe.marks.find((m) => m[0] === 'total') || [];
    const total = Number(marked[1]);
    box.remove();
    const board = total >= 4000 ? 'ESP32' : 'ESP8266';
    // the block size in the label: an ESP8266 profile runs with 16-byte blocks or, as on the board, 12
    const label = `${board}/${marked[2]}B`;
    const anchor = anchorSource ? await measureAnchor(bin, mode, anchorSource) : null;
    if (anchorSource) anchors.push({ board: label, mode, blocks: anchor });
    for (const transport of TRANSPORTS) {
      const name = MODULE[transport];
      const scen = scenario(PROFILES[board], `mem-${board}-${mode}-${transport}`, transport);
      const dir = scratch();
      if (mode === 'require') writeFileSync(join(dir.dir, 'node_modules', `${name}.js`), LIBS[transport]);
      const result = await run(bin, dir.dir, deployLines(mode, scen, LIBS[transport], 'mqtt', name), 120000);
      dir.remove();
      const m = Object.fromEntries(result.marks.map((x) => [x[0], x.slice(1).map(Number)]));
      const row = { board: label, mode: transport === 'tcp' ? mode : `${mode}+${transport}`, total };
      if (!m.loaded) {
        rows.push({ ...row, failed: `${failure(result)}, loading the module` });
        continue;
      }
      if (!m.subscribed) {
        const oom = /MEMORY/i.test(result.output);
        rows.push({ ...row, failed: `loaded (${m.loaded[0]} blocks), then ${oom ? 'out of memory' : `no connection (${result.why})`}` });
        continue;
      }
      // against Espruino's module measured in this run on the same build, in the same blocks; else the
      // figure ESPRUINO.md recorded for the profile (16-byte blocks)
      rows.push({ ...row, m, anchor: typeof anchor === 'number' ? anchor : ANCHOR[board], why: result.why });
    }
  }
}
server.close();
web.close();
if (mosquitto) await mosquitto.close();
await new Promise((r) => broker.close(r));

console.log('\nRAM in blocks (process.memory().usage above the empty interpreter), Espruino ' + bins.length + ' build(s)');
console.log('module: the library loaded; client: one client connected and subscribed, steady (its scenario\'s own');
console.log('helpers excluded); peak: the most seen inside the client\'s callbacks; the anchor is Espruino\'s own module,');
console.log(anchorSource ? 'connected and subscribed on the same build, deployed the same way (below).' : 'connected and subscribed, with require(), 16-byte blocks (ESPRUINO.md; ESPRUINO_MQTT=path measures it in this run).');
console.log('board        deploy   total  module  client  module+client  peak  qos0 100->1000  qos1 100->1000  burst 1000x200B                anchor');
for (const r of rows) {
  if (r.failed) {
    console.log(`${r.board.padEnd(12)} ${r.mode.padEnd(8)} ${String(r.total).padStart(5)}  ${r.failed}`);
    continue;
  }
  const m = r.m;
  const base = m.base[0];
  const module = m.loaded[0];
  // module + client, in the units of the steady marks: everything above the empty interpreter but the helpers
  const f = (k) => (m[k] ? String(m[k][0] - base + module) : '-');
  const peak = Math.max(m.connect_in ? m.connect_in[0] : 0, m.subscribed_in ? m.subscribed_in[0] : 0) - base + module;
  const burst = m.burst_done
    ? `${m.burst_queued[1]} queued, ${m.burst_dropped[0]} dropped, ${f('burst_done')} blocks`
    : `did not finish (${r.why})`;
  const client = m.subscribed[0] - base;
  const share = ` (${Math.round((100 * (module + client)) / r.anchor)}% of ${r.anchor})`;
  console.log(
    `${r.board.padEnd(12)} ${r.mode.padEnd(8)} ${String(r.total).padStart(5)}  ${String(module).padStart(6)}  ${String(client).padStart(6)}` +
      `  ${String(module + client).padStart(13)}  ${String(peak).padStart(4)}` +
      `  ${(f('qos0_100') + '->' + f('qos0_1000')).padStart(14)}  ${(f('qos1_100') + '->' + f('qos1_1000')).padStart(14)}  ${burst.padEnd(40)}${share}` +
      (m.error ? `  errors: ${m.error}` : ''),
  );
}
if (anchorSource) {
  console.log(`\nEspruino's own MQTT module (${anchorFile}, minified: ${anchorSource.length} B), connected and subscribed, the same way:`);
  for (const a of anchors) console.log(`${a.board.padEnd(12)} ${a.mode.padEnd(8)} ${a.blocks}${typeof a.blocks === 'number' ? ' blocks' : ''}`);
}
