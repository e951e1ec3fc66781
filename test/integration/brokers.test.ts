// The client against real brokers on 127.0.0.1, Aedes (in-process) and Mosquitto (a process), with MQTT.js as
// the independent peer: the same scenarios against both.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import selfsigned from 'selfsigned';
import { ClientErr } from '../../src/client/errors';
import type { Client } from '../../src/client/client';
import { startProxy, type TestProxy } from '../helpers/broker';
import { KINDS, startKind, type AnyBroker } from '../helpers/brokers';
import { ended, hostClient, next, sleep, until } from '../helpers/host-client';

let broker: AnyBroker;
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  await broker.close();
});

function ours(opts: Parameters<typeof hostClient>[0] = {}): Client {
  const c = hostClient({ port: broker.port, ...opts });
  c.on('error', () => {}); // tests that care listen themselves
  cleanup.push(() => ended(c));
  return c;
}

async function peer(opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 4, reconnectPeriod: 100, ...opts });
  cleanup.push(() => c.endAsync(true));
  return c;
}

for (const kind of KINDS) describe(`against ${kind === 'aedes' ? 'Aedes' : 'Mosquitto'}`, () => {
  beforeEach(async () => {
    broker = await startKind(kind);
  });

  it('round-trips QoS 0 and QoS 1 messages to itself and to MQTT.js', async () => {
    const c = ours();
    await next(c, 'connect');
    const got: string[] = [];
    c.subscribe('rt/#', { qos: 1, handler: (topic, payload) => got.push(`${topic}=${payload}`) });
    const other = await peer();
    const theirs: string[] = [];
    other.on('message', (topic, payload) => theirs.push(`${topic}=${payload}`));
    await other.subscribeAsync('rt/#', { qos: 1 });
    await sleep(50);
    const acked: number[] = [];
    c.publish('rt/a', 'zero');
    c.publish('rt/b', 'one', { qos: 1 }, (err) => !err && acked.push(1));
    c.publish('rt/\u00e9', 'caf\u00e9', { qos: 1 });
    await until(() => got.length === 3 && theirs.length === 3 && acked.length === 1);
    expect(got.sort()).toEqual(['rt/a=zero', 'rt/b=one', 'rt/\u00e9=caf\u00e9']);
    expect(theirs.sort()).toEqual(got);
    await other.publishAsync('rt/c', 'from mqtt.js', { qos: 1 });
    await until(() => got.length === 4);
    expect(got[3]).toBe('rt/c=from mqtt.js');
  });

  it('has its will delivered after an abrupt close, and not after end()', async () => {
    const proxy = await startProxy(() => broker.port);
    cleanup.push(() => proxy.close());
    const watcher = await peer();
    const wills: string[] = [];
    watcher.on('message', (topic, payload) => wills.push(String(payload)));
    await watcher.subscribeAsync('node/+/status');
    const a = ours({ port: proxy.port, clientId: 'will-a', will: { topic: 'node/a/status', payload: 'offline', qos: 1, retain: false } });
    await next(a, 'connect');
    proxy.cut();
    await until(() => wills.length === 1);
    expect(wills).toEqual(['offline']);
    const b = ours({ clientId: 'will-b', will: { topic: 'node/b/status', payload: 'offline', qos: 1 } });
    await next(b, 'connect');
    await new Promise<void>((resolve) => b.end(() => resolve()));
    await sleep(300);
    expect(wills).toEqual(['offline']);
  });

  it('notices a broker that stops answering, and reconnects when it answers again', async () => {
    const proxy = await startProxy(() => broker.port);
    cleanup.push(() => proxy.close());
    const c = ours({ port: proxy.port, keepalive: 1 });
    await next(c, 'connect');
    const errors: number[] = [];
    c.on('error', (e) => errors.push(e.code));
    const start = Date.now();
    proxy.silent = true;
    await next(c, 'offline', 4000);
    const detected = Date.now() - start;
    expect(errors).toContain(ClientErr.PING_TIMEOUT);
    expect(detected).toBeLessThanOrEqual(1500 + 400); // 1.5x keepalive, plus timer slack on a busy machine
    proxy.silent = false;
    await next(c, 'connect', 5000);
    expect(c.connected).toBe(true);
  });

  it('loses no QoS 1 message when the broker is killed and restarted mid-stream of 2,000', async () => {
    const sub = await peer({ clientId: 'stream-sub', clean: false });
    await sub.subscribeAsync('stream', { qos: 1 });
    const seen = new Map<number, number>();
    sub.on('message', (_t, payload) => {
      const n = Number(String(payload));
      seen.set(n, (seen.get(n) || 0) + 1);
    });
    const pub = ours({ clientId: 'stream-pub', outboxMessages: 64, outboxBytes: 4096, overflow: 'reject-new', keepalive: 2 });
    await next(pub, 'connect');
    let acked = 0;
    let refused = 0;
    const TOTAL = 2000;
    for (let i = 0; i < TOTAL; i++) {
      while (pub.queued() >= 60) await sleep(2);
      if (i === 700) {
        const b = broker;
        Promise.resolve(b.kill()).then(() => setTimeout(() => b.restart(), 300));
      }
      if (!pub.publish('stream', String(i), { qos: 1 }, (err) => (err ? refused++ : acked++))) refused++;
    }
    await until(() => acked === TOTAL, 20000, 'every PUBACK');
    await until(() => seen.size === TOTAL, 20000, 'every message at the subscriber');
    const duplicates = [...seen.values()].reduce((a, n) => a + n - 1, 0);
    console.log(`kill/restart stream: ${TOTAL} sent, ${seen.size} distinct received, ${duplicates} duplicates`);
    expect(refused).toBe(0);
    for (let i = 0; i < TOTAL; i++) expect(seen.has(i), `message ${i}`).toBe(true);
  });

  it('gives a clear error for wrong credentials and makes few attempts', async () => {
    const pems = await certificate();
    await broker.close();
    broker = await startKind(kind, { secure: kind === 'mosquitto' ? { key: pems.private, cert: pems.cert } : undefined, users: { node: 'right' } });
    const at = { port: broker.authPort, protocol: broker.authProtocol, ca: pems.cert };
    const c = ours({ ...at, username: 'node', password: 'wrong', reconnect: { min: 50, max: 1500, jitter: 0 } });
    const errors: { code: number; message: string }[] = [];
    c.on('error', (e) => errors.push(e));
    await sleep(3200);
    // Aedes answers 4 (bad user name or password), Mosquitto 5 (not authorized): both are named
    expect([ClientErr.REFUSED + 4, ClientErr.REFUSED + 5]).toContain(errors[0].code);
    expect(errors[0].message).toMatch(/bad user name or password|not authorized/);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThanOrEqual(3); // at 0, 1.5 s and 3 s: never a storm
    const good = ours({ ...at, username: 'node', password: 'right' });
    await next(good, 'connect');
  });

  it('connects over TLS to a broker with a certificate the test made', async () => {
    const pems = await certificate();
    await broker.close();
    broker = await startKind(kind, { secure: { key: pems.private, cert: pems.cert }, users: { node: 'right' } });
    const c = ours({ port: broker.tlsPort, protocol: 'mqtts', ca: pems.cert, username: 'node', password: 'right' });
    await next(c, 'connect');
    const got: string[] = [];
    c.subscribe('tls/t', { handler: (_t, p) => got.push(String(p)) });
    c.publish('tls/t', 'secret', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['secret']);
  });
});

function certificate() {
  return selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
}


