// npm run test:espruino: the client scenarios run by the real Espruino interpreter on the built bundle,
// stored as boot code (top level, from flash, as deployed on a board), against a real Aedes broker on
// 127.0.0.1 with MQTT.js as the peer. Needs ESPRUINO_BIN (see scripts/espruino.mjs); never skipped.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import selfsigned from 'selfsigned';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { bootLines, interpreters, run, scratch } from './espruino.mjs';
import { nodeLines } from './espruino-node.mjs';
import { bootBuild } from './boot-build.mjs';
import { startPlainMosquitto } from './mosquitto.mjs';
import { checkConfig, firmwareFile, loadBoard } from './node-config.mjs';
import { packetsOf } from './wire.mjs';

const bins = interpreters();
// the boot build as shipped: the client at `mqtt`, the library's own names in `__mqtt`
const boot = readFileSync('dist/espruino-mqtt-boot.js', 'latin1');
const wsBoot = readFileSync('dist/espruino-mqtt-ws-boot.js', 'latin1'); // with MQTT over WebSocket
const v5Boot = bootBuild(readFileSync('dist/espruino-mqtt5.js', 'latin1')); // with MQTT 5.0
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A broker that can be killed and restarted with its state, and a proxy that can go silent or cut.
const aedes = await Aedes.createBroker();
let server;
const socks = new Set();
async function listen(port = 0) {
  server = net.createServer(aedes.handle);
  server.on('connection', (s) => { socks.add(s); s.on('close', () => socks.delete(s)); });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return server.address().port;
}
const port = await listen();
const kill = () => { server.close(); for (const s of socks) s.destroy(); };
// The same broker behind TLS, with a certificate made here (Espruino's tls does not verify it anyway).
const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
const tlsServer = tls.createServer({ key: pems.private, cert: pems.cert }, aedes.handle);
await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r));
const tlsPort = tlsServer.address().port;
// The same broker behind mutual TLS: a client certificate signed by this CA is required (AWS IoT Core's way).
const mtlsCa = await selfsigned.generate([{ name: 'commonName', value: 'test CA' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }] });
const mtlsSigned = { keySize: 2048, algorithm: 'sha256', ca: { key: mtlsCa.private, cert: mtlsCa.cert } };
const mtlsServerCert = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], mtlsSigned);
const mtlsClient = await selfsigned.generate([{ name: 'commonName', value: 'node-1' }], mtlsSigned);
let mtlsPeerCn = '';
const mtlsServer = tls.createServer({ key: mtlsServerCert.private, cert: mtlsServerCert.cert, ca: mtlsCa.cert, requestCert: true, rejectUnauthorized: true }, (sock) => {
  mtlsPeerCn = sock.getPeerCertificate().subject.CN;
  aedes.handle(sock);
});
await new Promise((r) => mtlsServer.listen(0, '127.0.0.1', r));
const mtlsPort = mtlsServer.address().port;
const js = (pem) => JSON.stringify(pem); // a PEM as a string literal of the scenario's code
// The same broker over WebSocket, ws:// and wss://, served by the ws package.
const webServers = [http.createServer(), https.createServer({ key: pems.private, cert: pems.cert })];
for (const web of webServers) new WebSocketServer({ server: web, path: '/mqtt' }).on('connection', (sock) => aedes.handle(createWebSocketStream(sock)));
const [wsPort, wssPort] = await Promise.all(webServers.map((web) => new Promise((r) => web.listen(0, '127.0.0.1', () => r(web.address().port)))));
const proxy = { silent: false, pairs: new Set() };
const proxyServer = net.createServer((down) => {
  const up = net.connect(port, '127.0.0.1');
  const pair = [down, up];
  proxy.pairs.add(pair);
  down.on('data', (d) => !proxy.silent && up.write(d));
  up.on('data', (d) => !proxy.silent && down.write(d));
  const end = () => { proxy.pairs.delete(pair); if (!proxy.silent) { down.destroy(); up.destroy(); } };
  down.on('close', end).on('error', () => {});
  up.on('close', end).on('error', () => {});
});
await new Promise((r) => proxyServer.listen(0, '127.0.0.1', r));
const proxyPort = proxyServer.address().port;
const cut = () => { for (const [a, b] of proxy.pairs) { a.destroy(); b.destroy(); } proxy.pairs.clear(); };
const peer = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, clientId: 'peer', clean: false, reconnectPeriod: 100 });
const inbox = [];
peer.on('message', (topic, payload) => inbox.push([topic, payload.toString('utf8')]));
await peer.subscribeAsync(['rt/#', 'will/#', 'stream'], { qos: 1 });
await peer.subscribeAsync('paced', { qos: 0 }); // counted, not acknowledged one by one: the broker's pace is not under test

