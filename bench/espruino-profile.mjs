// Where one message's time goes on the real interpreter (ESPRUINO_BIN; the first binary is used): the
// library's parts timed alone from a probe build (bench/probe-entry.ts, built like dist/espruino-mqtt.js
// with the same terser settings, but fields keep their names so that the sizes below can be read), and the whole client over a link that answers in place (no socket), per
// operation in microseconds. Where the blocks go: E.getSizeOf of the connected client's fields.
// V5=1: the MQTT 5.0 build (MQTT5 true), the client speaking 5.0 and the packets in their 5.0 form.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rollup } from 'rollup';
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import { interpreters, run, scratch } from '../scripts/espruino.mjs';

const V5 = process.env.V5 === '1';
const bundle = await rollup({
  input: 'bench/probe-entry.ts',
  plugins: [
    typescript({ tsconfig: './tsconfig.json', include: ['src/**/*.ts', 'bench/probe-entry.ts'], noEmitOnError: true, outputToFilesystem: false }),
    terser({ ecma: 5, compress: { passes: 3, pure_getters: true, inline: 1, keep_fargs: false, global_defs: { BYTE_STRINGS: true, MQTT5: V5, KEEP_HOT_CALLS: true, TLS: true } }, mangle: { reserved: ['E'] }, format: { ascii_only: false } }),
  ],
  onwarn() {},
});
const { output } = await bundle.generate({ format: 'cjs', esModule: false, strict: false, generatedCode: 'es5' });
const probe = output[0].code;

