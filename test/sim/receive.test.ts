// The board library's receive (dist/espruino-mqtt.js in the Espruino sandbox) against the client on a host
// (src/, through the same calls): the board takes the usual PUBLISH by a shorter way of its own
// (fastOnPublish, inbound.ts: QoS 0 and 1 read by the reader's string path), and must deliver the same
// messages, write the same acknowledgements and report the same events as onPublish, in every case, whether it
// takes that way or hands the packet on.
import { describe, expect, it } from 'vitest';
import { createClient, type Options } from '../../src/client/client';
import { fakeClock } from '../helpers/clock';
import { createSandbox } from '../../scripts/sandbox.mjs';

/* eslint-disable @typescript-eslint/no-explicit-any */
interface Client {
  publish(topic: unknown, payload: unknown, opts?: unknown, cb?: unknown): boolean;
  on(ev: string, fn: (...a: any[]) => void): unknown;
  removeListener(ev: string, fn: (...a: any[]) => void): unknown;
  subscribe(filter: string, opts?: object, cb?: unknown): boolean;
  end(force?: boolean): unknown;
  connected: boolean;
}
type Notify = (event: number, arg?: unknown) => void;

// bytes of a byte string, a Buffer or a Uint8Array (the board's payloads are byte strings, the host's Buffers)
const hex = (b: unknown, start = 0, end?: number) =>
  typeof b === 'string' ? Buffer.from(b.slice(start, end), 'latin1').toString('hex') : Buffer.from((b as Uint8Array).subarray(start, end)).toString('hex');

const str = (...a: number[]) => String.fromCharCode(...a);
// a 3.1.1 PUBLISH from the broker as a byte string: first byte 0x30 | flags, its topic, id (QoS > 0), payload
function publishPacket(topic: string, payload: string, qos: number, id: number, flags = 0): string {
  const body = str(topic.length >> 8, topic.length & 255) + topic + (qos ? str(id >> 8, id & 255) : '') + payload;
  let len = body.length;
  let head = '';
  do {
    head += str((len & 127) | (len > 127 ? 128 : 0));
    len >>= 7;
  } while (len);
  return str(0x30 | (qos << 1) | flags) + head + body;
}

// What a listener does when a message comes: nothing, throw, publish, subscribe, end the client
type Act = 'none' | 'throw' | 'publish' | 'subscribe' | 'end' | 'unlisten';

