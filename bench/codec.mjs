// Codec throughput against mqtt-packet in the same process, and heap growth of our encoders once warm.
// Run with `npm run bench` (it builds first); measures the ES5 build (dist/host.cjs), not the TypeScript source.
import { createRequire } from 'node:module';
import mqttPacket from 'mqtt-packet';

const lib = createRequire(import.meta.url)('../dist/host.cjs');
const PUBLISH = 3, PUBACK = 4;
const MS = Number(process.env.BENCH_MS || 400);

function rate(fn) {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const end = performance.now() + MS;
  const t0 = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
  }
  return n / ((performance.now() - t0) / 1000);
}

const buf = new Uint8Array(4096);
const connect = {
  clientId: 'sensor-node-3fa2', keepalive: 60, clean: true, username: 'node', password: 'secret',
  will: { topic: 'nodes/3fa2/status', payload: 'offline', qos: 1, retain: true },
};
const refConnect = { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, ...connect, password: Buffer.from('secret'), will: { ...connect.will, payload: Buffer.from('offline') } };
const p16 = new Uint8Array(16).fill(65);
const p1k = new Uint8Array(1024).fill(66);
const topic = 'nodes/3fa2/temperature';
const refPublish = (payload) => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, messageId: 42, retain: false, dup: false });

const cases = [
  ['CONNECT', () => lib.encodeConnect(buf, connect), () => mqttPacket.generate(refConnect), mqttPacket.generate(refConnect)],
  ['PUBLISH 16 B', () => lib.encodePublish(buf, topic, p16, 1, false, false, 42), () => mqttPacket.generate(refPublish(p16)), mqttPacket.generate(refPublish(p16))],
  ['PUBLISH 1 KB', () => lib.encodePublish(buf, topic, p1k, 1, false, false, 42), () => mqttPacket.generate(refPublish(p1k)), mqttPacket.generate(refPublish(p1k))],
  ['PUBACK', () => lib.encodeAck(buf, PUBACK, 42), () => mqttPacket.generate({ cmd: 'puback', messageId: 42 }), mqttPacket.generate({ cmd: 'puback', messageId: 42 })],
];

// MQTT 5.0: the same packets with the properties a sensor node sends and gets (v5 in the name).
const v5 = { protocolVersion: 5 };
const connect5 = { ...connect, version: 5, properties: { sessionExpiryInterval: 3600, receiveMaximum: 16, topicAliasMaximum: 4 } };
const refConnect5 = { ...refConnect, protocolVersion: 5, properties: connect5.properties };
const props5 = { messageExpiryInterval: 300, contentType: 'application/json', userProperties: { unit: 'C' } };
const refPublish5 = (payload) => ({ ...refPublish(payload), properties: props5 });
const ackProps = { reasonString: 'quota' };
cases.push(
  ['CONNECT v5', () => lib.encodeConnect(buf, connect5), () => mqttPacket.generate(refConnect5, v5), mqttPacket.generate(refConnect5, v5), 5],
  ['PUBLISH 16 B v5', () => lib.encodePublish(buf, topic, p16, 1, false, false, 42, props5), () => mqttPacket.generate(refPublish5(p16), v5), mqttPacket.generate(refPublish5(p16), v5), 5],
  ['PUBLISH 16 B v5, no props', () => lib.encodePublish(buf, topic, p16, 1, false, false, 42, null), () => mqttPacket.generate(refPublish(p16), v5), mqttPacket.generate(refPublish(p16), v5), 5],
  ['PUBLISH 1 KB v5', () => lib.encodePublish(buf, topic, p1k, 1, false, false, 42, props5), () => mqttPacket.generate(refPublish5(p1k), v5), mqttPacket.generate(refPublish5(p1k), v5), 5],
  ['PUBACK v5', () => lib.encodeAck(buf, PUBACK, 42, 0x97, ackProps), () => mqttPacket.generate({ cmd: 'puback', messageId: 42, reasonCode: 0x97, properties: ackProps }, v5), mqttPacket.generate({ cmd: 'puback', messageId: 42, reasonCode: 0x97, properties: ackProps }, v5), 5],
);

const rows = [];
for (const [name, ours, theirs, bytes, version = 4] of cases) {
  rows.push([`encode ${name}`, rate(ours), rate(theirs)]);
  // decode: a server sends PUBLISH and PUBACK; CONNECT is never decoded by a client
  if (name.startsWith('CONNECT')) continue;
  let seen = 0;
  const reader = lib.createReader(2048, () => seen++, (_, code) => { throw new Error('decode error ' + code); }, null, version === 5);
  const parser = mqttPacket.parser({ protocolVersion: version });
  parser.on('packet', () => seen++);
  const u8 = new Uint8Array(bytes);
  rows.push([`decode ${name}`, rate(() => reader.push(u8)), rate(() => parser.parse(bytes))]);
}

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(12);
console.log('\ncodec throughput, ops/s (ES5 build vs mqtt-packet ' + JSON.parse((await import('node:fs')).readFileSync('node_modules/mqtt-packet/package.json')).version + ', Node ' + process.version + ')');
console.log('case                      espruino-mqtt  mqtt-packet   ratio');
for (const [name, a, b] of rows) console.log(`${name.padEnd(25)}${fmt(a)} ${fmt(b)}   ${(a / b).toFixed(1)}x`);

// Heap growth across 100k encodes after warm-up (needs --expose-gc for a clean reading).
if (global.gc) {
  const encodeAll = (n) => { for (let i = 0; i < n; i++) { lib.encodePublish(buf, topic, p16, 1, false, false, 1 + (i % 65535)); lib.encodeAck(buf, PUBACK, 1 + (i % 65535)); } };
  encodeAll(100000);
  global.gc();
  const before = process.memoryUsage().heapUsed;
  encodeAll(100000);
  global.gc();
  const after = process.memoryUsage().heapUsed;
  console.log(`\nheap growth over 100k PUBLISH+PUBACK encodes after warm-up: ${after - before} bytes (${((after - before) / 100000).toFixed(3)} B/encode)`);
} else {
  console.log('\n(run node with --expose-gc for the heap-growth figure)');
}