// "@"+"@" keeps the marks out of the REPL's echo; each line is typed on its own.
const program = `var P = require("probe");
var T = function (name, n, fn) { var t = getTime(); for (var i = 0; i < n; i++) fn(i); console.log("@"+"@t " + name.replace(/ /g, "_") + " " + ((getTime() - t) * 1e6 / n).toFixed(0)); };
var tx = new Uint8Array(512), body = "0123456789abcdef", topic = "bench/t";
var pk = ${V5 ? '"\\x30\\x1a\\x00\\x07bench/t\\x00" + body' : '"\\x30\\x19\\x00\\x07bench/t" + body'}, pk1 = ${V5 ? '"\\x32\\x1c\\x00\\x07bench/t\\x00\\x05\\x00" + body' : '"\\x32\\x1b\\x00\\x07bench/t\\x00\\x05" + body'};
var connack = ${V5 ? '"\\x20\\x03\\x00\\x00\\x00"' : '"\\x20\\x02\\x00\\x00"'}, v5 = ${V5 ? 5 : 4};
// (an onPublish and an onAck as the client gives: the 3.1.1 library build's string path calls them without a test)
var r = P.createReader(512, function () {}, function (c, e) { console.log("@"+"@error " + e); }, {}, v5 === 5, function () {}, function () {});
var ev, link = { write: function () {}, end: function () {} };
var pbuf = E.toUint8Array(pk.substr(2));
var c = P.connect({ host: "x", clientId: "p", protocolVersion: v5, transport: function (to, on) { ev = on; return link; }, outboxMessages: 20 });
c.on("message", function () {});
// a second client whose window holds every message: publishes and PUBACKs timed apart
var ev2, c2 = P.connect({ host: "x", clientId: "q", protocolVersion: v5, transport: function (to, on) { ev2 = on; return link; }, outboxMessages: 310, outboxBytes: 12000, window: 400${V5 ? ', qos2Ids: 400' : ''} });
// the same whole-client rows on the shipped dist/espruino-mqtt.js (V5: espruino-mqtt5.js) (public API only): the probe build exports
// internals, which changes what the compiler inlines, and inlining changes the time on the board
var L = require("${V5 ? 'espruino-mqtt5' : 'espruino-mqtt'}"), sev, slink = { write: function () {}, end: function () {} };
var sc = L.connect({ host: "x", clientId: "s", protocolVersion: v5, transport: function (to, on) { sev = on; return slink; }, outboxMessages: 20 });
sc.on("message", function () {});
sc.on("error", function (e) { console.log("@"+"@error shipped: " + e.message); });
var parts = function () {
T("reader: PUBLISH 16 B", 300, function () { r.push(pk); });
T("reader: PUBACK", 300, function () { r.push("\\x40\\x02\\x00\\x01"); });
T("reader: PINGRESP", 300, function () { r.push("\\xd0\\x00"); });
T("E.toUint8Array of the chunk", 300, function () { E.toUint8Array(pk); });
T("encodePublish", 300, function () { P.encodePublish(tx, topic, body, 0, false, false, 0${V5 ? ', null' : ''}); });
T("encodeAck", 300, function () { P.encodeAck(tx, 4, 7); });
T("topicNameError", 300, function () { P.topicNameError(topic); });
T("bytesToString topic", 300, function () { P.bytesToString(tx, 2, 9); });
T("matchTopic exact", 300, function () { P.matchTopic("bench/t", topic); });
T("matchTopic +", 300, function () { P.matchTopic("bench/+", topic); });
var es = { _queue: null, _listeners: { message: function () {} }, _flushing: 0, _inDrop: 0 };
var ob = P.createOutbox(1024, 16);
T("outbox: store + remove", 300, function () { P.store(ob, tx, 25, 1, 1, 0, undefined); P.remove(ob, ob._head); });
T("emit + flush, one listener", 300, function () { P.emit(es, "message", topic, body, es); P.flush(es); });
T("message object", 300, function () { var m = { topic: topic, payload: body, qos: 0, retain: false, dup: false, messageId: 0 }; });
T("Date.now", 300, function () { Date.now(); });
};
var whole = function () {
T("client: publish QoS 0 + drain", 300, function () { c.publish(topic, body); ev.notify(2); });
T("client: drain, nothing queued", 300, function () { ev.notify(2); });
T("client: publish QoS 1 + drain + PUBACK", 300, function (i) { c.publish(topic, body, { qos: 1 }); ev.notify(2); ev.notify(1, "\\x40\\x02" + String.fromCharCode((i + 1) >> 8, (i + 1) & 255)); });
var ack = { type: 4, length: 2, id: 0, qos: 0, dup: false, retain: false, topic: "", buf: pbuf, start: 0, end: 0, code: 0, sessionPresent: false, error: 0 };
T("client: publish QoS 1 + drain + onPacket(PUBACK)", 300, function () { c.publish(topic, body, { qos: 1 }); ev.notify(2); ack.id = c._lastId; P.onPacket(c, ack); });
var ackOf = function (id) { ack.id = id; P.onPacket(c, ack); };
for (var j = 0; j < 7; j++) { c.publish(topic, body, { qos: 1 }); ev.notify(2); }
T("client: QoS 1, 8 in flight: publish + drain + onPacket(PUBACK of the oldest)", 300, function () { c.publish(topic, body, { qos: 1 }); ev.notify(2); ackOf(c._box._id[c._box._head]); });
for (var j = 0; j < 7; j++) ackOf(c._box._id[c._box._head]);
T("client: publish QoS 1 + drain, 300 in flight", 300, function () { c2.publish(topic, body, { qos: 1 }); ev2.notify(2); });
var ack2 = { type: 4, length: 2, id: 0, qos: 0, dup: false, retain: false, topic: "", buf: pbuf, start: 0, end: 0, code: 0, sessionPresent: false, error: 0 };
T("client: onPacket(PUBACK) alone, 300 in flight to none", 300, function () { ack2.id = c2._box._id[c2._box._head]; P.onPacket(c2, ack2); });
T("client: receive QoS 0", 300, function () { ev.notify(1, pk); });
var pkt = { type: 3, length: 23, id: 0, qos: 0, dup: false, retain: false, topic: topic, buf: pbuf, start: ${V5 ? 10 : 9}, end: ${V5 ? 26 : 25}, code: 0, sessionPresent: false, error: 0, props: undefined };
T("client: onPacket(PUBLISH QoS 0) alone", 300, function () { P.onPacket(c, pkt); });
T("client: receive QoS 1 (PUBACK sent)", 300, function () { ev.notify(1, pk1); ev.notify(2); });
T("shipped: publish QoS 0 + drain", 300, function () { sc.publish(topic, body); sev.notify(2); });
T("shipped: publish QoS 1 + drain + PUBACK", 300, function (i) { sc.publish(topic, body, { qos: 1 }); sev.notify(2); sev.notify(1, "\\x40\\x02" + String.fromCharCode((i + 1) >> 8, (i + 1) & 255)); });
T("shipped: receive QoS 0", 300, function () { sev.notify(1, pk); });
T("shipped: receive QoS 1 (PUBACK sent)", 300, function () { sev.notify(1, pk1); sev.notify(2); });
if (!sc.connected || sc.queued()) console.log("@"+"@error shipped: the client is not connected, or holds messages: its rows are void");
var size = function (v, d) {
  if (typeof v === "function" || v === c && d) return 0;
  if (!v || typeof v !== "object" || v.buffer) return E.getSizeOf(v);
  var n = 1, j;
  for (j in v) n += 1 + size(v[j], d + 1);
  return n;
};
var k;
for (k in c) if (typeof c[k] !== "function") console.log("@"+"@size " + k + " " + size(c[k], 1));
console.log("@"+"@size (client,_without_functions) " + size(c, 0));
console.log("@"+"@done");
};
setTimeout(function () { parts(); ev.notify(0); ev.notify(1, connack); ev2.notify(0); ev2.notify(1, connack); sev.notify(0); sev.notify(1, connack); setTimeout(whole, 20); }, 20);`;