// A client over a link that records what it writes, on a clock moved by hand; `log` gets every write, message,
// event and callback, in order. `listeners`: how many 'message' listeners, and what the first does.
function rig(make: (o: object) => Client, opts: object, listeners: number, act: (n: number) => Act, handler: boolean, echo = false) {
  const log: string[] = [];
  const clock = fakeClock();
  let notify: Notify = () => {};
  const c = make({
    host: 'x',
    clientId: 'c',
    clock,
    keepalive: 10,
    transport: (_to: unknown, on: { notify: Notify }) => {
      notify = (e, a) => on.notify(e, a);
      return {
        write: (b: unknown, s: number, e: number) => {
          const h = hex(b, s, e);
          log.push('> ' + h);
          // a transport that delivers inside write (an echo of a message published to r/...): a message then
          // comes while a listener runs
          if (echo && /^3.{7}722f/.test(h)) on.notify(1, publishPacket('e/' + h.length, 'echo', 1, 100 + h.length));
          // and a message that comes as the first one's PUBACK is written (its handlers queued, not yet run)
          if (echo && h === '40020001') on.notify(1, publishPacket('e/ack', 'echo', 0, 0));
        },
        end: () => log.push('end'),
      };
    },
    ...opts,
  });
  for (const ev of ['error', 'drop', 'close', 'offline', 'end']) c.on(ev, (e?: { code?: number; topic?: string; message?: string }) => log.push(`${ev} ${e && e.code ? e.code + ' ' + e.topic : ''}`));
  let count = 0;
  const onMessage = (name: string) =>
    function listener(topic: string, payload: unknown, m: any) {
      log.push(`${name} ${topic} ${hex(payload)} q${m.qos} r${m.retain} d${m.dup} id${m.messageId} ${m.topic === topic && m.payload === payload}`);
      if (name !== 'message 0') return;
      const what = act(count++);
      if (what === 'throw') throw new Error('handler ' + count);
      if (what === 'publish') log.push(`publish from the listener -> ${c.publish('r/' + count, 'back', { qos: count & 1 })}`);
      if (what === 'subscribe') log.push(`subscribe from the listener -> ${c.subscribe('s/' + count, { qos: 1 })}`);
      if (what === 'end') c.end();
      if (what === 'unlisten') c.removeListener('message', listener);
    };
  for (let i = 0; i < listeners; i++) c.on('message', onMessage(`message ${i}`));
  clock.advance(0);
  notify(0); // open: the CONNECT
  notify(1, '\x20\x02\x00\x00'); // CONNACK
  if (handler) {
    c.subscribe('h/#', { qos: 1, handler: (t: string, p: unknown, m: any) => log.push(`handler ${t} ${hex(p)} q${m.qos}`) } as object);
    notify(1, '\x90\x03' + str(0, 1) + '\x01'); // its SUBACK
  }
  return {
    log,
    data: (bytes: string) => notify(1, bytes),
    drain: () => notify(2),
    tick: (ms: number) => clock.advance(ms),
    // the link lost; the next one opened once the backoff has passed (its CONNACK not yet in)
    reopen: () => {
      notify(3);
      clock.advance(120000);
      notify(0);
    },
    // the same, and accepted
    reconnect: () => {
      notify(3);
      clock.advance(120000);
      notify(0);
      notify(1, '\x20\x02\x00\x00');
    },
    client: c,
  };
}

type Rig = ReturnType<typeof rig>;

// The same steps on both clients; their logs must be the same.
function bothDo(opts: object, listeners: number, act: (n: number) => Act, handler: boolean, steps: (r: Rig) => void, echo = false): string[][] {
  const box = createSandbox();
  try {
    const lib = box.require('espruino-mqtt') as { connect(o: object): Client };
    const board = rig((o) => lib.connect(o), opts, listeners, act, handler, echo);
    const host = rig((o) => createClient(o as Options) as unknown as Client, opts, listeners, act, handler, echo);
    steps(board);
    steps(host);
    return [board.log, host.log];
  } finally {
    box.close();
  }
}

const messages = (log: string[]) => log.filter((l) => l.startsWith('message '));