// Mosquitto 2.0 for the MQTT 5.0 scenario (Aedes speaks 3.1.1 only).
const mosquitto = await startPlainMosquitto();
const mosquittoPort = mosquitto.port;
const peer5 = await mqtt.connectAsync({ host: '127.0.0.1', port: mosquittoPort, protocolVersion: 5, clientId: 'peer5', reconnectPeriod: 100 });
const inbox5 = [];
peer5.on('message', (topic, payload, packet) => inbox5.push([topic, payload.toString('utf8'), packet.properties || {}]));
await peer5.subscribeAsync('v5/#', { qos: 1 });

// The ESP8266's buffers, for the scenarios that take a board's (sized(), below)
const ESP8266 = loadBoard('esp8266');

// Scenario code runs inside the interpreter; mark(k, v) prints "@@k v". `mqtt` is the library's exports.
const prelude = `var mark = function (k, v) { console.log("@"+"@" + k + " " + (v === undefined ? "" : v)); };
var base = { host: "127.0.0.1", port: ${port}, reconnect: { min: 50, max: 500, jitter: 0 } };
function opts(o) { var r = {}, k; for (k in base) r[k] = base[k]; for (k in o) r[k] = o[k]; return r; }`;

// messages in the paced-producer scenario (PACED=10000 for the issue's full burst: about 4 minutes per build)
const PACED = Number(process.env.PACED) || 2000;

