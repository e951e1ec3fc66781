// The built library bundle in the Espruino-like sandbox, against a real Aedes broker on 127.0.0.1: the
// integration scenarios of the client, run by the code a board runs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { readFileSync } from 'node:fs';
import selfsigned from 'selfsigned';
import { startBroker, startProxy } from '../helpers/broker';
import { KINDS, startKind, type AnyBroker } from '../helpers/brokers';
import { sleep, until } from '../helpers/host-client';
import { createSandbox } from '../../scripts/sandbox.mjs';

type Sandbox = ReturnType<typeof createSandbox>;

interface BoardClient {
  connected: boolean;
  on(ev: string, fn: (...a: any[]) => void): BoardClient; // eslint-disable-line @typescript-eslint/no-explicit-any
  publish(topic: string, payload: unknown, opts?: object, cb?: (err?: { code: number }) => void): boolean;
  subscribe(filter: string, opts?: object, cb?: (err?: unknown, granted?: unknown) => void): boolean;
  end(force?: boolean, cb?: () => void): void;
  queued(): number;
}

let broker: AnyBroker;
let box: Sandbox;
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  errorsOf.clear();
  box.close();
  await broker.close();
});

function board(opts: object, sandbox = box): BoardClient {
  const lib = sandbox.require('espruino-mqtt') as { connect(o: object): BoardClient };
  const c = lib.connect({ host: '127.0.0.1', port: broker.port, reconnect: { min: 50, max: 500, jitter: 0 }, ...opts });
  const errors: number[] = [];
  c.on('error', (e: { code: number }) => errors.push(e.code));
  errorsOf.set(c, errors);
  cleanup.push(() => new Promise<void>((r) => c.end(true, () => r())));
  return c;
}

// 20 messages to itself, QoS 0 and 1 alternately, every fifth of 900 bytes: what the board client received.
async function selfRoundTrip(c: BoardClient, prefix: string): Promise<string[]> {
  const got: string[] = [];
  c.subscribe(`${prefix}/#`, { qos: 1, handler: (topic: string, payload: string) => got.push(`${topic}=${payload.length}`) });
  await sleep(50);
  const big = 'z'.repeat(900);
  for (let i = 0; i < 20; i++) expect(c.publish(`${prefix}/${i % 2}`, i % 5 ? String(i) : big, { qos: i % 2 })).toBe(true);
  await until(() => got.length === 20);
  expect(got.filter((g) => g.endsWith('=900')).length).toBe(4);
  return got;
}

// The codes of the errors a board client reported, in order.
const errorsOf = new Map<BoardClient, number[]>();

const connected = (c: BoardClient) => until(() => c.connected, 5000, 'connect');

async function peer(opts: mqtt.IClientOptions = {}) {
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 4, reconnectPeriod: 100, ...opts });
  cleanup.push(() => c.endAsync(true));
  return c;
}

