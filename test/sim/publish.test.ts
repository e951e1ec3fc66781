// The board library's publish (dist/espruino-mqtt.js in the Espruino sandbox) against the client on a host
// (src/, through the same calls): the board writes the usual message by a shorter way of its own
// (fastPublish, outbound.ts), and must write the same bytes, return the same results and report the same
// events as publish, in every case, whether it takes that way or hands the message to publish.
import { describe, expect, it } from 'vitest';
import { createClient, type Options } from '../../src/client/client';
import { fakeClock } from '../helpers/clock';
import { createSandbox } from '../../scripts/sandbox.mjs';

interface Client {
  publish(topic: unknown, payload: unknown, opts?: unknown, cb?: unknown): boolean;
  on(ev: string, fn: (...a: any[]) => void): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  queued(): number;
  subscribe(filter: string, opts?: object, cb?: unknown): boolean;
  end(force?: boolean): unknown;
}
type Notify = (event: number, arg?: unknown) => void;

const hex = (b: unknown, start: number, end: number) =>
  typeof b === 'string' ? Buffer.from(b.slice(start, end), 'latin1').toString('hex') : Buffer.from((b as Uint8Array).subarray(start, end)).toString('hex');

// The length of the packet a byte string starts with, once its fixed header is there (0 before).
function packetLength(bytes: string): number {
  let len = 0;
  for (let j = 1, mul = 1; j < bytes.length && j < 5; mul *= 128) {
    const c = bytes.charCodeAt(j++);
    len += (c & 127) * mul;
    if (!(c & 128)) return j + len;
  }
  return 0;
}

// A client over a link that records what it writes, on a clock moved by hand; `log` gets every packet written
// (once its last byte is: the board writes a burst of messages from its outbox in one write, the host each
// in one), result, event and callback, in order.
function rig(make: (o: object) => Client, opts: object, bytes: (a: number[]) => Uint8Array) {
  const log: string[] = [];
  const clock = fakeClock();
  let notify: Notify = () => {};
  let stream = ''; // what the client wrote on its current link, as one byte string
  const c = make({
    host: 'x',
    clientId: 'c',
    clock,
    transport: (_to: unknown, on: { notify: Notify }) => {
      notify = (e, a) => on.notify(e, a);
      stream = '';
      let unlogged = ''; // what is not in the log yet: part of a packet
      return {
        write: (b: unknown, s: number, e: number) => {
          const bytes = Buffer.from(hex(b, s, e), 'hex').toString('latin1');
          stream += bytes;
          unlogged += bytes;
          for (let n; (n = packetLength(unlogged)) && n <= unlogged.length; unlogged = unlogged.slice(n)) log.push('> ' + hex(unlogged, 0, n));
        },
        end: (force?: boolean) => log.push('end' + (force ? ' at once' : '')),
      };
    },
    ...opts,
  });
  for (const ev of ['error', 'drop', 'drain', 'offline']) c.on(ev, (e?: { code?: number; topic?: string }) => log.push(`${ev} ${e && e.code ? e.code + ' ' + e.topic : ''}`));
  clock.advance(0);
  notify(0); // open: the CONNECT
  notify(1, '\x20\x02\x00\x00'); // CONNACK
  const cb = (name: string) => (err?: { code: number }) => log.push(`cb ${name} ${err ? err.code : 'ok'}`);
  return {
    log,
    bytes, // a Uint8Array of the client's own realm (the sandbox's is not Node's)
    pub: (name: string, topic: unknown, payload: unknown, o?: object | 'cb', withCb = false) =>
      log.push(`${name} -> ${o === 'cb' ? c.publish(topic, payload, cb(name)) : withCb ? c.publish(topic, payload, o, cb(name)) : c.publish(topic, payload, o)} (${c.queued()} queued)`),
    sub: (name: string, filter: string) => log.push(`${name} -> ${c.subscribe(filter, { qos: 1 }, cb(name))} (${c.queued()} queued)`),
    data: (bytes: string) => notify(1, bytes),
    drain: () => notify(2),
    tick: (ms: number) => clock.advance(ms),
    written: () => stream,
    // the link lost; the next one opened once the backoff has passed, and accepted
    reconnect: (present: boolean) => {
      notify(3);
      clock.advance(120000);
      notify(0);
      notify(1, '\x20\x02' + (present ? '\x01' : '\x00') + '\x00');
    },
    client: c,
  };
}