// RUNS=n (default 1): n fresh interpreters, each row the median of its n timings (one run moves by ~5-10%)
const RUNS = Math.max(1, Number(process.env.RUNS) || 1);
const bin = interpreters()[0];
const times = new Map();
let result;
for (let k = 0; k < RUNS; k++) {
  const box = scratch();
  writeFileSync(join(box.dir, 'node_modules', 'probe.js'), probe);
  if (V5) copyFileSync('dist/espruino-mqtt5.js', join(box.dir, 'node_modules', 'espruino-mqtt5.js'));
  writeFileSync(join(box.dir, 'profile.js'), program);
  result = await run(bin, box.dir, ['eval(require("fs").readFileSync("profile.js"))'], 60000);
  box.remove();
  if (result.why !== 'done') console.log(`(ended: ${result.why})`, process.env.DEBUG ? result.output.slice(-3000) : '');
  for (const m of result.marks.filter((x) => x[0] === 't')) times.set(m[1], [...(times.get(m[1]) || []), Number(m[2])]);
}
const median = (a) => a.slice().sort((x, y) => x - y)[(a.length - 1) >> 1];
console.log(`Profile on ${bin}${V5 ? ', MQTT 5.0 build speaking 5.0' : ''}: microseconds per operation (300 each, median of ${RUNS} run${RUNS > 1 ? 's' : ''}), probe build ${probe.length} B`);
for (const [name, t] of times) console.log(`${name.replace(/_/g, ' ').padEnd(44)} ${String(median(t)).padStart(6)} us${RUNS > 1 ? `  (${Math.min(...t)}-${Math.max(...t)})` : ''}`);
console.log('\nBlocks held by the connected client, field by field (E.getSizeOf of data; functions, which live in the\nlibrary, not counted; an object shared by two fields counts in each)');
const sizes = result.marks.filter((x) => x[0] === 'size').map((m) => [m[1], Number(m[2])]).sort((a, b) => b[1] - a[1]);
for (const [k, v] of sizes) console.log(`${k.replace(/_without_/g, ' without ').padEnd(20)} ${String(v).padStart(5)}`);
for (const m of result.marks.filter((x) => x[0] === 'error')) console.log(`error ${m.slice(1).join(' ')}`);