const scenarios = [
  {
    name: 'round trip QoS 0/1, to itself and to MQTT.js',
    code: `var c = mqtt.connect(opts({ clientId: "rt", rxBuffer: 512, txBuffer: 512, outboxBytes: 4096, outboxMessages: 32 })), got = 0;
      c.on("message", function () { if (++got === 20) { mark("got", got); c.end(function () { mark("done"); }); } });
      c.on("connect", function () { c.subscribe("rt/self", { qos: 1 }, function () {
        var big = ""; while (big.length < 300) big += "z";
        for (var i = 0; i < 20; i++) c.publish("rt/self", i % 4 ? "m" + i : big, { qos: i % 2 });
        c.publish("rt/caf\\xc3\\xa9", "d\\xc3\\xa9j\\xc3\\xa0", { qos: 1 });
      }); });`,
    check: (m) => m.got === '20' && inbox.some(([t, p]) => t === 'rt/caf\u00e9' && p === 'd\u00e9j\u00e0'),
  },
  {
    name: 'MQTT 5.0 round trip with properties, against Mosquitto (espruino-mqtt5.js)',
    v5: true,
    code: `var c = mqtt.connect(opts(sized({ port: ${mosquittoPort}, protocolVersion: 5, clientId: "esp-v5", topicAliases: 2, properties: { sessionExpiryInterval: 60 } }))), n = 0;
      c.on("error", function (e) { mark("error", e.code + "/" + e.reasonCode); });
      c.on("message", function (t, p, m) { mark("msg", p); mark("props", JSON.stringify(m.properties)); c.end(function () { mark("done"); }); });
      c.on("connect", function (present, props) { mark("aliases", props.topicAliasMaximum); c.subscribe("v5/self", { qos: 1 }, function (e) {
        for (var i = 0; i < 3; i++) c.publish("v5/up/temperature", "2" + i, { qos: 1, properties: { userProperties: { unit: "C" }, messageExpiryInterval: 60 } }, function (e) { if (!e) mark("acked", ++n); });
        c.publish("v5/self", "hello", { qos: 1, properties: { userProperties: { k: "v" }, contentType: "text/plain" } });
      }); });`,
    check: (m) =>
      m.msg === 'hello' && m.props === '{"userProperties":{"k":"v"},"contentType":"text/plain"}' && m.acked === '3' &&
      inbox5.filter(([t, p, props]) => t === 'v5/up/temperature' && /^2[0-2]$/.test(p) && props.userProperties && props.userProperties.unit === 'C').length === 3,
  },
  {
    name: 'TLS round trip (ESP32 profile; the ESP8266 has no tls)',
    tls: true,
    code: `var c = mqtt.connect(opts({ clientId: "tls", protocol: "mqtts", port: ${tlsPort} }));
      c.on("error", function (e) { mark("error", e.code); });
      c.on("message", function (t, p) { mark("msg", p); c.end(function () { mark("done"); }); });
      c.on("connect", function () { c.subscribe("tls/t", { qos: 1 }, function () { c.publish("tls/t", "sealed", { qos: 1 }); }); });`,
    check: (m) => m.msg === 'sealed',
  },
  {
    name: 'mutual TLS round trip: a client certificate (ESP32 profile)',
    tls: true,
    code: `var c = mqtt.connect(opts({ clientId: "mtls", protocol: "mqtts", port: ${mtlsPort}, key: ${js(mtlsClient.private)}, cert: ${js(mtlsClient.cert)} }));
      c.on("error", function (e) { mark("error", e.message); });
      c.on("message", function (t, p) { mark("msg", p); c.end(function () { mark("done"); }); });
      c.on("connect", function () { c.subscribe("mtls/t", { qos: 1 }, function () { c.publish("mtls/t", "mutual", { qos: 1 }); }); });`,
    check: (m) => m.msg === 'mutual' && mtlsPeerCn === 'node-1',
  },
  {
    // the handshake's SHA-1: the crypto module where the build has it (ESP32), else the library's own (ESP8266)
    name: 'WebSocket round trip QoS 0/1 over ws://, to itself and to MQTT.js',
    ws: true,
    code: `var crypto = true; try { require("crypto"); } catch (e) { crypto = false; } mark("crypto", crypto);
      var c = mqtt.connect(opts(sized({ url: "ws://127.0.0.1:${wsPort}/mqtt", clientId: "ws", rxBuffer: 512, txBuffer: 512, outboxBytes: 4096, outboxMessages: 32 }))), got = 0;
      c.on("error", function (e) { mark("error", e.message); });
      c.on("drop", function (e) { mark("drop", e.code + " " + e.message); });
      // (on an ESP8266 within its buffers: 12 published at once fit its outbox of 16 messages and 768 bytes
      // behind the 448 its socket may run ahead; the large ones still over 125 bytes, a frame with a 16-bit length)
      var n = esp8266 ? 12 : 20;
      c.on("message", function () { if (++got === n) { mark("got", "all " + got); c.end(function () { mark("done"); }); } });
      c.on("connect", function () { c.subscribe("rt/ws", { qos: 1 }, function () {
        var big = ""; while (big.length < (esp8266 ? 150 : 300)) big += "z";
        for (var i = 0; i < n; i++) c.publish("rt/ws", i % 4 ? "m" + i : big, { qos: i % 2 });
        c.publish("rt/ws-peer", "over ws", { qos: 1 });
      }); });`,
    check: (m) => /^all (12|20)$/.test(m.got) && !m.error && !m.drop && inbox.some(([t, p]) => t === 'rt/ws-peer' && p === 'over ws'),
  },
  {
    name: 'WebSocket over TLS, wss:// (ESP32 profile)',
    ws: true,
    tls: true,
    code: `var c = mqtt.connect(opts({ url: "wss://127.0.0.1:${wssPort}/mqtt", clientId: "wss" }));
      c.on("error", function (e) { mark("error", e.message); });
      c.on("message", function (t, p) { mark("msg", p); c.end(function () { mark("done"); }); });
      c.on("connect", function () { c.subscribe("wss/t", { qos: 1 }, function () { c.publish("wss/t", "sealed", { qos: 1 }); }); });`,
    check: (m) => m.msg === 'sealed' && !m.error,
  },
  {
    name: 'will after an abrupt close, none after end()',
    code: `var a = mqtt.connect(opts({ port: ${proxyPort}, clientId: "wa", will: { topic: "will/a", payload: "gone", qos: 1 } }));
      a.on("connect", function () { mark("a_up"); });
      a.on("offline", function () { a.end(true, function () { mark("done"); }); });
      var b = mqtt.connect(opts({ clientId: "wb", will: { topic: "will/b", payload: "gone", qos: 1 } }));
      b.on("connect", function () { b.end(function () { mark("b_ended"); }); });`,
    during: async (marks) => { await until(() => marks.a_up !== undefined && marks.b_ended !== undefined); cut(); await sleep(400); return 'done'; },
    check: () => inbox.filter(([t]) => t === 'will/a').length >= 1 && !inbox.some(([t]) => t === 'will/b'),
  },
  {
    name: 'silent broker noticed within 1.5x keepalive, then reconnect',
    code: `var c = mqtt.connect(opts({ port: ${proxyPort}, clientId: "dead", keepalive: 1 })), t0 = 0, n = 0;
      c.on("connect", function () { if (++n === 1) { mark("up"); t0 = Date.now(); } else { mark("back"); c.end(true, function () { mark("done"); }); } });
      c.on("offline", function () { mark("silent_ms", Math.round(Date.now() - t0)); });`,
    during: async (marks) => { await until(() => marks.up !== undefined); proxy.silent = true; await until(() => marks.silent_ms !== undefined, 5000); proxy.silent = false; return null; },
    check: (m) => Number(m.silent_ms) <= 1700 && m.back !== undefined,
  },
  {
    name: 'broker killed and restarted mid-stream of 300 QoS 1: none lost',
    code: `var c = mqtt.connect(opts({ clientId: "stream", keepalive: 2, outboxMessages: 16, outboxBytes: 1024, overflow: "reject-new" })), i = 0, acked = 0;
      function more() { while (i < 300 && c.queued() < 14) { c.publish("stream", String(i++), { qos: 1 }, function (e) { if (!e && ++acked === 300) { mark("acked", acked); c.end(function () { mark("done"); }); } }); if (i === 100) mark("hundred"); } if (i < 300) setTimeout(more, 2); }
      c.on("connect", function () { if (!i) { mark("up"); more(); } });`,
    during: async (marks) => { await until(() => marks.hundred !== undefined); kill(); await sleep(300); await listen(port); return null; },
    check: (m) => m.acked === '300' && new Set(inbox.filter(([t]) => t === 'stream').map(([, p]) => p)).size === 300,
  },
  {
    // the producer pattern of the README: stop on false, resume on 'drain'
    name: `producer paced by false and drain: ${PACED} x 200 B, ESP8266 profile, nothing given up`,
    timeout: 30000 + PACED * 40, // boot code runs from the Linux build's flash file: about 20 ms a message here
    code: `var c = mqtt.connect(opts({ clientId: "paced", rxBuffer: 256, txBuffer: 448, outboxBytes: 768, outboxMessages: 16 })), i = 0, ok = 0, bad = 0, drops = 0;
      var pad = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; pad = pad + pad;
      function done(e) { if (e) bad++; else ok++; if (ok + bad === ${PACED}) { mark("ok", ok); mark("bad", bad); mark("drops", drops); c.end(function () { mark("done"); }); } }
      function produce() { while (i < ${PACED} && c.publish("paced", (100000 + i++) + pad.substr(6), { qos: 1 }, done)) {} }
      c.on("drop", function () { drops++; });
      c.on("drain", produce);
      c.on("connect", function () { if (!i) produce(); });`,
    check: (m) => m.ok === String(PACED) && m.bad === '0' && m.drops === '0' && inbox.filter(([t]) => t === 'paced').length === PACED,
  },
  {
    name: 'oversized PUBLISH acknowledged and dropped; the stream reads on',
    code: `var c = mqtt.connect(opts({ clientId: "big", rxBuffer: 64 }));
      c.on("drop", function (d) { mark("drop", d.code + "/" + d.topic + "/" + d.size + "/" + d.message); });
      c.on("message", function (t, p) { mark("msg", p); c.end(function () { mark("done"); }); });
      c.on("connect", function () { c.subscribe("big/#", { qos: 1 }, function () { mark("subbed"); }); });`,
    during: async (marks) => { await until(() => marks.subbed !== undefined); await peer.publishAsync('big/a', 'x'.repeat(500), { qos: 1 }); await peer.publishAsync('big/b', 'small', { qos: 1 }); return null; },
    check: (m) => m.drop === '20/big/a/509/inbound PUBLISH larger than the receive buffer' && m.msg === 'small',
  },
  {
    // (each group of reasons' last, as code 20 above: their lookup once read the wrong text on the interpreter)
    name: 'a full outbox gives up the oldest waiting message, reported by name',
    code: `var c = mqtt.connect(opts({ clientId: "full", window: 1, outboxMessages: 2 })), drops = [];
      c.on("drop", function (d) { drops.push(d.code + "/" + d.topic + "/" + d.message); });
      c.on("connect", function () {
        for (var i = 1; i <= 3; i++) c.publish("full/" + i, "x", { qos: 1 });
        setTimeout(function () { mark("drops", drops.join(";")); c.end(function () { mark("done"); }); }, 200);
      });`,
    check: (m) => m.drops === '30/full/2/outbox full',
  },
  {
    name: 'bad input refused before a byte is sent',
    code: `var c = mqtt.connect(opts({ clientId: "bad" })), codes = [];
      c.on("connect", function () {
        c.publish("a/+", "x", function (e) { codes.push(e.code); });
        c.publish("a", "x", { qos: 3 }, function (e) { codes.push(e.code); });
        c.publish("a\\xc0\\x80", "x", function (e) { codes.push(e.code); });
        var big = ""; while (big.length < 600) big += "x";
        c.publish("a", big, function (e) { codes.push(e.code); });
        c.subscribe("a/#/b", function (e) { codes.push(e.code); });
        var q = c.queued();
        // the callbacks run once this listener has returned (listeners never run inside another call)
        setTimeout(function () {
          mark("codes", codes.join(",") + ";queued=" + q);
          c.end(function () { mark("done"); });
        }, 0);
      });`,
    check: (m) => m.codes === '7,9,4,1,8;queued=0',
  },
];