describe("the board library's receive delivers, acknowledges and reports what the host client's does", () => {
  it('QoS 0 and 1, retained, duplicate, empty, several in one chunk, split, and the long ones the other path reads', () => {
    const [board, host] = bothDo({}, 1, () => 'none', false, (r) => {
      r.data(publishPacket('a/b', 'x', 0, 0));
      r.data(publishPacket('a/b', 'on', 0, 0, 1)); // retained
      r.data(publishPacket('a/c', 'one', 1, 1));
      r.data(publishPacket('a/c', 'one', 1, 1, 8)); // DUP
      r.data(publishPacket('a/d', '', 1, 2, 9)); // empty, DUP and retained
      r.data(publishPacket('a', '\x00\xff\x80', 0, 0) + publishPacket('b', 'two', 1, 3) + publishPacket('c', 'z', 0, 0));
      const split = publishPacket('a/e', 'split', 1, 4);
      r.data(split.slice(0, 5));
      r.data(split.slice(5));
      r.data(publishPacket('a/f', 'p'.repeat(125), 1, 5)); // remaining length 132: two bytes
      r.data(publishPacket('a/g', 'q', 2, 6)); // QoS 2: PUBREC, delivered once
      r.data(publishPacket('a/g', 'q', 2, 6, 8));
      r.data('\x62\x02\x00\x06'); // PUBREL: PUBCOMP
    });
    expect(board).toEqual(host);
    expect(messages(board)).toHaveLength(11);
    expect(messages(board)).toContain('message 0 a/d  q1 rtrue dtrue id2 true');
    expect(board).toContain('> 40020001'); // PUBACK
    expect(board).toContain('> 70020006'); // PUBCOMP
  });

  it('what it hands on: a malformed topic, QoS 3, id 0, a PUBLISH before the CONNACK, a payload too large', () => {
    for (const bad of [publishPacket('a/+', 'x', 0, 0), publishPacket('a/b', 'x', 1, 0), '\x36\x05\x00\x01a\x00\x01', publishPacket('', 'x', 0, 0)]) {
      const [board, host] = bothDo({}, 1, () => 'none', false, (r) => {
        r.data(publishPacket('ok', 'before', 1, 1) + bad + publishPacket('ok', 'after', 0, 0));
        r.reconnect();
        r.data(publishPacket('ok', 'again', 1, 2));
      });
      expect(board, hex(bad)).toEqual(host);
      expect(messages(board).map((l) => l.split(' ')[3])).toEqual([hex('before'), hex('again')]);
      expect(board.some((l) => l.startsWith('error '))).toBe(true);
    }
    const [board, host] = bothDo({ rxBuffer: 64 }, 1, () => 'none', false, (r) => {
      r.data(publishPacket('big', 'p'.repeat(100), 1, 1)); // skipped, still acknowledged
      r.data(publishPacket('ok', 'small', 1, 2));
    });
    expect(board).toEqual(host);
    expect(board.filter((l) => l.startsWith('drop') || l.startsWith('> 40'))).toEqual(['> 40020001', 'drop 20 big', '> 40020002']);
    const [early, earlyHost] = bothDo({}, 1, () => 'none', false, (r) => {
      r.reopen();
      r.data(publishPacket('ok', 'x', 1, 1)); // before the CONNACK: a protocol error
      r.data('\x20\x02\x00\x00');
    });
    expect(early).toEqual(earlyHost);
    expect(messages(early)).toEqual([]);
    expect(early.filter((l) => l.startsWith('error 32'))).toHaveLength(1); // (26: the link lost)
  });

  it('listeners that throw, publish, subscribe, end the client or remove themselves; handlers; two listeners; none', () => {
    for (const act of ['throw', 'publish', 'subscribe', 'end', 'unlisten'] as Act[]) {
      for (const [listeners, handler] of [
        [1, false],
        [2, false],
        [1, true],
      ] as [number, boolean][]) {
        const [board, host] = bothDo({}, listeners, () => act, handler, (r) => {
          r.data(publishPacket('h/1', 'a', 1, 1) + publishPacket('h/2', 'b', 0, 0) + publishPacket('x', 'c', 1, 2));
          r.drain();
          r.data(publishPacket('h/3', 'd', 1, 3));
        });
        expect(board, `${act}, ${listeners} listeners, handler ${handler}`).toEqual(host);
        expect(board.some((l) => l.startsWith('message 0 h/1'))).toBe(true);
      }
    }
    const [board, host] = bothDo({}, 0, () => 'none', true, (r) => r.data(publishPacket('h/1', 'a', 1, 1) + publishPacket('x', 'b', 1, 2)));
    expect(board).toEqual(host);
    expect(board.filter((l) => l.startsWith('handler') || l.startsWith('> 40'))).toEqual(['> 40020001', 'handler h/1 61 q1', '> 40020002']);
  });

  it('a message that comes while a listener runs, or while events wait, is delivered after them, in order', () => {
    for (const [listeners, handler] of [
      [1, false],
      [2, false],
      [1, true],
    ] as [number, boolean][]) {
      const [board, host] = bothDo(
        {},
        listeners,
        (n) => (n < 3 ? 'publish' : 'none'),
        handler,
        (r) => {
          r.data(publishPacket('h/1', 'a', 1, 1) + publishPacket('h/2', 'b', 0, 0));
          r.client.publish('r/x', 'from the application', { qos: 1 }); // (its echo: while events wait)
          r.data(publishPacket('h/3', 'c', 1, 2));
        },
        true,
      );
      expect(board, `${listeners} listeners, handler ${handler}`).toEqual(host);
      expect(board.filter((l) => l.startsWith('message 0 e/')).length).toBeGreaterThan(1);
    }
    // a message that comes while the drop of one too large waits to be reported: after it
    const [board, host] = bothDo({ rxBuffer: 64 }, 1, () => 'none', false, (r) => r.data(publishPacket('big', 'p'.repeat(100), 1, 1)), true);
    expect(board).toEqual(host);
    expect(board.filter((l) => /^(drop|message)/.test(l))).toEqual(['drop 20 big', 'message 0 e/ack 6563686f q0 rfalse dfalse id0 true']);
  });

  it('a message proves the broker alive: no PINGREQ while messages come, and none unanswered after one', () => {
    const [board, host] = bothDo({}, 1, () => 'none', false, (r) => {
      // keepalive 10 s: the client publishes every 3 s, hears a message every 3 s, and needs no PINGREQ
      for (let t = 0; t < 8; t++) {
        r.tick(3000);
        r.client.publish('p', 'x');
        r.data(publishPacket('a', String(t), 0, 0));
      }
      // quiet: a PINGREQ; a message instead of its PINGRESP still proves the broker alive
      r.tick(10000);
      r.data(publishPacket('a', 'late', 0, 0));
      r.tick(6000);
      r.tick(6000);
    });
    expect(board).toEqual(host);
    expect(board.filter((l) => l === '> c000')).toHaveLength(2);
    expect(board.some((l) => l.startsWith('error') || l.startsWith('close'))).toBe(false);
  });

  it('the same in random sequences of messages, chunks, listeners, publishes, keep-alive and reconnections', () => {
    for (let seed = 1; seed <= 60; seed++) {
      let x = seed * 2654435761 || 1;
      const R = () => {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        return (x >>> 0) / 4294967296;
      };
      const pick = <T,>(a: T[]): T => a[Math.floor(R() * a.length)];
      const acts: Act[] = [];
      for (let i = 0; i < 40; i++) acts.push(pick(['none', 'none', 'none', 'throw', 'publish', 'subscribe', 'end', 'unlisten'] as Act[]));
      const listeners = pick([0, 1, 1, 2]);
      const handler = R() < 0.3;
      const opts = { rxBuffer: pick([64, 512]), reconnect: { min: 1000, jitter: 0 } };
      const steps: ((r: Rig) => void)[] = [];
      let id = 1;
      for (let i = 0; i < 60; i++) {
        const y = R();
        if (y < 0.6) {
          // a chunk of one to three packets, now and then cut in two
          let chunk = '';
          for (let n = 1 + Math.floor(R() * 3); n > 0; n--) {
            const qos = pick([0, 0, 1, 1, 2]);
            const topic = pick(['a/b', 'h/x', 'h/y/z', 'x', 'a/+', 'T'.repeat(40)]);
            const payload = pick(['', 'p', '\x00\xff', 'p'.repeat(20), 'p'.repeat(130)]);
            chunk += R() < 0.1 ? '\x62\x02' + str(0, Math.max(1, id - 1)) : publishPacket(topic, payload, qos, qos ? (R() < 0.1 ? Math.max(1, id - 1) : id++) : 0, pick([0, 0, 1, 8, 9]));
          }
          const cut = R() < 0.2 ? 1 + Math.floor(R() * (chunk.length - 1)) : 0;
          steps.push((r) => {
            if (cut) {
              r.data(chunk.slice(0, cut));
              r.data(chunk.slice(cut));
            } else r.data(chunk);
          });
        } else if (y < 0.75) steps.push((r) => r.drain());
        else if (y < 0.85) {
          const ms = pick([1000, 6000, 11000]);
          steps.push((r) => r.tick(ms));
        } else if (y < 0.92) steps.push((r) => r.data('\xd0\x00')); // PINGRESP
        else steps.push((r) => r.reconnect());
      }
      const [board, host] = bothDo(opts, listeners, (n) => acts[n % acts.length], handler, (r) => {
        for (const step of steps) step(r);
      });
      expect(board, `seed ${seed}`).toEqual(host);
    }
  });
});