// The same steps on both clients; their logs must be the same.
function bothDo(opts: object, steps: (r: ReturnType<typeof rig>) => void): string[][] {
  const box = createSandbox();
  try {
    const lib = box.require('espruino-mqtt') as { connect(o: object): Client };
    const board = rig((o) => lib.connect(o), opts, (a) => box.run(`new Uint8Array(${JSON.stringify(a)})`) as Uint8Array);
    const host = rig((o) => createClient(o as Options) as unknown as Client, opts, (a) => new Uint8Array(a));
    steps(board);
    steps(host);
    return [board.log, host.log];
  } finally {
    box.close();
  }
}

const puback = (id: number) => '\x40\x02' + String.fromCharCode(id >> 8, id & 255);

// The broker's answers to what a client wrote (whole packets of a byte string): PUBACK, PUBREC, PUBCOMP,
// SUBACK, UNSUBACK, each once.
function answers(stream: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < stream.length; ) {
    const first = stream.charCodeAt(i);
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (let c = 128; c & 128; mul *= 128) len += ((c = stream.charCodeAt(j++)) & 127) * mul;
    const body = stream.slice(j, j + len);
    const id = body.slice(0, 2);
    if (first >> 4 === 3 && first & 6) {
      const at = 2 + ((body.charCodeAt(0) << 8) | body.charCodeAt(1));
      out.push((first & 6) === 2 ? '\x40\x02' + body.slice(at, at + 2) : '\x50\x02' + body.slice(at, at + 2));
    } else if (first === 0x62) out.push('\x70\x02' + id);
    else if (first === 0x82) {
      let n = 0;
      for (let k = 2; k < body.length; n++) k += 3 + ((body.charCodeAt(k) << 8) | body.charCodeAt(k + 1));
      out.push('\x90' + String.fromCharCode(2 + n) + id + '\x01'.repeat(n));
    } else if (first === 0xa2) out.push('\xb0\x02' + id);
    i = j + len;
  }
  return out;
}

