// Two builds of the library in one interpreter (the first ESPRUINO_BIN), alternated in slices of operations,
// each through the library's own Espruino transport over a stand-in socket (require("net") answers with one
// whose write takes the string and does nothing; the socket's events are delivered as the interpreter
// delivers them: data with a byte string, drain with the socket): per row, microseconds per operation,
// minimum and median over ROUNDS rounds (default 15), and B over A. On a host that slows down now and then,
// the minimum of one interpreter's rounds compares two builds more steadily than separate runs of
// bench/espruino.mjs. With ESPRUINO_MQTT=path/MQTT.js, Espruino's own module does the same operations on its
// own stand-in socket, in the same rounds (its 'message' listener set; nothing of it is kept here; it
// listens for no drain and keeps nothing it sends, so it has no queued row).
// Usage: node bench/espruino-ab.mjs A.js B.js (e.g. a worktree's dist/espruino-mqtt.js against this one's).
// Before issue 13's twenty-first session the link was a stand-in that answered in place, without the
// transport: its figures are about 10 us lower a write and a drain than this one's.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpreters, run, scratch } from '../scripts/espruino.mjs';

const [A, B] = process.argv.slice(2);
if (!A || !B) {
  console.error('usage: node bench/espruino-ab.mjs A.js B.js (two builds of dist/espruino-mqtt.js)');
  process.exit(2);
}
const ROUNDS = Number(process.env.ROUNDS) || 15;
const MODULE = process.env.ESPRUINO_MQTT;
// [label, operations a slice, operations a timed call]; the QoS 1 publish and its PUBACK also apart: 20
// publishes in a row (the window, the socket's room (txBuffer) and the outbox hold them: each written at
// once), then their 20 PUBACKs
const ROWS = [
  ['publish QoS 0 + drain', 40, 1],
  ['publish QoS 1 + drain + PUBACK', 40, 1],
  ['publish QoS 1, 20 in flight', 1, 20],
  ['their PUBACKs, each', 1, 20],
  ['receive QoS 0', 40, 1],
  ['receive QoS 1 + drain', 40, 1],
  ['publish QoS 0 queued, per message', 40, 36],
];
const program = `
var socks = {};
var fakeConnect = function (opts, cb) { var s = { write: function () {}, end: function () {}, on: function (ev, fn) { this["#on" + ev] = fn; } }; socks[opts.host] = [s, cb]; return s; };
Modules.addCached("net", "exports.connect = fakeConnect;");
var made = 0;
var mk = function (L, slow) { var o = { host: "h" + made++ };
 o.c = L.connect({ host: o.host, clientId: "s", outboxMessages: slow ? 40 : 24, window: slow ? 8 : 20, txBuffer: slow ? 256 : 1024, outboxBytes: slow ? 2048 : 1024 });
 o.c.on("message", function () {}); o.c.on("error", function (e) { console.log("@"+"@error " + e.message); }); return o; };
var libs = [mk(require("liba")), mk(require("libb"))];
// (a client whose socket takes nine messages between drains: the rest wait in the outbox for pump)
var slow = [mk(require("liba"), 1), mk(require("libb"), 1)];
var open = function (o) { var p = socks[o.host]; o.s = p[0]; p[1].call(o.s, o.s);
 o.data = function (d) { o.s["#ondata"].call(o.s, d); }; o.drain = function () { o.s["#ondrain"].call(o.s, o.s); }; };
${MODULE ? `var M = require("MQTT").create("x", { client_id: "m" }), ms = fakeConnect({ host: "m" });
M.connect(ms); M.on("message", function () {});
libs.push({ c: M, data: function (d) { ms["#ondata"](d); }, drain: function () {} });` : ''}
var topic = "bench/t", body = "0123456789abcdef";
var pk = "\\x30\\x19\\x00\\x07bench/t" + body, pk1 = "\\x32\\x1b\\x00\\x07bench/t\\x00\\x05" + body;
var ids = [0, 0, 0];
var ack = function (k) { ids[k]++; return "\\x40\\x02" + String.fromCharCode((ids[k] >> 8) & 255, ids[k] & 255); };
var rows = [
 function (o) { o.c.publish(topic, body); o.drain(); },
 function (o, k) { o.c.publish(topic, body, { qos: 1 }); o.drain(); o.data(ack(k)); },
 function (o) { for (var i = 0; i < 20; i++) o.c.publish(topic, body, { qos: 1 }); o.drain(); },
 function (o, k) { for (var i = 0; i < 20; i++) o.data(ack(k)); },
 function (o) { o.data(pk); },
 function (o) { o.data(pk1); o.drain(); },
 function (o, k) { var q = slow[k], i; for (i = 0; i < 36; i++) q.c.publish(topic, body); for (i = 0; i < 4; i++) q.drain(); }
];
var slices = ${JSON.stringify(ROWS.map((r) => r[1]))}, per = ${JSON.stringify(ROWS.map((r) => r[2]))};
var round = function (r) {
 for (var j = 0; j < rows.length; j++) for (var kk = 0; kk < libs.length; kk++) {
  // (the 20 PUBACKs answer the 20 publishes just made by the same library: the order of the libraries is
  // the same in both rows of a round)
  var k = (r + kk) % libs.length, o = libs[k], f = rows[j], t;
  if (k === 2 && j === 6) continue;
  t = getTime();
  for (var i = 0; i < slices[j]; i++) f(o, k);
  console.log("@"+"@t " + j + " " + k + " " + ((getTime() - t) * 1e6 / slices[j] / per[j]).toFixed(1));
 }
};
setTimeout(function () { libs.slice(0, 2).concat(slow).forEach(function (o) { open(o); o.data("\\x20\\x02\\x00\\x00"); });
 ${MODULE ? 'libs[2].data("\\x20\\x02\\x00\\x00");' : ''}
 setTimeout(function () { for (var r = 0; r < ${ROUNDS}; r++) round(r);
  libs.slice(0, 2).concat(slow).forEach(function (o, k) { if (!o.c.connected || o.c.queued()) console.log("@"+"@error " + "AB"[k & 1] + " ended connected " + o.c.connected + ", holding " + o.c.queued() + ": its rows are void"); });
  console.log("@"+"@done"); }, 20); }, 20);`;