for (const kind of KINDS) describe(`the bundle in the Espruino sandbox, against ${kind === 'aedes' ? 'Aedes' : 'Mosquitto'}`, () => {
  beforeEach(async () => {
    broker = await startKind(kind);
    box = createSandbox();
  });

  it('knows it runs on 8-bit strings: text is sent as the bytes it holds', async () => {
    const c = board({ clientId: 'bytes' });
    await connected(c);
    const other = await peer();
    const got: string[] = [];
    other.on('message', (topic, payload) => got.push(`${topic}=${payload.toString('utf8')}`));
    await other.subscribeAsync('sim/#');
    // on a board, "é" written in a UTF-8 source file is the two bytes C3 A9
    c.publish('sim/caf\xc3\xa9', 'd\xc3\xa9j\xc3\xa0 vu', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['sim/caf\u00e9=d\u00e9j\u00e0 vu']);
    expect(errorsOf.get(c)).toEqual([]);
  });

  for (const chunk of [536, 268]) {
    it(`round-trips QoS 0 and QoS 1 with sockets delivering chunks of at most ${chunk} bytes`, async () => {
      box.close();
      box = createSandbox({ chunk, board: chunk === 268 ? 'ESP8266' : 'ESP32' });
      const c = board({ clientId: `rt${chunk}`, rxBuffer: 1024, txBuffer: 1024, outboxBytes: 8192, outboxMessages: 32 });
      await connected(c);
      await selfRoundTrip(c, 'rt');
      const other = await peer();
      await other.subscribeAsync('rt/#');
      const seen: string[] = [];
      other.on('message', (_t, p) => seen.push(String(p)));
      c.publish('rt/x', 'to mqtt.js', { qos: 1 });
      await until(() => seen.length === 1);
      expect(seen).toEqual(['to mqtt.js']);
      expect(errorsOf.get(c)).toEqual([]);
    });
  }

  it('has its will delivered after an abrupt close, and not after end()', async () => {
    const proxy = await startProxy(() => broker.port);
    cleanup.push(() => proxy.close());
    const watcher = await peer();
    const wills: string[] = [];
    watcher.on('message', (_t, p) => wills.push(String(p)));
    await watcher.subscribeAsync('node/+/status');
    const a = board({ port: proxy.port, clientId: 'sim-will-a', will: { topic: 'node/a/status', payload: 'offline', qos: 1 } });
    await connected(a);
    proxy.cut();
    await until(() => wills.length === 1);
    const b = board({ clientId: 'sim-will-b', will: { topic: 'node/b/status', payload: 'offline', qos: 1 } });
    await connected(b);
    await new Promise<void>((r) => b.end(false, () => r()));
    await sleep(300);
    expect(wills).toEqual(['offline']);
    // a line cut and a clean end are closes, not errors
    expect(errorsOf.get(a)).toEqual([]);
    expect(errorsOf.get(b)).toEqual([]);
  });

  it('end() just after publishing writes the DISCONNECT once the socket has sent the rest, and no will', async () => {
    // the socket's drain is reported to the client only while it waits for one (transport.ts): here for the
    // DISCONNECT, behind what it has just written
    const watcher = await peer();
    const got: string[] = [];
    watcher.on('message', (t, p) => got.push(`${t}=${String(p).length}`));
    await watcher.subscribeAsync('node/c/#');
    const c = board({ clientId: 'sim-end-c', will: { topic: 'node/c/status', payload: 'offline', qos: 1 } });
    await connected(c);
    // (the library's defaults: a 512-byte transmit buffer, so the second and third wait for the socket)
    for (let i = 0; i < 3; i++) expect(c.publish('node/c/data', 'y'.repeat(300))).toBe(true);
    expect(c.queued()).toBe(2);
    let ended = false;
    c.end(false, () => (ended = true));
    await until(() => ended, 3000, 'end');
    await sleep(300);
    expect(got).toEqual(Array(3).fill('node/c/data=300'));
    expect(errorsOf.get(c)).toEqual([]);
  });

  it('keeps a quiet connection open with PINGREQs the broker answers (the board writes them as byte strings)', async () => {
    const c = board({ clientId: 'sim-quiet', keepalive: 1 });
    await connected(c);
    let offline = 0;
    c.on('offline', () => offline++);
    // a broker closes a client silent for 1.5x keepalive, and one that sends a packet it must not
    await sleep(3200);
    expect(offline).toBe(0);
    expect(c.connected).toBe(true);
    expect(errorsOf.get(c)).toEqual([]);
  });

  it('notices a silent broker within 1.5x keepalive and reconnects', async () => {
    const proxy = await startProxy(() => broker.port);
    cleanup.push(() => proxy.close());
    const c = board({ port: proxy.port, clientId: 'sim-dead', keepalive: 1 });
    await connected(c);
    const start = Date.now();
    proxy.silent = true;
    await until(() => !c.connected, 4000, 'offline');
    expect(Date.now() - start).toBeLessThanOrEqual(1500 + 400); // 1.5x keepalive, plus timer slack
    proxy.silent = false;
    await connected(c);
    expect(errorsOf.get(c)).toEqual([27]); // ClientErr.PING_TIMEOUT, once
  });

  it('loses no QoS 1 message when the broker is killed and restarted mid-stream', async () => {
    const sub = await peer({ clientId: 'sim-sub', clean: false });
    await sub.subscribeAsync('sim/stream', { qos: 1 });
    const seen = new Set<number>();
    sub.on('message', (_t, p) => seen.add(Number(String(p))));
    const c = board({ clientId: 'sim-pub', outboxMessages: 32, outboxBytes: 2048, overflow: 'reject-new', keepalive: 2 });
    await connected(c);
    let attempts = 0;
    c.on('reconnect', () => attempts++);
    const messages: string[] = []; // each with the number of reconnections begun before it
    c.on('error', (e: { message: string }) => messages.push(`${attempts} ${e.message.replace(/ 127\.0\.0\.1:\d+$/, '')}`));
    let acked = 0;
    const TOTAL = 500;
    for (let i = 0; i < TOTAL; i++) {
      while (c.queued() >= 30) await sleep(2);
      if (i === 200) {
        const b = broker;
        Promise.resolve(b.kill()).then(() => setTimeout(() => b.restart(), 300));
      }
      expect(c.publish('sim/stream', String(i), { qos: 1 }, (err) => !err && acked++)).toBe(true);
    }
    await until(() => acked === TOTAL && seen.size === TOTAL, 20000, 'all acknowledged and delivered');
    // The line the kill cut: a close, or (the broker gone with our data unread, or a write to the dead line)
    // a reset, reported once as a socket error. Then each reconnection refused while the broker was down: a
    // socket error (ClientErr.SOCKET); the last one got through.
    expect(attempts).toBeGreaterThanOrEqual(2);
    const lost = messages.filter((m) => m.startsWith('0 '));
    expect(lost.length).toBeLessThanOrEqual(1);
    for (const m of lost) expect(m).toMatch(/^0 socket error: (read|write) (ECONNRESET|EPIPE)$/);
    expect(messages.slice(lost.length)).toEqual(Array.from({ length: attempts - 1 }, (_, i) => `${i + 1} socket error: connect ECONNREFUSED`));
    expect(errorsOf.get(c)).toEqual(Array(messages.length).fill(28));
  });

  it('writes each usual packet, or a burst of them from the outbox, in one write of the socket, straight; one closed and not yet reported throws nothing out, is reported closed once, and loses no QoS 1 message', async () => {
    const sub = await peer({ clientId: 'sim-closed-sub' });
    await sub.subscribeAsync('closed/out', { qos: 1 });
    const seen: string[] = [];
    sub.on('message', (_t, p) => seen.push(String(p)));
    const c = board({ clientId: 'sim-closed' });
    const got: string[] = [];
    let offline = 0;
    c.on('offline', () => offline++);
    await connected(c);
    c.subscribe('closed/in', { qos: 1, handler: (_t: string, p: string) => got.push(p) });
    await sleep(50);
    // every call of a socket's write(), those that throw as well
    const attempts = (sock: (typeof box.sockets)[number]) => {
      const list: string[] = [];
      const write = sock.write;
      sock.write = function (this: typeof sock, x: unknown) {
        list.push(String(x));
        return write.call(this, x);
      };
      return list;
    };
    const first = box.sockets[box.sockets.length - 1];
    const firstWrites = attempts(first);
    // the usual QoS 0 and 1 publish: their bytes in one write() of the socket each, nothing else written
    c.publish('closed/out', 'a', { qos: 0 });
    c.publish('closed/out', 'b', { qos: 1 });
    expect(firstWrites).toEqual(['\x30\x0d\x00\x0aclosed/outa', '\x32\x0f\x00\x0aclosed/out\x00\x02b']);
    await until(() => seen.length === 2);
    // The socket closed, the interpreter yet to report it (its close event comes from the idle loop): its
    // write() throws "This socket is closed". Each packet is then tried twice: straight to the socket, then
    // through the link's write(), which reports the close (a packet that went only through write(), as
    // before the twenty-first session, was tried once). A QoS 1 message the board still reads and
    // acknowledges: the message delivered, nothing thrown out, the close reported once.
    firstWrites.length = 0;
    first.closed = true;
    first['#ondata']!.call(first, '\x32\x0e\x00\x09closed/in\x00\x07d');
    expect(got).toEqual(['d']);
    expect(firstWrites).toEqual(['\x40\x02\x00\x07', '\x40\x02\x00\x07']);
    await until(() => offline === 1 && c.connected, 3000, 'reconnected');
    // the same for a QoS 1 publish, which is sent again on the next connection
    const second = box.sockets[box.sockets.length - 1];
    const secondWrites = attempts(second);
    second.closed = true;
    expect(() => c.publish('closed/out', 'c', { qos: 1 })).not.toThrow();
    expect(secondWrites.length).toBe(2);
    expect(secondWrites[1]).toBe(secondWrites[0]);
    await until(() => seen.includes('c'), 3000, 'the QoS 1 message sent again');
    expect(offline).toBe(2);
    expect(box.sockets.length).toBe(3);
    // and for messages that waited in the outbox for the socket, written at its drain (pump's burst)
    await until(() => c.connected, 3000, 'reconnected');
    const third = box.sockets[box.sockets.length - 1];
    for (let i = 0; i < 8; i++) c.publish('closed/out', 'q'.repeat(100) + i, { qos: 0 });
    expect(c.queued()).toBeGreaterThan(0); // the socket behind: the rest wait for its drain
    const thirdWrites = attempts(third);
    third.closed = true; // before the drain, which the sandbox delivers later, as the interpreter
    await until(() => offline === 3 && c.connected, 3000, 'reconnected');
    expect(thirdWrites.length).toBeGreaterThan(0);
    expect(thirdWrites.length % 2).toBe(0);
    for (let i = 0; i < thirdWrites.length; i += 2) expect(thirdWrites[i + 1]).toBe(thirdWrites[i]);
    expect(new Set(thirdWrites).size).toBe(thirdWrites.length / 2);
    expect(box.sockets.length).toBe(4);
    // the socket's error, once a socket (ClientErr.SOCKET); nothing failed inside the client (35 would be a
    // throw its socket listener caught)
    expect(errorsOf.get(c)).toEqual([28, 28, 28]);
  });

  it('acknowledges an oversized PUBLISH, reports it dropped, and reads on', async () => {
    const c = board({ clientId: 'sim-big', rxBuffer: 64 });
    await connected(c);
    const drops: { code: number; topic: string; size: number }[] = [];
    const got: string[] = [];
    c.on('drop', (d: { code: number; topic: string; size: number }) => drops.push(d));
    c.subscribe('big/#', { qos: 1, handler: (t: string, p: string) => got.push(p) });
    await sleep(50);
    const other = await peer();
    await other.publishAsync('big/a', 'x'.repeat(500), { qos: 1 }); // resolves on PUBACK from the broker
    await other.publishAsync('big/b', 'small', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['small']);
    expect(drops[0]).toMatchObject({ code: 20, topic: 'big/a' });
    expect(c.connected).toBe(true);
    expect(errorsOf.get(c)).toEqual([]); // dropped, not an error
  });

  it('reports wrong credentials by name and waits the backoff maximum between attempts', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    await broker.close();
    broker = await startKind(kind, { secure: kind === 'mosquitto' ? { key: pems.private, cert: pems.cert } : undefined, users: { node: 'right' } });
    const c = board({ clientId: 'sim-creds', port: broker.authPort, protocol: broker.authProtocol, ca: pems.cert, username: 'node', password: 'wrong', reconnect: { min: 50, max: 1000, jitter: 0 } });
    const errors: { code: number; message: string }[] = [];
    c.on('error', (e: { code: number; message: string }) => errors.push(e));
    await sleep(2200);
    // Aedes answers 4 (bad user name or password), Mosquitto 5 (not authorized)
    expect(errors[0]).toMatchObject(kind === 'aedes' ? { code: 24, message: 'refused: bad user name or password' } : { code: 25, message: 'refused: not authorized' });
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThanOrEqual(3); // at 0, 1 s and 2 s
    expect(errorsOf.get(c)).toEqual(Array(errors.length).fill(kind === 'aedes' ? 24 : 25)); // every attempt, the same refusal
    expect(c.connected).toBe(false);
  });

  it('reports a payload the board has no memory for as dropped, still acknowledged, and reads on', async () => {
    box.close();
    box = createSandbox({ toStringLimit: 100 });
    const c = board({ clientId: 'sim-oom', rxBuffer: 512 });
    await connected(c);
    const drops: { code: number; topic: string; size: number }[] = [];
    const got: string[] = [];
    c.on('drop', (d: { code: number; topic: string; size: number }) => drops.push(d));
    c.subscribe('oom/#', { qos: 1, handler: (_t: string, p: string) => got.push(p) });
    await sleep(50);
    const other = await peer();
    await other.publishAsync('oom/a', 'x'.repeat(300), { qos: 1 });
    await other.publishAsync('oom/b', 'fits', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['fits']);
    expect(drops).toEqual([expect.objectContaining({ code: 35, topic: 'oom/a', size: 300 })]);
    expect(errorsOf.get(c)).toEqual([]); // dropped, not an error
  });

  it('refuses bad input before anything is sent', async () => {
    const c = board({ clientId: 'sim-bad' });
    await connected(c);
    const errs: number[] = [];
    expect(c.publish('a/+', 'x', {}, (e) => errs.push(e!.code))).toBe(false);
    expect(c.publish('a', 'x', { qos: 3 }, (e) => errs.push(e!.code))).toBe(false);
    expect(c.publish('a\xc0\x80', 'x', {}, (e) => errs.push(e!.code))).toBe(false); // overlong NUL: ill-formed
    expect(c.subscribe('a/#/b', {}, (e) => errs.push((e as { code: number }).code))).toBe(false);
    expect(errs).toEqual([7, 9, 4, 8]);
    expect(errorsOf.get(c)).toEqual([]); // each refusal went to its callback, not to the error event
    expect(c.queued()).toBe(0);
  });

  it('runs as top-level boot code too (dist/espruino-mqtt-boot.js), with the client at `mqtt`, beside code that uses every short name', async () => {
    const before = new Set(box.run('Object.keys(this)') as string[]);
    box.run(readFileSync('dist/espruino-mqtt-boot.js', 'latin1'));
    // the library takes two global names, documented: `mqtt` and `__mqtt`
    expect((box.run('Object.keys(this)') as string[]).filter((k) => !before.has(k)).sort()).toEqual(['__mqtt', 'mqtt']);
    // the application, in the same boot code, uses every one- and two-letter name (as minified code would)
    const first = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
    const names: string[] = [];
    for (const a of first) {
      names.push(a);
      for (const b of first + '0123456789') names.push(a + b);
    }
    const reserved = ['do', 'if', 'in', 'E', 'D0', 'A0'];
    box.run(names.filter((n) => !reserved.includes(n) && !/^[A-Z][0-9]$/.test(n)).map((n) => `var ${n} = 0;`).join('\n'));
    const c = box.run(`mqtt.connect({ host: "127.0.0.1", port: ${broker.port}, clientId: "boot" })`) as BoardClient;
    cleanup.push(() => new Promise<void>((r) => c.end(true, () => r())));
    await connected(c);
    const got: string[] = [];
    c.subscribe('boot/t', { qos: 1, handler: (_t: string, p: string) => got.push(p) });
    await sleep(50);
    c.publish('boot/t', 'from flash', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['from flash']);
  });

  it('connects over tls on the ESP32 profile; the ESP8266 profile has no tls', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    await broker.close();
    broker = await startKind(kind, { secure: { key: pems.private, cert: pems.cert }, users: { node: 'right' } });
    const c = board({ clientId: 'sim-tls', port: broker.tlsPort, protocol: 'mqtts', ca: pems.cert, username: 'node', password: 'right' });
    await connected(c);
    const got: string[] = [];
    c.subscribe('tls/t', { handler: (_t: string, p: string) => got.push(p) });
    await sleep(50);
    c.publish('tls/t', 'sealed', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['sealed']);
    expect(errorsOf.get(c)).toEqual([]);
    const small = createSandbox({ board: 'ESP8266' });
    expect(() => small.require('tls')).toThrow(/not found/);
    small.close();
  });

  it('fails the way the interpreter does if a Uint8Array reaches write()', () => {
    const s = box.run(`require("net")`) as { connect(o: object, cb?: () => void): { write(x: unknown): boolean; real: { destroy(): void } } };
    const sock = s.connect({ host: '127.0.0.1', port: broker.port });
    const sent: string[] = [];
    (sock as unknown as { real: { write(b: Buffer, cb: () => void): void } }).real.write = (b: Buffer) => sent.push(b.toString('latin1'));
    sock.write(box.run('new Uint8Array([16, 2, 0])'));
    expect(sent).toEqual(['16,2,0']);
    sock.real.destroy();
  });
});