// A seeded generator (xorshift), so that a failing sequence can be run again.
function random(seed: number): () => number {
  let x = seed * 2654435761 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

describe("the board library's publish writes, returns and reports what the host client's does", () => {
  it('QoS 0 and 1, retained or not, with and without callbacks, within the window and past it', () => {
    const [board, host] = bothDo({ window: 2 }, (r) => {
      r.pub('q0', 'a/b', 'x');
      r.pub('q0 retained, callback', 'a/b', 'on', { retain: true }, true);
      r.pub('q0 callback only', 'a', 'y', 'cb');
      r.pub('q1', 'a/b', 'one', { qos: 1 });
      r.pub('q1 retained, callback', 'a/c', 'two', { qos: 1, retain: true }, true);
      r.pub('q1 past the window', 'a/d', 'three', { qos: 1 }, true);
      r.pub('q0 behind a queued one', 'a/e', 'four');
      r.data(puback(1));
      r.data(puback(2));
      r.drain();
      r.data(puback(3));
      r.pub('q1 again, nothing in flight', 'a/b', 'five', { qos: 1 }, true);
      r.data(puback(4));
      r.drain();
    });
    expect(board).toEqual(host);
    expect(board.filter((l) => l.startsWith('> 3')).length).toBe(8); // every PUBLISH written
    expect(board).toContain('cb q1 retained, callback ok');
  });

  it('what it hands to publish: QoS 2, a bad QoS, a bad topic, other payload types, long packets, an empty one', () => {
    const [board, host] = bothDo({}, (r) => {
      r.pub('q2', 'a/b', 'x', { qos: 2 });
      r.pub('qos 3', 'a/b', 'x', { qos: 3 }, true);
      r.pub('wildcard topic', 'a/+', 'x', { qos: 1 }, true);
      r.pub('empty topic', '', 'x');
      r.pub('number payload', 'a/b', 42, { qos: 1 });
      r.pub('null payload', 'a/b', null);
      r.pub('bytes payload', 'a/b', r.bytes([1, 2, 3]), { qos: 1 });
      r.pub('number topic', 7, 'x');
      r.pub('remaining length 127', 'a/b', 'p'.repeat(120), { qos: 1 });
      r.pub('remaining length 128', 'a/b', 'p'.repeat(121), { qos: 1 });
      r.pub('empty payload', 'a/b', '', { qos: 1 });
      r.data('\x50\x02\x00\x01'); // PUBREC
      r.data('\x70\x02\x00\x01'); // PUBCOMP
      for (let id = 3; id <= 7; id++) r.data(puback(id)); // (the refused wildcard one took id 2)
      r.pub('after', 'a/b', 'x', { qos: 1 });
    });
    expect(board).toEqual(host);
    expect(board.filter((l) => /^(cb|error) /.test(l))).toEqual(['cb qos 3 9', 'cb wildcard topic 7', 'error 6 undefined']);
    expect(board.slice(-2)).toEqual(['> 32080003612f62000878', 'after -> true (1 queued)']);
  });

  it('an outbox that fills, a socket that falls behind, and the drain', () => {
    const [board, host] = bothDo({ outboxBytes: 64, outboxMessages: 3, txBuffer: 40 }, (r) => {
      for (let i = 0; i < 5; i++) r.pub(`q1 #${i}`, 'a/b', 'x'.repeat(8), { qos: 1 }, true);
      r.pub('q0 while the socket is behind', 'a/b', 'y'.repeat(8));
      r.drain();
      r.data(puback(1));
      r.pub('q0 after a drain', 'a/b', 'z');
      r.data(puback(2));
      r.data(puback(3));
      r.drain();
      r.pub('q1 into an empty outbox', 'a/b', 'w'.repeat(20), { qos: 1 });
      r.pub('q1 that does not fit beside it', 'a/b', 'v'.repeat(30), { qos: 1 }, true);
    });
    expect(board).toEqual(host);
    expect(board.some((l) => l.startsWith('drain'))).toBe(true);
    expect(board.some((l) => / -> false /.test(l))).toBe(true);
  });

  it('publishes and subscriptions go out in the order the application made them', () => {
    const [board, host] = bothDo({ window: 1 }, (r) => {
      r.pub('q1 A', 'a/b', 'A', { qos: 1 });
      r.pub('q1 B, behind A', 'a/b', 'B', { qos: 1 });
      r.sub('subscribe after B', 's/#'); // waits for B to be written
      r.pub('q1 C', 'a/b', 'C', { qos: 1 });
      r.pub('q0 D', 'a/b', 'D');
      r.data(puback(1)); // B, then the SUBSCRIBE (id 3), are written
      r.data(puback(2)); // C, then D
      r.data('\x90\x03\x00\x03\x01'); // SUBACK
      r.drain();
      r.pub('q1 E, behind C', 'a/b', 'E', { qos: 1 });
      r.sub('subscribe after E', 't');
      r.pub('q1 F, a request waiting', 'a/b', 'F', { qos: 1 }, true);
      r.data(puback(4)); // E, then the SUBSCRIBE (id 6)
      r.data(puback(5)); // F (id 7), its SUBSCRIBE unanswered
      r.data(puback(7));
      r.pub('q1 G, a request unanswered ahead', 'a/b', 'G', { qos: 1 });
    });
    expect(board).toEqual(host);
    const order = board.filter((l) => l.startsWith('> ')).map((l) => l.slice(2, 4));
    expect(order).toEqual(['10', '32', '32', '82', '32', '30', '32', '82', '32', '32']); // CONNECT, A, B, SUBSCRIBE, C, D, E, SUBSCRIBE, F, G
  });

  it('the same in random sequences of publishes, answers, drains, requests and reconnections', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const R = random(seed);
      const pick = <T,>(a: T[]): T => a[Math.floor(R() * a.length)];
      const opts: Record<string, unknown> = {
        window: pick([1, 2, 8]),
        outboxBytes: pick([40, 100, 1024]),
        outboxMessages: pick([2, 4, 16]),
        txBuffer: pick([30, 64, 512]),
        clean: R() < 0.5,
        reconnect: { min: 1000, jitter: 0 },
      };
      if (R() < 0.3) opts.overflow = 'reject-new';
      if (R() < 0.3) opts.offlineQos0 = 'drop';
      // the steps, drawn once, then run on both clients
      const steps: ((r: ReturnType<typeof rig>, k: number) => void)[] = [];
      const answered = [new Set<string>(), new Set<string>()];
      for (let i = 0; i < 80; i++) {
        const x = R();
        if (x < 0.5) {
          const topic = pick(['a/b', 'a/b', 'a/c', 'x', 'T'.repeat(60), 'a/+', '']);
          const payload = pick(['', 'p', 'p'.repeat(8), 'p'.repeat(30), 'p'.repeat(120), 42, null]);
          const o = pick([undefined, 'cb', { qos: 0 }, { qos: 1 }, { qos: 1 }, { qos: 1, retain: true }, { qos: 2 }, { qos: 3 }]);
          const withCb = R() < 0.4;
          steps.push((r) => r.pub(`pub ${i}`, topic, payload, o === 'cb' ? 'cb' : o && { ...o }, withCb));
        } else if (x < 0.75) {
          const which = R();
          // the broker answers the oldest packet not yet answered, or another
          steps.push((r, k) => {
            const open = answers(r.written()).filter((a, n) => !answered[k].has(n + ':' + a));
            if (!open.length) return;
            const a = which < 0.7 ? open[0] : open[Math.floor(which * open.length)];
            answered[k].add(answers(r.written()).indexOf(a) + ':' + a);
            r.data(a);
          });
        } else if (x < 0.88) steps.push((r) => r.drain());
        else if (x < 0.93) {
          const f = pick(['s/#', 'a/b']);
          steps.push((r) => r.sub(`sub ${i}`, f));
        } else {
          const present = R() < 0.5;
          steps.push((r, k) => {
            answered[k].clear();
            r.reconnect(present);
          });
        }
      }
      let k = 0; // 0 the board, 1 the host: bothDo runs the board first
      const [board, host] = bothDo(opts, (r) => {
        for (const step of steps) step(r, k);
        k++;
      });
      expect(board, `seed ${seed}`).toEqual(host);
    }
  });

  it('packet ids go round after 65535, skipping those still in use, the same on both', () => {
    const [board, host] = bothDo({}, (r) => {
      r.pub('id 1', 'a/b', 'x', { qos: 1 });
      r.data(puback(1));
      r.pub('id 2, kept unanswered', 'a/b', 'x', { qos: 1 });
      for (let id = 3; id <= 65530; id++) {
        r.client.publish('a/b', 'x', { qos: 1 });
        r.data(puback(id));
        r.drain();
      }
      r.log.length = 0; // (what came before was compared by the ids answered: a wrong one fails the connection)
      r.pub('65531, unanswered', 'a/b', 'x', { qos: 1 });
      r.pub('65532, unanswered', 'a/b', 'x', { qos: 1 });
      r.pub('65533', 'a/b', 'x', { qos: 1 });
      r.data(puback(65533));
      r.pub('65534, unanswered', 'a/b', 'x', { qos: 1 });
      r.pub('65535', 'a/b', 'x', { qos: 1 });
      r.data(puback(65535));
      r.pub('1 again', 'a/b', 'x', { qos: 1 });
      r.pub('3: 2 is in use', 'a/b', 'x', { qos: 1 });
      r.pub('q0 between', 'a/b', 'y');
      r.data(puback(65532));
      r.pub('4', 'a/b', 'x', { qos: 1 });
    });
    expect(board).toEqual(host);
    const ids = board.filter((l) => l.startsWith('> 32')).map((l) => parseInt(l.slice(16, 20), 16));
    expect(ids).toEqual([65531, 65532, 65533, 65534, 65535, 1, 3, 4]);
    expect(board.some((l) => /^(error|end)/.test(l))).toBe(false);
  });

  it('end() closes at once only when what was written has waited a second for the socket, whoever wrote it', () => {
    for (const wait of [500, 1500]) {
      const [board, host] = bothDo({ txBuffer: 64, outboxBytes: 512, outboxMessages: 8 }, (r) => {
        for (let i = 0; i < 4; i++) r.pub(`q0 #${i}`, 'a/b', 'x'.repeat(20)); // two written, two wait for pump
        r.tick(5000);
        r.drain(); // pump writes the two: the socket's oldest bytes now, at 5 s
        r.tick(wait);
        r.client.end(true); // (its DISCONNECT joins them)
      });
      expect(board, `${wait} ms`).toEqual(host);
      expect(board.filter((l) => l.startsWith('end')), `${wait} ms`).toEqual([wait < 1000 ? 'end' : 'end at once']);
    }
  });

  it('messages held across the end of the ring, with gaps, are stored whole and sent again intact', () => {
    // a 64-byte ring; QoS 1 messages of 32, 16, 24 and 12 bytes ('a/b', 9 bytes besides the payload)
    const [board, host] = bothDo({ outboxBytes: 64, outboxMessages: 8, window: 8, txBuffer: 512, clean: false }, (r) => {
      r.pub('A 0-32', 'a/b', 'A'.repeat(23), { qos: 1 });
      r.pub('B 32-48', 'a/b', 'B'.repeat(7), { qos: 1 });
      r.pub('C 48-64', 'a/b', 'C'.repeat(7), { qos: 1 });
      r.drain();
      r.data(puback(1)); // the oldest leaves: 0-32 free
      r.pub('D 0-16, the ring gone round', 'a/b', 'D'.repeat(7), { qos: 1 });
      r.data(puback(3)); // one between leaves: 48-64 free, a gap
      // 32 bytes free, 16 of them after the newest, before the oldest: packed first, never written over B
      r.pub('E, 24 bytes', 'a/b', 'E'.repeat(15), { qos: 1 });
      r.data(puback(2));
      r.pub('F, after E, before the oldest', 'a/b', 'F'.repeat(3), { qos: 1 });
      r.reconnect(true); // D, E, F sent again, as stored (DUP set)
    });
    expect(board).toEqual(host);
    const again = board.slice(board.lastIndexOf(board.filter((l) => l.startsWith('> 10')).pop()!));
    expect(again.filter((l) => l.startsWith('> 3a')).map((l) => Buffer.from(l.slice(2), 'hex').toString('latin1').slice(9))).toEqual(['DDDDDDD', 'E'.repeat(15), 'FFF']);
  });

  it('a message that ends where the oldest begins, and a burst across a message taken out between, the same on both', () => {
    // the newest ends exactly where the oldest starts (the ring full up to it), with room elsewhere: packed first
    const resent = (log: string[]) =>
      log
        .slice(log.lastIndexOf(log.filter((l) => l.startsWith('> 10')).pop()!))
        .filter((l) => l.startsWith('> 3'))
        .map((l) => Buffer.from(l.slice(2), 'hex').toString('latin1').slice(9));
    const [board, host] = bothDo({ outboxBytes: 64, outboxMessages: 8, window: 8, txBuffer: 512, clean: false }, (r) => {
      r.pub('A 0-32', 'a/b', 'A'.repeat(23), { qos: 1 });
      r.pub('B 32-48', 'a/b', 'B'.repeat(7), { qos: 1 });
      r.pub('C 48-64', 'a/b', 'C'.repeat(7), { qos: 1 });
      r.drain();
      r.data(puback(1));
      r.pub('D 0-32, up to B', 'a/b', 'D'.repeat(23), { qos: 1 });
      r.data(puback(3)); // 48-64 free
      r.pub('E, 16 bytes: after D is B', 'a/b', 'E'.repeat(7), { qos: 1 });
      r.reconnect(true);
    });
    expect(board).toEqual(host);
    expect(resent(board)).toEqual(['BBBBBBB', 'D'.repeat(23), 'EEEEEEE']);
    // QoS 1, QoS 0, QoS 1 behind a slow socket: the QoS 0 one written and taken out between, a gap in the ring
    // that the burst sent again after a reconnect crosses
    const [board2, host2] = bothDo({ txBuffer: 60, clean: false, keepalive: 0 }, (r) => {
      r.pub('A, written', 'a/b', 'A'.repeat(10), { qos: 1 });
      r.pub('B, queued', 'a/b', 'B'.repeat(25), { qos: 0 });
      r.pub('C, queued after B', 'a/b', 'C'.repeat(10), { qos: 1 });
      r.drain();
      r.drain();
      r.reconnect(true);
    });
    expect(board2).toEqual(host2);
    expect(resent(board2)).toEqual(['A'.repeat(10), 'C'.repeat(10)]);
  });

  it('a message written at once that takes the last slot returns false, and the drain follows its PUBACK', () => {
    const [board, host] = bothDo({ outboxMessages: 3 }, (r) => {
      for (let i = 0; i < 3; i++) {
        r.drain(); // the socket keeps up
        r.pub(`q1 #${i}`, 'a/b', 'x', { qos: 1 }, true);
      }
      r.data(puback(1));
      r.data(puback(2));
      r.data(puback(3));
    });
    expect(board).toEqual(host);
    expect(board.filter((l) => / -> /.test(l))).toEqual(['q1 #0 -> true (1 queued)', 'q1 #1 -> true (2 queued)', 'q1 #2 -> false (3 queued)']);
    expect(board.filter((l) => l.startsWith('drain'))).toEqual(['drain ']);
  });
});
