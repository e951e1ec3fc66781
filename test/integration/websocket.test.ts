// MQTT over WebSocket against a real broker: Aedes served by the `ws` package on 127.0.0.1 (ws:// and wss://
// with a certificate the test makes), MQTT.js over WebSocket as the independent peer. (Debian's Mosquitto
// starts no websockets listener here.) The kill/restart and mid-frame cut streams over WebSocket are in
// scripts/reliability.mjs (test/reliability.test.ts).
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import selfsigned from 'selfsigned';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { createClient, type Client, type Options } from '../../src/client/client';
import { nodeTransport } from '../../src/transport/node';
import { websocket } from '../../src/transport/websocket';
import { startBroker, type TestBroker } from '../helpers/broker';
import { ended, next, sleep, until } from '../helpers/host-client';

const sha1 = (s: string) => createHash('sha1').update(s, 'latin1').digest('base64');
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function ours(opts: Partial<Options>): Client {
  const c = createClient({ reconnect: { min: 50, max: 500, jitter: 0 }, ...opts, transport: websocket(nodeTransport(net, tls), sha1) } as Options);
  c.on('error', () => {}); // tests that care listen themselves
  cleanup.push(() => ended(c));
  return c;
}

async function broker(secure?: { key: string; cert: string }, ws: { path?: string; protocols?: boolean } = { path: '/mqtt' }): Promise<TestBroker> {
  const b = await startBroker({}, secure, ws);
  cleanup.push(() => b.close());
  return b;
}

async function peer(url: string, opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 100, ...opts });
  cleanup.push(() => c.endAsync(true));
  return c;
}

function certificate() {
  return selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
}

describe('MQTT over WebSocket, against Aedes', () => {
  it('round-trips QoS 0 and 1, small and large, with itself and with MQTT.js over WebSocket', async () => {
    const b = await broker();
    const url = `ws://127.0.0.1:${b.port}/mqtt`;
    const c = ours({ url, rxBuffer: 16384, txBuffer: 16384, outboxBytes: 32768 });
    await next(c, 'connect');
    const got: string[] = [];
    c.subscribe('ws/#', { qos: 1, handler: (topic, payload) => got.push(`${topic}=${String(payload).length}`) });
    const other = await peer(url);
    const theirs: string[] = [];
    other.on('message', (topic, payload) => theirs.push(`${topic}=${payload.length}`));
    await other.subscribeAsync('ws/#', { qos: 1 });
    await sleep(50);
    let acked = 0;
    c.publish('ws/a', 'zero');
    c.publish('ws/b', 'x'.repeat(300), { qos: 1 }, (err) => !err && acked++);
    c.publish('ws/c', 'y'.repeat(12000), { qos: 1 }, (err) => !err && acked++);
    await until(() => got.length === 3 && theirs.length === 3 && acked === 2);
    expect(got.sort()).toEqual(['ws/a=4', 'ws/b=300', 'ws/c=12000']);
    expect(theirs.sort()).toEqual(got);
    await other.publishAsync('ws/d', 'z'.repeat(10000), { qos: 1 });
    await until(() => got.length === 4);
    expect(got[3]).toBe('ws/d=10000');
  });

  it('connects over wss:// to a broker with a certificate the test made', async () => {
    const pems = await certificate();
    const b = await broker({ key: pems.private, cert: pems.cert });
    const url = `wss://127.0.0.1:${b.port}/mqtt`;
    const c = ours({ url, ca: pems.cert });
    await next(c, 'connect');
    const other = await peer(url, { ca: pems.cert });
    const theirs: string[] = [];
    other.on('message', (_t, p) => theirs.push(String(p)));
    await other.subscribeAsync('tls/t', { qos: 1 });
    c.publish('tls/t', 'secret', { qos: 1 });
    await until(() => theirs.length === 1);
    expect(theirs).toEqual(['secret']);
  });

  it('keeps its session across a broker restart: nothing published while away is lost', async () => {
    const b = await broker();
    const url = `ws://127.0.0.1:${b.port}/mqtt`;
    const got: string[] = [];
    const c = ours({ url, clientId: 'ws-session', clean: false });
    c.subscribe('s/#', { qos: 1, handler: (_t, p) => got.push(String(p)) });
    await next(c, 'connect');
    await sleep(50);
    b.kill();
    await next(c, 'offline');
    await b.restart();
    const other = await peer(url);
    await other.publishAsync('s/1', 'while away', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['while away']);
  });

  it('names a refused upgrade, never connects, and keeps to the backoff', async () => {
    for (const [ws, path, message] of [
      [{ path: '/mqtt' }, '/elsewhere', 'socket error: ws: upgrade refused: HTTP/1.1 400 Bad Request'],
      [{ protocols: false }, '/mqtt', 'socket error: ws: the server did not accept the "mqtt" subprotocol'],
    ] as const) {
      const b = await broker(undefined, ws);
      const c = ours({ url: `ws://127.0.0.1:${b.port}${path}`, reconnect: { min: 200, max: 200, jitter: 0 } });
      const errors: string[] = [];
      c.on('error', (e) => errors.push(e.message));
      let connected = 0;
      c.on('connect', () => connected++);
      await sleep(700);
      expect(errors[0]).toBe(message);
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors.length).toBeLessThanOrEqual(5);
      expect(connected).toBe(0);
    }
  });

  it("answers the server's pings, and reports its close with a code and reason, then reconnects", async () => {
    const aedes = await Aedes.createBroker();
    const server = http.createServer();
    const sockets: WebSocket[] = [];
    new WebSocketServer({ server }).on('connection', (s) => {
      sockets.push(s);
      aedes.handle(createWebSocketStream(s) as never);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => aedes.close(() => r(undefined))));
    cleanup.push(() => new Promise((r) => server.close(() => r(undefined))));
    const c = ours({ url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}` });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.message));
    await next(c, 'connect');
    const pongs: string[] = [];
    sockets[0].on('pong', (d) => pongs.push(String(d)));
    sockets[0].ping('are you there');
    await until(() => pongs.length === 1);
    expect(pongs).toEqual(['are you there']);
    sockets[0].close(1008, 'policy');
    await next(c, 'connect');
    expect(errors).toEqual(['socket error: ws: closed by the server: 1008 policy']);
    expect(sockets).toHaveLength(2);
  });
});
