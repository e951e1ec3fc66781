// Two builds of the library in one interpreter (the first ESPRUINO_BIN), alternated in slices of 40
// operations, over a link that answers in place (no socket): per row, microseconds per operation, minimum
// and median over ROUNDS rounds (default 15), and B over A. On a host that slows down now and then, the
// minimum of one interpreter's rounds compares two builds more steadily than separate runs of
// bench/espruino.mjs. Usage: node bench/espruino-ab.mjs A.js B.js (e.g. a worktree's dist/espruino-mqtt.js
// against this one's). An A/A run shows the noise: a few microseconds, except that the receive QoS 1 row
// favours A by about 10 us (seen in two sessions, not explained): swap the two to check a gain there.
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interpreters, run, scratch } from '../scripts/espruino.mjs';

const [A, B] = process.argv.slice(2);
if (!A || !B) {
  console.error('usage: node bench/espruino-ab.mjs A.js B.js (two builds of dist/espruino-mqtt.js)');
  process.exit(2);
}
const ROUNDS = Number(process.env.ROUNDS) || 15;
const program = `
var mk = function (L, slow) { var o = { ev: null, link: { write: function () {}, end: function () {} } };
 o.c = L.connect({ host: "x", clientId: "s", transport: function (to, on) { o.ev = on; return o.link; }, outboxMessages: slow ? 40 : 20, txBuffer: slow ? 256 : 512, outboxBytes: slow ? 2048 : 1024 });
 o.c.on("message", function () {}); o.c.on("error", function (e) { console.log("@"+"@error " + e.message); }); return o; };
var libs = [mk(require("liba")), mk(require("libb"))];
// (a client whose socket takes nine messages between drains: the rest wait in the outbox for pump)
var slow = [mk(require("liba"), 1), mk(require("libb"), 1)];
var topic = "bench/t", body = "0123456789abcdef";
var pk = "\\x30\\x19\\x00\\x07bench/t" + body, pk1 = "\\x32\\x1b\\x00\\x07bench/t\\x00\\x05" + body;
var ids = [0, 0];
var rows = [
 ["publish QoS 0 + drain", function (o) { o.c.publish(topic, body); o.ev.notify(2); }],
 ["publish QoS 1 + drain + PUBACK", function (o, k) { o.c.publish(topic, body, { qos: 1 }); o.ev.notify(2); ids[k]++; o.ev.notify(1, "\\x40\\x02" + String.fromCharCode((ids[k] >> 8) & 255, ids[k] & 255)); }],
 ["receive QoS 0", function (o) { o.ev.notify(1, pk); }],
 ["receive QoS 1 + drain", function (o) { o.ev.notify(1, pk1); o.ev.notify(2); }],
 ["publish QoS 0 queued, per message", function (o, k) { var q = slow[k], i; for (i = 0; i < 36; i++) q.c.publish(topic, body); for (i = 0; i < 4; i++) q.ev.notify(2); }, 36]
];
var round = function (r) {
 for (var j = 0; j < rows.length; j++) for (var kk = 0; kk < 2; kk++) {
  var k = (r + kk) & 1, o = libs[k], f = rows[j][1], t = getTime();
  for (var i = 0; i < 40; i++) f(o, k);
  console.log("@"+"@t " + j + " " + k + " " + ((getTime() - t) * 1e6 / 40 / (rows[j][2] || 1)).toFixed(1));
 }
};
setTimeout(function () { libs.concat(slow).forEach(function (o) { o.ev.notify(0); o.ev.notify(1, "\\x20\\x02\\x00\\x00"); });
 setTimeout(function () { for (var r = 0; r < ${ROUNDS}; r++) round(r);
  libs.concat(slow).forEach(function (o, k) { if (!o.c.connected || o.c.queued()) console.log("@"+"@error " + "AB"[k & 1] + " ended connected " + o.c.connected + ", holding " + o.c.queued() + ": its rows are void"); });
  console.log("@"+"@done"); }, 20); }, 20);`;
const names = ['publish QoS 0 + drain', 'publish QoS 1 + drain + PUBACK', 'receive QoS 0', 'receive QoS 1 + drain', 'publish QoS 0 queued, per message'];

const bin = interpreters()[0];
const box = scratch();
copyFileSync(A, join(box.dir, 'node_modules', 'liba.js'));
copyFileSync(B, join(box.dir, 'node_modules', 'libb.js'));
writeFileSync(join(box.dir, 'ab.js'), program);
const result = await run(bin, box.dir, ['eval(require("fs").readFileSync("ab.js"))'], 300000);
box.remove();
if (result.why !== 'done') console.log(`(ended: ${result.why})`);
const times = names.map(() => [[], []]);
for (const m of result.marks) {
  if (m[0] === 'error') console.log(`error ${m.slice(1).join(' ')}`);
  if (m[0] === 't') times[Number(m[1])][Number(m[2])].push(Number(m[3]));
}
const median = (a) => a.slice().sort((x, y) => x - y)[(a.length - 1) >> 1];
const us = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-').padStart(6);
console.log(`Same interpreter (${bin}), ${ROUNDS} rounds: us per operation, min / median\nA = ${A}\nB = ${B}`);
console.log(`${'row'.padEnd(32)} ${'A min'.padStart(6)} ${'A med'.padStart(6)} ${'B min'.padStart(6)} ${'B med'.padStart(6)}  B/A (min)`);
names.forEach((n, j) => {
  const [a, b] = times[j];
  console.log(`${n.padEnd(32)} ${us(Math.min(...a))} ${us(median(a))} ${us(Math.min(...b))} ${us(median(b))}  ${(Math.min(...b) / Math.min(...a)).toFixed(2)}`);
});
