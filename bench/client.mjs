// End-to-end messages per second through an in-process Aedes broker on 127.0.0.1: our client (dist/host.cjs)
// against MQTT.js in the same run, and our client's heap after 10k messages against after 100.
import net from 'node:net';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';

const require = createRequire(import.meta.url);
const host = require('../dist/host.cjs');
const N = Number(process.env.BENCH_MESSAGES || 20000);

const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const wait = (fn) => new Promise((resolve) => { const t = setInterval(() => { if (fn()) { clearInterval(t); resolve(); } }, 1); });
const settle = () => new Promise((r) => setImmediate(r));

function ours(opts = {}) {
  const c = host.connect({ host: '127.0.0.1', port, keepalive: 60, txBuffer: 1024, rxBuffer: 1024, outboxMessages: 64, outboxBytes: 8192, overflow: 'reject-new', ...opts });
  return new Promise((resolve) => c.on('connect', () => resolve(c)));
}

async function runOurs(qos, n, topic) {
  const sub = await ours();
  const pub = await ours();
  let got = 0;
  sub.subscribe(topic, { qos }, () => {});
  sub.on('message', () => got++);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  for (let i = 0; i < n; ) {
    if (pub.queued() < 60) { if (pub.publish(topic, 'reading ' + i, { qos })) i++; } else await settle();
  }
  await wait(() => got >= n);
  const ms = performance.now() - t0;
  return { rate: (n / ms) * 1000, pub, sub };
}

async function runTheirs(qos, n, topic) {
  const sub = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4 });
  const pub = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4 });
  let got = 0;
  await sub.subscribeAsync(topic, { qos });
  sub.on('message', () => got++);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) pub.publish(topic, 'reading ' + i, { qos });
  await wait(() => got >= n);
  const ms = performance.now() - t0;
  await pub.endAsync(); await sub.endAsync();
  return (n / ms) * 1000;
}

const rows = [];
for (const qos of [0, 1]) {
  const a = await runOurs(qos, N, `bench/ours/${qos}`);
  a.pub.end(true); a.sub.end(true);
  const b = await runTheirs(qos, N, `bench/theirs/${qos}`);
  rows.push([`QoS ${qos}`, a.rate, b]);
}

console.log(`\nend to end through Aedes, ${N} messages each, messages/s (Node ${process.version})`);
console.log('case        espruino-mqtt     MQTT.js   ratio');
const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(12);
for (const [name, a, b] of rows) console.log(`${name.padEnd(10)}${fmt(a)}${fmt(b)}   ${(a / b).toFixed(2)}x`);

// Heap of our client after 100 and after 10,000 QoS 1 messages (publisher and subscriber in one process).
if (global.gc) {
  const sub = await ours();
  const pub = await ours();
  let got = 0;
  sub.subscribe('bench/heap', { qos: 1 });
  sub.on('message', () => got++);
  await new Promise((r) => setTimeout(r, 50));
  const pump = async (n) => { const target = got + n; for (let i = 0; i < n; ) { if (pub.queued() < 60) { if (pub.publish('bench/heap', 'x' + i, { qos: 1 })) i++; } else await settle(); } await wait(() => got >= target); };
  await pump(100);
  const heap = async () => { await new Promise((r) => setTimeout(r, 100)); global.gc(); return process.memoryUsage().heapUsed / 1024; };
  const marks = [['100', await heap()]];
  for (const n of [10000, 20000, 30000]) { await pump(10000); marks.push([n.toLocaleString('en-US'), await heap()]); }
  console.log('\nheap of the whole process (Aedes included) after GC, by QoS 1 messages through our client:');
  for (const [n, kib] of marks) console.log(`  after ${n.padStart(6)}: ${kib.toFixed(0)} KiB`);
  pub.end(true); sub.end(true);
}

await new Promise((r) => broker.close(r));
server.close();