const bin = interpreters()[0];
const box = scratch();
copyFileSync(A, join(box.dir, 'node_modules', 'liba.js'));
copyFileSync(B, join(box.dir, 'node_modules', 'libb.js'));
if (MODULE) copyFileSync(MODULE, join(box.dir, 'node_modules', 'MQTT.js'));
writeFileSync(join(box.dir, 'ab.js'), program);
const result = await run(bin, box.dir, ['eval(require("fs").readFileSync("ab.js"))'], 300000);
box.remove();
if (process.env.DEBUG) console.log(result.output.slice(-3000));
if (result.why !== 'done') console.log(`(ended: ${result.why})`);
const times = ROWS.map(() => [[], [], []]);
for (const m of result.marks) {
  if (m[0] === 'error') console.log(`error ${m.slice(1).join(' ')}`);
  if (m[0] === 't') times[Number(m[1])][Number(m[2])].push(Number(m[3]));
}
const median = (a) => a.slice().sort((x, y) => x - y)[(a.length - 1) >> 1];
const us = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-').padStart(6);
console.log(`Same interpreter (${bin}), ${ROUNDS} rounds: us per operation, min / median\nA = ${A}\nB = ${B}${MODULE ? `\nM = ${MODULE}` : ''}`);
console.log(`${'row'.padEnd(34)} ${'A min'.padStart(6)} ${'A med'.padStart(6)} ${'B min'.padStart(6)} ${'B med'.padStart(6)}  B/A (min)${MODULE ? '  M min  M med  B/M (min)' : ''}`);
ROWS.forEach(([n], j) => {
  const [a, b, m] = times[j];
  const mod = MODULE ? (m.length ? ` ${us(Math.min(...m))} ${us(median(m))}  ${(Math.min(...b) / Math.min(...m)).toFixed(2)}` : '      -      -') : '';
  console.log(`${n.padEnd(34)} ${us(Math.min(...a))} ${us(median(a))} ${us(Math.min(...b))} ${us(median(b))}  ${(Math.min(...b) / Math.min(...a)).toFixed(2).padStart(9)}${mod}`);
});