async function until(cond, ms = 10000) {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await sleep(10); }
}

let failed = 0;
const rows = [];
for (const bin of bins) {
  const probe = scratch();
  const total = Number(((await run(bin, probe.dir, ['console.log("@"+"@total", process.memory().total);'], 10000)).marks.find((m) => m[0] === 'total') || [])[1]);
  probe.remove();
  for (const s of scenarios) {
    if (process.env.ONLY && !s.name.includes(process.env.ONLY)) continue; // ONLY=part-of-a-name runs just those
    if (s.tls && total < 4000) continue; // an ESP8266-sized build: no tls module on that board
    inbox.length = 0;
    inbox5.length = 0;
    const box = scratch();
    const marks = {};
    // On an ESP8266-sized build (1600 blocks) sized() gives the MQTT 5.0 and WebSocket scenarios the buffers
    // of boards/esp8266.json, as a node there has them: with the ESP32's they ran out of memory in 12-byte
    // blocks, a configuration too large for that board rather than a fault (bench:memory measures RAM).
    const sized = total < 4000 ? `var esp8266 = true; function sized(o) { o.rxBuffer = ${ESP8266.rxBuffer}; o.txBuffer = ${ESP8266.txBuffer}; o.outboxBytes = ${ESP8266.outboxBytes}; o.outboxMessages = ${ESP8266.outboxMessages}; return o; }` : 'var esp8266 = false; function sized(o) { return o; }';
    const lines = bootLines(`${s.ws ? wsBoot : s.v5 ? v5Boot : boot}(function(){\n${prelude}\n${sized}\n${s.code}\n})();`);
    const started = Date.now();
    const running = run(bin, box.dir, lines, s.timeout || 30000, (k, v) => (marks[k] = v));
    const during = s.during ? s.during(marks).catch((e) => (marks.__during = String(e.message))) : null;
    const result = await running;
    await during;
    box.remove();
    if (result.why !== 'done') marks.__end = result.why;
    // what the peer receives may still be on its way through the broker when the interpreter is done
    await until(() => s.check(marks), 2000).catch(() => {});
    const ok = !marks.__during && !marks.__end && s.check(marks);
    if (!ok) failed++;
    rows.push([bin.split('/').pop(), s.name, ok ? 'pass' : 'FAIL', `${Date.now() - started} ms`, JSON.stringify(marks)]);
  }
}
// A loopback proxy to a broker that keeps what each client wrote (one Buffer per connection, in order): a
// node's CONNECT and DISCONNECT are read off the wire.
async function tap(target) {
  const sent = [];
  const sockets = new Set();
  const server = net.createServer((down) => {
    const up = net.connect(target, '127.0.0.1');
    const k = sent.push(Buffer.alloc(0)) - 1;
    for (const s of [down, up]) sockets.add(s), s.on('error', () => {}), s.on('close', () => (down.destroy(), up.destroy()));
    down.on('data', (d) => ((sent[k] = Buffer.concat([sent[k], d])), up.write(d)));
    up.on('data', (d) => down.write(d));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, sent, close: () => (sockets.forEach((s) => s.destroy()), server.close()) };
}

// The sensor-node firmware itself (dist/esp32.js or dist/esp8266.js as boot code, node.json in Storage):
// it comes online, announces itself, publishes readings, obeys a command, refuses a bad one, and when the
// interpreter dies the broker publishes its retained offline; against Aedes, its connection is cut once on the
// way and it comes back by itself. mode 'ws': over ws:// (dist/<board>-ws.js);
// 'mqtt5': "mqtt": {"version": 5} (dist/<board>-mqtt5.js) against Mosquitto, its CONNECT read off the wire.
async function nodeScenario(bin, board, mode) {
  const ws = mode === 'ws';
  const v5 = mode === 'mqtt5';
  const wire = v5 ? await tap(mosquittoPort) : null;
  const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
  raw.board = board;
  raw.mqtt = { url: ws ? `ws://127.0.0.1:${wsPort}/mqtt` : `mqtt://127.0.0.1:${v5 ? wire.port : port}`, keepalive: 10 };
  if (v5) raw.mqtt.version = 5;
  // its own topics: the broker keeps what earlier runs left retained. (Short: the discovery messages carry the
  // id three times and the serial once, and this interpreter's serial is 12 characters longer than an
  // ESP8266's, which the build's size check counts; the ESP8266's 5.0 firmware, a byte more a message, has
  // 448 bytes for its longest.)
  raw.node.id = `node-${board}${{ tcp: '', ws: '-ws', mqtt5: '-5' }[mode]}`;
  const base = `espruino/${raw.node.id}/`;
  if (board === 'esp8266') {
    raw.sensors = [
      { type: 'dht22', name: 'climate', pin: 12, period: 2 },
      { type: 'analog', name: 'battery', pin: 'A0', period: 2 },
    ];
    raw.actuators = [{ type: 'relay', name: 'pump', pin: 15 }, { type: 'pwm', name: 'lamp', pin: 13 }];
  }
  const { config, errors } = checkConfig(raw);
  if (errors.length) throw new Error(errors.join('; '));
  for (const x of config.sensors) if (x.period) x.period = 1;
  const seen = [];
  const watch = await mqtt.connectAsync({ host: '127.0.0.1', port: v5 ? mosquittoPort : port, protocolVersion: v5 ? 5 : 4 });
  watch.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  await watch.subscribeAsync(['espruino/#', 'homeassistant/#'], { qos: 1 });
  const last = (t) => [...seen].reverse().find((m) => m.topic === t);
  const entities = config.sensors.reduce((n, x) => n + ({ dht22: 2, bme280: 3 }[x.type] || 1), 0) + config.actuators.length;
  const box = scratch();
  const control = {};
  const running = run(bin, box.dir, nodeLines(readFileSync(firmwareFile(config, board), 'latin1'), config), 60000, () => {}, control);
  const marks = {};
  try {
    await until(() => last(`${base}status`)?.payload === 'online', 15000);
    if (v5) {
      // the CONNECT's protocol level (5.0 3.1.2.2), after the fixed header and "\0\4MQTT"
      const [type, body] = packetsOf(wire.sent[0])[0];
      if (type !== 0x10 || body[6] !== 5) throw new Error(`CONNECT ${wire.sent[0].subarray(0, 12).toString('hex')}`);
      marks.level = 5;
    }
    await until(() => new Set(seen.filter((m) => m.topic.endsWith('/config') && m.topic.includes(`/${raw.node.id}/`)).map((m) => m.topic)).size === entities);
    marks.discovery = entities;
    if (config.sensors.length) {
      await until(() => /^\{"temperature":[0-9.]+,"humidity":[0-9.]+\}$/.test(last(`${base}climate`)?.payload || ''));
      marks.reading = last(`${base}climate`).payload;
    }
    // off at boot, as configured (an unset field once read Espruino's inherited `on` method: switched on)
    await until(() => last(`${base}pump`)?.payload === 'OFF');
    marks.initial = 'OFF';
    await watch.publishAsync(`${base}pump/set`, 'ON', { qos: 1 });
    await until(() => last(`${base}pump`)?.payload === 'ON');
    marks.command = 'ON';
    await watch.publishAsync(`${base}pump/set`, 'MAYBE', { qos: 1 });
    await until(() => last(`${base}error`)?.payload === '{"source":"pump","error":"invalid command","payload":"MAYBE"}');
    marks.refused = 'MAYBE';
    if (!v5) {
      // the connection cut under it (Aedes: the node's own stream): its will says offline, and it comes back
      // by itself, online again, and obeys again
      const client = aedes.clients[raw.node.id];
      if (!client) throw new Error(`no client ${raw.node.id} at the broker`);
      client.conn.destroy();
      await until(() => last(`${base}status`)?.payload === 'offline');
      await until(() => last(`${base}status`)?.payload === 'online', 15000);
      await watch.publishAsync(`${base}pump/set`, 'OFF', { qos: 1 });
      await until(() => last(`${base}pump`)?.payload === 'OFF');
      marks.reconnected = 'OFF';
    }
    control.stop();
    await until(() => last(`${base}status`)?.payload === 'offline', 15000);
    marks.will = 'offline';
  } catch (e) {
    marks.__during = `${e.message} after ${Object.keys(marks).join(', ') || 'nothing'}`;
  }
  if (wire) wire.close();
  return endNodeScenario(marks, control, running, box, watch);
}

// A node scenario's end: the interpreter stopped, what it printed kept when a step failed, how it ended.
async function endNodeScenario(marks, control, running, box, watch) {
  control.stop();
  const result = await running;
  if (marks.__during) marks.__output = result.output.slice(-300);
  box.remove();
  await watch.endAsync(true);
  if (/OUT OF MEMORY|Uncaught/.test(result.why)) marks.__end = result.why;
  return marks;
}

// The Sparkplug B firmware (dist/<board>-sparkplug.js): born with every metric, off at boot, data, a command
// by alias and its report, an invalid one said in Node Info/Error, a rebirth on request, and the NDEATH will
// (bdSeq 0, as its NBIRTHs) when the interpreter dies; every payload decoded by Eclipse Tahu's codec.
// v5: "mqtt": {"version": 5} (dist/<board>-sparkplug-mqtt5.js) against Mosquitto, and the end is orderly (its
// E.on('kill') runs): its NDEATH, then a DISCONNECT with reason 0x04, read off the wire, so the broker publishes
// the NDEATH will as well [tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50].
async function sparkplugScenario(bin, board, v5) {
  const sp = createRequire(import.meta.url)('sparkplug-payload').get('spBv1.0');
  const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
  const id = `sp-${board}${v5 ? '-mqtt5' : ''}`;
  const wire = v5 ? await tap(mosquittoPort) : null;
  raw.board = board;
  raw.mqtt = { url: `mqtt://127.0.0.1:${v5 ? wire.port : port}`, keepalive: 10 };
  if (v5) raw.mqtt.version = 5;
  raw.node = { id, format: 'sparkplug' };
  delete raw.discovery;
  raw.sparkplug = { group: 'test' };
  // what the build's estimate lets an ESP8266 Sparkplug node have
  if (board === 'esp8266') (raw.sensors = []), (raw.actuators = [{ type: 'relay', name: 'pump', pin: 15 }]);
  const { config, errors } = checkConfig(raw);
  if (errors.length) throw new Error(errors.join('; '));
  for (const x of config.sensors) if (x.period) x.period = 1;
  const seen = [];
  const watch = await mqtt.connectAsync({ host: '127.0.0.1', port: v5 ? mosquittoPort : port, protocolVersion: v5 ? 5 : 4 });
  const number = (v) => (v && typeof v === 'object' && 'low' in v ? v.toNumber() : v);
  watch.on('message', (topic, payload) => {
    const type = topic.split('/')[2];
    if (type === 'NCMD') return;
    let d;
    try {
      d = sp.decodePayload(payload);
    } catch (e) {
      d = { undecodable: payload.toString('hex') };
    }
    seen.push({ type, seq: number(d.seq), metrics: (d.metrics || []).map((m) => ({ name: m.name, alias: number(m.alias), value: number(m.value) })), undecodable: d.undecodable });
  });
  await watch.subscribeAsync(`spBv1.0/test/+/${id}`, { qos: 1 });
  const of = (type) => seen.filter((m) => m.type === type);
  const births = () => of('NBIRTH');
  const metric = (m, name) => m.metrics.find((x) => x.name === name);
  const command = (metrics) => watch.publishAsync(`spBv1.0/test/NCMD/${id}`, Buffer.from(sp.encodePayload({ timestamp: Date.now(), metrics })));
  const box = scratch();
  const control = {};
  const running = run(bin, box.dir, nodeLines(readFileSync(firmwareFile(config, board), 'latin1'), config), 60000, () => {}, control);
  const marks = {};
  try {
    await until(() => births().length === 1, 15000);
    const birth = births()[0];
    if (metric(birth, 'bdSeq')?.value !== 0 || metric(birth, 'pump/state')?.value !== false) throw new Error(`NBIRTH ${JSON.stringify(birth)}`);
    marks.birth = birth.metrics.length;
    const pump = metric(birth, 'pump/state').alias;
    const error = metric(birth, 'Node Info/Error').alias;
    if (config.sensors.length) {
      await until(() => of('NDATA').length > 0);
      marks.data = of('NDATA').length;
    }
    await command([{ alias: pump, type: 'Boolean', value: true }]);
    await until(() => of('NDATA').some((m) => m.metrics.some((x) => x.alias === pump && x.value === true)));
    marks.command = 'pump on';
    await command([{ name: 'Node Info/Error', type: 'String', value: 'x' }]);
    await until(() => of('NDATA').some((m) => m.metrics.some((x) => x.alias === error && /read-only/.test(x.value))));
    marks.refused = 'read-only';
    await command([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    await until(() => births().length === 2 && metric(births()[1], 'pump/state')?.value === true && births()[1].seq === 0);
    marks.rebirth = 'bdSeq ' + metric(births()[1], 'bdSeq').value;
    if (v5) control.type('E.emit("kill")');
    else control.stop();
    await until(() => of('NDEATH').length >= 1, 15000);
    const death = of('NDEATH')[0];
    if (death.undecodable || death.metrics.length !== 1 || metric(death, 'bdSeq')?.value !== 0) throw new Error(`NDEATH ${JSON.stringify(death)}`);
    if (v5) {
      await until(() => packetsOf(wire.sent[0]).some(([t]) => t === 0xe0));
      const packets = packetsOf(wire.sent[0]);
      const bye = packets.filter(([t]) => t === 0xe0).map(([, b]) => b.toString('hex'));
      if (bye.join() !== '0400') throw new Error(`DISCONNECT ${bye.join()}`);
      // its own NDEATH before it [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]
      const own = packets.findIndex(([t, b]) => (t & 0xf0) === 0x30 && b.subarray(2, 2 + b.readUInt16BE(0)).toString() === `spBv1.0/test/NDEATH/${id}`);
      if (own < 0 || own > packets.findIndex(([t]) => t === 0xe0)) throw new Error('no NDEATH of its own before its DISCONNECT');
      await until(() => of('NDEATH').length === 2);
      if (of('NDEATH').some((d) => metric(d, 'bdSeq')?.value !== 0)) throw new Error(`NDEATHs ${JSON.stringify(of('NDEATH'))}`);
      marks.disconnect = '0x04';
    }
    marks.death = 'bdSeq 0';
  } catch (e) {
    marks.__during = `${e.message} after ${Object.keys(marks).join(', ') || 'nothing'}`;
  }
  if (wire) wire.close();
  return endNodeScenario(marks, control, running, box, watch);
}

for (const bin of process.env.ONLY ? [] : bins) {
  const probe = scratch();
  const total = Number(((await run(bin, probe.dir, ['console.log("@"+"@total", process.memory().total);'], 10000)).marks.find((m) => m[0] === 'total') || [])[1]);
  probe.remove();
  const board = total >= 4000 ? 'esp32' : 'esp8266';
  // (MQTT 5.0 and WebSocket firmware where the board takes them: boards/*.json budget.mqtt5, budget.websocket)
  const budget = loadBoard(board).budget;
  for (const mode of ['tcp', 'ws', 'mqtt5'].filter((m) => m === 'tcp' || budget[m === 'ws' ? 'websocket' : m])) {
    const started = Date.now();
    const marks = await nodeScenario(bin, board, mode);
    const ok = !marks.__during && !marks.__end && marks.will === 'offline';
    if (!ok) failed++;
    const file = `${board}${mode === 'tcp' ? '' : `-${mode}`}.js`;
    rows.push([bin.split('/').pop(), `sensor node (${file}${{ tcp: '', ws: ', ws://', mqtt5: ', MQTT 5.0, Mosquitto' }[mode]}): discovery, readings, command, ${mode === 'mqtt5' ? '' : 'cut and back, '}will`, ok ? 'pass' : 'FAIL', `${Date.now() - started} ms`, JSON.stringify(marks)]);
  }
  for (const v5 of budget.mqtt5 ? [false, true] : [false]) {
    const started = Date.now();
    const marks = await sparkplugScenario(bin, board, v5);
    const ok = !marks.__during && !marks.__end && marks.death === 'bdSeq 0' && (!v5 || marks.disconnect === '0x04');
    if (!ok) failed++;
    rows.push([bin.split('/').pop(), v5 ? `Sparkplug node (${board}-sparkplug-mqtt5.js, Mosquitto): ..., orderly end: NDEATH, DISCONNECT 0x04, the will` : `Sparkplug node (${board}-sparkplug.js): birth, data, command, rebirth, death`, ok ? 'pass' : 'FAIL', `${Date.now() - started} ms`, JSON.stringify(marks)]);
  }
}

console.log('\nreal interpreter scenarios (boot code from flash, Aedes and, for MQTT 5.0, Mosquitto on 127.0.0.1)');
for (const r of rows) console.log(`${r[2].padEnd(5)} ${r[0].padEnd(18)} ${r[1].padEnd(62)} ${r[3].padStart(8)}  ${r[2] === 'pass' ? '' : r[4]}`);
console.log(`${rows.length - failed} passed, ${failed} failed`);
await peer.endAsync(true);
await peer5.endAsync(true);
await mosquitto.close();
kill();
proxyServer.close();
tlsServer.close();
mtlsServer.close();
for (const web of webServers) web.close();
await new Promise((r) => aedes.close(r));
process.exit(failed ? 1 : 0);