describe('the WebSocket bundle (dist/espruino-mqtt-ws.js) in the Espruino sandbox, against Aedes over WebSocket', () => {
  const wsBroker = async (secure?: { key: string; cert: string }) => {
    broker = (await startBroker({}, secure, { path: '/mqtt' })) as unknown as AnyBroker;
  };
  const wsBoard = (opts: object, sandbox = box) => {
    const lib = sandbox.require('espruino-mqtt-ws') as { connect(o: object): BoardClient };
    const c = lib.connect({ reconnect: { min: 50, max: 500, jitter: 0 }, ...opts });
    const errors: number[] = [];
    c.on('error', (e: { code: number }) => errors.push(e.code));
    errorsOf.set(c, errors);
    cleanup.push(() => new Promise<void>((r) => c.end(true, () => r())));
    return c;
  };

  for (const [name, chunk] of [['ESP32', 536], ['ESP8266', 268]] as const) {
    it(`round-trips QoS 0 and QoS 1 over ws:// on the ${name} profile (chunks of at most ${chunk} bytes), with MQTT.js over WebSocket`, async () => {
      await wsBroker();
      box = createSandbox({ chunk, board: name });
      const url = `ws://127.0.0.1:${broker.port}/mqtt`;
      const c = wsBoard({ url, clientId: `ws${chunk}`, rxBuffer: 1024, txBuffer: 1024, outboxBytes: 8192, outboxMessages: 32 });
      await connected(c);
      const got = await selfRoundTrip(c, 'ws');
      const other = await mqtt.connectAsync(url, { protocolVersion: 4 });
      cleanup.push(() => other.endAsync(true));
      await other.subscribeAsync('ws/#', { qos: 1 });
      const seen: string[] = [];
      other.on('message', (_t, p) => seen.push(String(p)));
      c.publish('ws/x', 'to mqtt.js', { qos: 1 });
      await other.publishAsync('ws/y', 'from mqtt.js', { qos: 1 });
      await until(() => seen.length === 2 && got.length === 22);
      expect(seen.sort()).toEqual(['from mqtt.js', 'to mqtt.js']);
      expect(errorsOf.get(c)).toEqual([]);
    });
  }

  it('connects over wss:// on the ESP32 profile', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048 });
    await wsBroker({ key: pems.private, cert: pems.cert });
    box = createSandbox();
    const c = wsBoard({ url: `wss://127.0.0.1:${broker.port}/mqtt`, ca: pems.cert, clientId: 'sim-wss' });
    await connected(c);
    const got: string[] = [];
    c.subscribe('wss/t', { handler: (_t: string, p: string) => got.push(p) });
    await sleep(50);
    c.publish('wss/t', 'sealed', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['sealed']);
    expect(errorsOf.get(c)).toEqual([]);
  });

  it('the TCP bundle refuses ws:// at once, naming the build that speaks it', async () => {
    await wsBroker();
    box = createSandbox();
    const lib = box.require('espruino-mqtt') as { connect(o: object): BoardClient };
    expect(() => lib.connect({ url: `ws://127.0.0.1:${broker.port}/mqtt` })).toThrow('bad option: ws:// and wss:// need the espruino-mqtt-ws build');
    expect(box.sockets).toHaveLength(0);
  });
});
