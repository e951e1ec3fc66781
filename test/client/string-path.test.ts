// The reader's string path (src/codec/reader.ts push): a packet alone in a byte-string chunk, as Espruino's
// sockets deliver it, is read in place. Whatever arrives, the client must do exactly what it does with the
// same bytes in a Uint8Array (the general path): the same messages, acknowledgements, errors and state.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setup } from './setup';
import { fakeClock } from '../helpers/clock';
import { mockTransport } from '../helpers/mock-transport';
import { createSandbox } from '../../scripts/sandbox.mjs';

// The same client as the board runs it: the built library bundle (npm test builds it first) in the
// Espruino-like sandbox, over the same mock transport and fake clock as setup() (there a payload and a
// topic are byte strings).
const box = createSandbox();
afterAll(() => box.close());
function boardSetup(opts: { rxBuffer: number; window?: number; keepalive?: number }) {
  const clock = fakeClock();
  const mock = mockTransport();
  const lib = box.require('espruino-mqtt') as { connect(o: object): ReturnType<typeof setup>['client'] };
  const client = lib.connect({ host: 'broker', clientId: 'test', reconnect: { min: 1000, max: 8000, factor: 2, jitter: 0 }, ...opts, clock, transport: mock.transport });
  const errors: number[] = [];
  const events: { event: string; args: unknown[] }[] = [];
  client.on('error', (e: { code: number }) => errors.push(e.code));
  client.on('drop', (...args: unknown[]) => events.push({ event: 'drop', args }));
  const online = () => {
    clock.advance(0);
    const link = mock.last();
    link.connack(0, false);
    return link;
  };
  return { client, clock, mock, errors: () => errors, of: (event: string) => events.filter((e) => e.event === event), online };
}

const bytes = (...parts: (number[] | string)[]) => parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p));

// Feeds each chunk, as byte strings or as Uint8Arrays, to a client online with two QoS 1 and one QoS 2
// message of its own in flight (ids 1-3), and records all it did.
function observe(chunks: number[][], strings: boolean, rxBuffer = 24, board = false) {
  const t = board ? boardSetup({ rxBuffer }) : setup({ rxBuffer });
  const link = t.online();
  t.client.publish('o', '1', { qos: 1 });
  t.client.publish('o', '2', { qos: 1 });
  t.client.publish('o', '3', { qos: 2 });
  link.take();
  const seen: unknown[] = [];
  // (on the board topic and payload are byte strings)
  const bytesOf = (b: Uint8Array | string) => (typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b));
  t.client.on('message', (topic: string, payload: Uint8Array | string, packet: { qos: number; retain: boolean; dup: boolean; messageId: number }) =>
  {
    seen.push(['message', board ? bytesOf(topic).toString('utf8') : topic, bytesOf(payload).toString('hex'), packet.qos, packet.retain, packet.dup, packet.messageId]);
    // a listener that ends the client: nothing more of the chunk is read
    if (bytesOf(payload).toString() === 'END') t.client.end(true);
    if (bytesOf(payload).toString() === 'AGAIN') (t.client as unknown as { reconnect(): void }).reconnect();
  });
  for (const c of chunks) t.mock.last().receiveBytes(strings ? Buffer.from(c).toString('latin1') : new Uint8Array(c));
  return {
    seen,
    errors: t.errors(),
    drops: t.of('drop').map((e) => (e.args[0] as { code: number; topic: string }).code + ' ' + (e.args[0] as { topic: string }).topic),
    sent: link.take().map((p) => `${p.cmd}:${(p as { messageId?: number }).messageId}`),
    queued: t.client.queued(),
    connected: t.client.connected,
    ended: link.ended,
  };
}

// Host and board: as Uint8Array and as byte string, the same; and the board as the host.
const same = (chunks: number[][], rxBuffer?: number) => {
  const a = observe(chunks, false, rxBuffer);
  expect(observe(chunks, true, rxBuffer)).toEqual(a);
  expect(observe(chunks, false, rxBuffer, true)).toEqual(a);
  expect(observe(chunks, true, rxBuffer, true)).toEqual(a);
  return a;
};

describe('packets in a byte-string chunk, on a host and in the board bundle', () => {
  it('is read as the same bytes in a Uint8Array are: messages, acknowledgements, errors', () => {
    // each on a fresh client: [chunks, what the general path does with them]
    const cases: [number[][], Partial<ReturnType<typeof observe>>][] = [
      [[bytes([0x30, 8, 0, 3], 'a/b', 'hi!')], { seen: [['message', 'a/b', '686921', 0, false, false, 0]] }],
      [[bytes([0x33, 10, 0, 3], 'a/b', [0, 9], 'hi!')], { sent: ['puback:9'] }], // QoS 1, retained
      [[bytes([0x3c, 10, 0, 3], 'a/b', [0, 9], 'hi!')], { sent: ['pubrec:9'] }], // QoS 2, DUP
      [[bytes([0x30, 5, 0, 3], 'a/b')], { seen: [['message', 'a/b', '', 0, false, false, 0]] }], // empty payload
      [[bytes([0x30, 7, 0, 5], 'caf\xc3\xa9')], { seen: [['message', 'café', '', 0, false, false, 0]] }], // UTF-8 topic
      [[bytes([0x30, 6, 0, 3], 'a/+', 'x')], { connected: false }], // wildcard in a topic name
      [[bytes([0x30, 4, 0, 0], 'xy')], { connected: false }], // empty topic
      [[bytes([0x30, 5, 0, 3], 'a\x00b')], { connected: false }], // U+0000
      [[bytes([0x30, 5, 0, 3], '\xff\xfe\xfd')], { connected: false }], // not UTF-8
      [[bytes([0x30, 4, 0, 9], 'ab')], { connected: false }], // topic runs past the packet
      [[bytes([0x32, 6, 0, 3], 'a/b', [0])], { connected: false }], // packet id cut short
      [[bytes([0x32, 7, 0, 3], 'a/b', [0, 0])], { connected: false }], // packet id 0
      [[bytes([0x36, 8, 0, 3], 'a/b', [0, 1], 'x')], { connected: false }], // QoS 3
      [[bytes([0x30, 30, 0, 3], 'a/b', 'x'.repeat(25))], { drops: ['20 a/b'] }], // larger than the receive buffer
      [[bytes([0x40, 2, 0, 1])], { queued: 2 }], // PUBACK of message 1
      [[bytes([0x50, 2, 0, 3])], { sent: ['pubrel:3'] }], // PUBREC of message 3
      [[bytes([0x40, 2, 0, 3])], { connected: false }], // PUBACK for a QoS 2 message
      [[bytes([0x40, 2, 0, 7])], { connected: false }], // PUBACK for an unknown id
      [[bytes([0x40, 2, 0, 0])], { connected: false }], // packet id 0
      [[bytes([0x41, 2, 0, 1])], { connected: false }], // reserved flags
      [[bytes([0x62, 2, 0, 4])], { sent: ['pubcomp:4'] }], // PUBREL for an id not held: PUBCOMP all the same
      [[bytes([0x60, 2, 0, 4])], { connected: false }], // PUBREL without its flags
      [[bytes([0xb0, 2, 0, 1])], { connected: false }], // UNSUBACK for no request
      [[bytes([0x40, 3, 0, 1, 0])], { connected: false }], // PUBACK too long
      // a packet split across chunks: its second half is not read as a packet of its own
      [[bytes([0x30, 8, 0]), bytes([3], 'a/b', 'hi!')], { seen: [['message', 'a/b', '686921', 0, false, false, 0]] }],
      [[bytes([0x30, 8, 0, 2]), bytes([0x30, 4, 0, 2], 'xy')], { seen: [['message', '0\x04', '00027879', 0, false, false, 0]] }],
      // several packets in one chunk, as a socket gives what came in together
      [[bytes([0x40, 2, 0, 1, 0x40, 2, 0, 2])], { queued: 1 }],
      [[bytes([0x30, 5, 0, 3], 'a/b', [0x32, 7, 0, 3], 'a/c', [0, 5], [0x40, 2, 0, 2])], { seen: [['message', 'a/b', '', 0, false, false, 0], ['message', 'a/c', '', 1, false, false, 5]], sent: ['puback:5'], queued: 2 }],
      [[bytes([0x30, 5, 0, 3], 'a/b', [0x30, 5, 0, 3], 'a/+', [0x30, 5, 0, 3], 'a/c')], { connected: false }], // a bad one between good ones
      [[bytes([0x30, 5, 0, 3], 'a/b', [0x30, 6, 0, 3], 'a/c')], {}], // the last one cut short: read when the rest comes
      [[bytes([0x30, 5, 0, 3], 'a/b', [0x30, 6, 0, 3], 'a/c'), bytes('x', [0x40, 2, 0, 1])], { queued: 2 }],
      [[bytes([0x30, 5, 0, 3], 'a/b', [0x30, 0x81, 1, 0, 3], 'a/c', 'y'.repeat(124), [0x30, 5, 0, 3], 'a/d')], {}], // a two-byte length between
      [[bytes([0x30, 8, 0, 3], 'a/b', 'END', [0x30, 5, 0, 3], 'a/c', [0x40, 2, 0, 1])], { seen: [['message', 'a/b', '454e44', 0, false, false, 0]], ended: true }], // ended by the first one's listener: no more read
      [[bytes([0x30, 10, 0, 3], 'a/b', 'AGAIN', [0x30, 5, 0, 3], 'a/c')], { seen: [['message', 'a/b', '414741494e', 0, false, false, 0]], errors: [] }], // reconnected: no more read
      [[bytes([0x40, 2, 0, 7, 0x30, 5, 0, 3], 'a/b')], { seen: [], connected: false }], // closed by the first: the second not read
      [[bytes([0xd0, 0, 0x30, 5, 0, 3], 'a/b')], { seen: [['message', 'a/b', '', 0, false, false, 0]] }], // PINGRESP, then the lane
    ];
    for (const [chunks, expected] of cases) expect(same(chunks)).toMatchObject(expected);
  });

  it('reads a chunk longer than 512 bytes in pieces, a packet across two pieces by the general path', () => {
    const long = (t: string, n: number) => bytes([0x30, 0x7f, 0, 3], t, 'y'.repeat(n)); // 129 bytes with n = 122
    // four messages and a PUBACK (520 bytes): the fourth lies across bytes 512
    const a = same([[...long('a/b', 122), ...long('a/c', 122), ...long('a/d', 122), ...long('a/e', 122), 0x40, 2, 0, 1]], 512);
    expect(a.seen.map((m) => (m as string[])[1])).toEqual(['a/b', 'a/c', 'a/d', 'a/e']);
    expect(a.queued).toBe(2);
    // a header's first byte the last of the first piece, its length the first of the second
    const b = same([[...long('a/b', 122), ...long('a/c', 122), ...long('a/d', 122), 0x30, 122, 0, 3, ...bytes('a/e', 'z'.repeat(117)), 0x30, 5, 0, 3, ...bytes('a/f')]], 512);
    expect(b.seen.map((m) => (m as string[])[1])).toEqual(['a/b', 'a/c', 'a/d', 'a/e', 'a/f']);
    // ended by a listener in the first piece: nothing of the second is read
    const c = same([[...bytes([0x30, 8, 0, 3], 'a/b', 'END'), ...long('a/c', 122), ...long('a/d', 122), ...long('a/e', 122), ...long('a/f', 122)]], 512);
    expect(c.seen.length).toBe(1);
  });

  it('a remaining length of 127 and then of 128 (two bytes) in one chunk', () => {
    const a = same([bytes([0x30, 0x7f, 0, 3], 'a/b', 'y'.repeat(122), [0x30, 0x80, 1, 0, 3], 'a/c', 'y'.repeat(123))], 512);
    expect(a.seen.length).toBe(2);
  });

  it('a QoS 2 message resent before its PUBREL is not delivered twice; after it, it is new', () => {
    const q2 = bytes([0x34, 8, 0, 3], 'a/b', [0, 9], 'x');
    const a = same([q2, [0x3c, ...q2.slice(1)], [0x62, 2, 0, 9], q2]);
    expect(a.seen.length).toBe(2);
    expect(a.sent).toEqual(['pubrec:9', 'pubrec:9', 'pubcomp:9', 'pubrec:9']);
  });

  it('the receive buffer at its least (8 bytes)', () => {
    expect(same([bytes([0x30, 8, 0, 3], 'a/b', 'hi!')], 8).seen.length).toBe(1);
    expect(same([bytes([0x30, 9, 0, 3], 'a/b', 'hi!!')], 8).drops).toEqual(['20 a/b']);
  });

  it('a message as long as the receive buffer is read, one byte longer is dropped, as by the general path', () => {
    expect(same([bytes([0x30, 24, 0, 3], 'a/b', 'x'.repeat(19))]).seen.length).toBe(1);
    expect(same([bytes([0x30, 25, 0, 3], 'a/b', 'x'.repeat(20))]).drops).toEqual(['20 a/b']);
  });

  it('a PUBLISH or a PUBACK before the CONNACK closes the connection, as by the general path', () => {
    for (const c of [bytes([0x30, 5, 0, 3], 'a/b'), bytes([0x40, 2, 0, 1])]) {
      for (const board of [false, true]) {
        const seen = [false, true].map((strings) => {
          const t = board ? boardSetup({ rxBuffer: 24 }) : setup({ rxBuffer: 24 });
          t.clock.advance(0);
          const link = t.mock.last();
          link.open();
          link.receiveBytes(strings ? Buffer.from(c).toString('latin1') : new Uint8Array(c));
          return [t.errors(), link.ended];
        });
        expect(seen[1]).toEqual(seen[0]);
        expect(seen[0][1]).toBe(true);
      }
    }
  });

  it('a PUBACK for a message in flight, before the CONNACK of the next connection, closes it and loses nothing', () => {
    for (const board of [false, true]) {
      const seen = [false, true].map((strings) => {
        const t = board ? boardSetup({ rxBuffer: 24 }) : setup({ rxBuffer: 24 });
        let link = t.online();
        t.client.publish('o', '1', { qos: 1 }); // id 1, written: in flight
        link.close();
        t.clock.advance(1000); // the backoff's first wait
        link = t.mock.last();
        link.open();
        const c = bytes([0x40, 2, 0, 1]);
        link.receiveBytes(strings ? Buffer.from(c).toString('latin1') : new Uint8Array(c));
        return [t.errors(), link.ended, t.client.queued()];
      });
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[0][1]).toBe(true);
      expect(seen[0][2]).toBe(1);
    }
  });

  it('a PUBACK read in place proves the broker alive, as any whole packet does', () => {
    for (const board of [false, true]) {
      const t = board ? boardSetup({ rxBuffer: 24, keepalive: 10 }) : setup({ rxBuffer: 24, keepalive: 10 });
      const link = t.online();
      for (let id = 1; id <= 4; id++) {
        t.client.publish('o', 'x', { qos: 1 });
        t.clock.advance(9000);
        // (the PINGREQ due at 10 s is not needed: the PUBACK came, and the publish was written)
        link.receiveBytes(Buffer.from([0x40, 2, 0, id]).toString('latin1'));
      }
      expect(link.take().filter((p) => p.cmd === 'pingreq').length).toBe(0);
      t.clock.advance(15000); // silence: a PINGREQ, then no answer within 1.5 keepalive: closed
      expect(t.client.connected).toBe(false);
    }
  });

  it('a PUBACK read in place completes its message: its callback runs, the next one is written', () => {
    for (const board of [false, true]) {
      const t = board ? boardSetup({ rxBuffer: 24, window: 1 }) : setup({ rxBuffer: 24, window: 1 });
      const link = t.online();
      link.take();
      const done: unknown[] = [];
      t.client.publish('o', '1', { qos: 1 }, (e: unknown) => done.push(e ?? 'ok'));
      t.client.publish('o', '2', { qos: 1 });
      expect(link.take().map((p) => `${p.cmd}:${(p as { messageId?: number }).messageId}`)).toEqual(['publish:1']); // (a window of 1)
      link.receiveBytes(Buffer.from([0x40, 2, 0, 1]).toString('latin1'));
      expect(done).toEqual(['ok']);
      expect(t.client.queued()).toBe(1);
      expect(link.take().map((p) => `${p.cmd}:${(p as { messageId?: number }).messageId}`)).toEqual(['publish:2']);
      link.receiveBytes(Buffer.from([0x40, 2, 0, 2]).toString('latin1'));
      expect(t.client.queued()).toBe(0);
      expect(t.client.connected).toBe(true);
      // a callback that reconnects the client: nothing more of the chunk is read (the PUBLISH after it, which
      // would be a protocol error on the new connection, before its CONNACK)
      const seen: string[] = [];
      t.client.on('message', (topic: string) => seen.push(String(topic)));
      t.client.publish('o', '3', { qos: 1 }, () => (t.client as unknown as { reconnect(): void }).reconnect());
      link.take();
      link.receiveBytes(Buffer.from([0x40, 2, 0, 3, 0x30, 5, 0, 3, 0x61, 0x2f, 0x62]).toString('latin1'));
      expect(seen).toEqual([]);
      expect(link.ended).toBe(true);
      expect(t.errors()).toEqual([]);
    }
  });

  it('a PUBACK read in place for an id it no longer holds closes the connection', () => {
    for (const board of [false, true]) {
      const t = board ? boardSetup({ rxBuffer: 24 }) : setup({ rxBuffer: 24 });
      const link = t.online();
      t.client.publish('o', '2', { qos: 1 });
      link.receiveBytes(Buffer.from([0x40, 2, 0, 1]).toString('latin1'));
      expect(t.client.connected).toBe(true);
      // the same id again: no longer known
      link.receiveBytes(Buffer.from([0x40, 2, 0, 1]).toString('latin1'));
      expect(t.client.connected).toBe(false);
    }
  });

  it('a 5.0 client never takes the string path: its PUBLISH has properties', () => {
    const t = setup({ protocolVersion: 5 });
    t.online();
    const got: string[] = [];
    t.client.on('message', (topic: string, payload: Uint8Array) => got.push(`${topic}=${Buffer.from(payload).toString('hex')}`));
    t.mock.last().receiveBytes(Buffer.from(bytes([0x30, 8, 0, 3], 'a/b', [0], 'hi')).toString('latin1'));
    expect(got).toEqual(['a/b=6869']);
  });

  it('agrees with the general path on any stream of packets, good and broken, cut into chunks anywhere', () => {
    const pool = [
      bytes([0x30, 5, 0, 3], 'a/b'),
      bytes([0x30, 8, 0, 3], 'a/b', 'END'),
      bytes([0x30, 10, 0, 3], 'a/b', 'AGAIN'),
      bytes([0x32, 8, 0, 3], 'a/c', [0, 9], 'x'),
      bytes([0x34, 8, 0, 3], 'a/d', [0, 8], 'x'),
      bytes([0x30, 0x80, 1, 0, 3], 'a/e', 'y'.repeat(123)),
      bytes([0x40, 2, 0, 1]),
      bytes([0x40, 2, 0, 2]),
      bytes([0x50, 2, 0, 3]),
      bytes([0x62, 2, 0, 8]),
      bytes([0xd0, 0]),
    ];
    const packet = fc.tuple(fc.nat(pool.length - 1), fc.option(fc.tuple(fc.nat(), fc.nat(255)), { freq: 4 })).map(([k, change]) => {
      const c = pool[k].slice();
      if (change) c[change[0] % c.length] = change[1];
      return c;
    });
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 4 }), fc.nat(2), (packets, cuts, rx) => {
        const all = packets.flat();
        const at = [...new Set(cuts.map((c) => c % all.length))].sort((x, y) => x - y);
        const chunks = [0, ...at].map((from, i, list) => all.slice(from, i + 1 < list.length ? list[i + 1] : all.length)).filter((c) => c.length);
        same(chunks, [16, 140, 512][rx]);
      }),
      { numRuns: 1500 },
    );
  });

  it('agrees with the general path on any PUBLISH or acknowledgement with one byte changed or cut, alone or between others', () => {
    const valid = [bytes([0x30, 8, 0, 3], 'a/b', 'hi!'), bytes([0x32, 10, 0, 3], 'a/b', [0, 9], 'hi!'), bytes([0x34, 10, 0, 3], 'a/b', [1, 0], 'hi!'), bytes([0x40, 2, 0, 2]), bytes([0x50, 2, 0, 3]), bytes([0x62, 2, 0, 3])];
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.nat(), fc.nat(255), fc.boolean(), fc.nat(3), (packet, at, value, cut, rx) => {
        const c = packet.slice();
        if (cut) c.length = 1 + (at % c.length);
        else c[at % c.length] = value;
        same([c, bytes([0x30, 5, 0, 3], 'z/z')], [12, 16, 24, 512][rx]);
        // and in one chunk between two good ones
        same([bytes([0x40, 2, 0, 1]).concat(c, bytes([0x30, 5, 0, 3], 'z/z'))], [12, 16, 24, 512][rx]);
      }),
      { numRuns: 2000 },
    );
  });
});

// The board's publish makes the usual PUBLISH as a byte string and writes and stores it as such
// (src/client/outbound.ts publish); any other goes through encodePublish and the transmit buffer. Whatever the
// application publishes, in whatever state of window, socket and outbox, the board must write the same bytes,
// give the same answers and errors, and hold the same queue as the host.
describe('publishing, on a host and in the board bundle', () => {
  const topics = ['a/b', 'bench/t', 'x'.repeat(121), 'y'.repeat(122), 'a/+', '', 'café', 'a\u0000b', 'a/#'];
  const payloads: unknown[] = ['', 'hi', 'z'.repeat(100), 'é', new Uint8Array([1, 2, 255]), 42, null, 'w'.repeat(200)];
  type Step = { publish: [number, number, number, boolean, boolean] } | { drain: true } | { ack: true } | { cut: true };
  const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
  function run(steps: Step[], opts: object, board: boolean) {
    const t = board ? boardSetup(opts as { rxBuffer: number }) : setup(opts);
    const seen: unknown[] = [];
    const text = (s: unknown) => (board && typeof s === 'string' ? Buffer.from(s, 'latin1').toString('utf8') : s);
    t.client.on('error', (e: { code: number }) => seen.push(['error', e.code]));
    t.client.on('drop', (e: { code: number; topic: string; qos: number }) => seen.push(['drop', e.code, text(e.topic), e.qos]));
    t.client.on('drain', () => seen.push(['drain']));
    let link = t.online();
    const inFlight: { id: number; qos: number }[] = [];
    const note = () => {
      for (const p of link.take()) {
        const q = p as { cmd: string; qos?: number; messageId?: number };
        if (q.cmd === 'publish' && q.qos) inFlight.push({ id: q.messageId!, qos: q.qos });
        if (q.cmd === 'pubrel') inFlight.push({ id: q.messageId!, qos: 3 });
      }
    };
    steps.forEach((step, i) => {
      if ('publish' in step) {
        const [ti, pi, qos, retain, cb] = step.publish;
        const topic = board ? utf8(topics[ti]) : topics[ti];
        // (the sandbox's own Uint8Array: one of this realm fails the bundle's instanceof)
        const p = payloads[pi];
        const payload = !board ? p : typeof p === 'string' ? utf8(p) : p instanceof Uint8Array ? new (box.run('Uint8Array') as Uint8ArrayConstructor)(p) : p;
        const done = cb ? (e?: { code: number }) => seen.push(['done', i, e ? e.code : 0]) : undefined;
        seen.push(['publish', i, t.client.publish(topic, payload, { qos, retain }, done)]);
      } else if ('drain' in step) link.drain();
      else if ('ack' in step) {
        const m = inFlight.shift();
        if (m) link.receive({ cmd: m.qos === 1 ? 'puback' : m.qos === 2 ? 'pubrec' : 'pubcomp', messageId: m.id });
      } else {
        // the connection lost and made again (a clean session): the outbox is written anew
        link.close();
        t.clock.advance(8000);
        link = t.mock.last();
        if (!link.ended) link.connack(0, false);
        inFlight.length = 0;
      }
      note();
    });
    return { seen, wire: t.mock.links.map((l) => l.wire), queued: t.client.queued(), strings: t.mock.links.reduce((n, l) => n + l.strings, 0) };
  }
  // (what differs by design: how many writes were byte strings)
  const same = (steps: Step[], opts: object) => {
    const host = run(steps, opts, false);
    const board = run(steps, opts, true);
    expect({ ...board, strings: 0 }).toEqual(host);
    return { ...host, boardStrings: board.strings };
  };

  it('on the board writes the CONNECT, the usual PUBLISH and the acknowledgements as byte strings, on a host never', () => {
    const usual = (qos: number) => ({ publish: [0, 1, qos, false, false] as [number, number, number, boolean, boolean] });
    // the CONNECT, QoS 0, QoS 1, QoS 2 (its PUBREL after the PUBREC) and a Uint8Array payload, which goes the
    // other way
    const steps: Step[] = [usual(0), usual(1), usual(2), { ack: true }, { ack: true }, { publish: [0, 4, 0, false, false] }];
    expect(run(steps, { rxBuffer: 64 }, false).strings).toBe(0);
    expect(run(steps, { rxBuffer: 64 }, true).strings).toBe(5);
  });

  it('writes the same bytes for the usual messages and the unusual, and refuses the same', () => {
    const a = same(
      topics.flatMap((_, ti) => payloads.flatMap((_, pi) => [0, 1, 2].map((qos) => ({ publish: [ti, pi, qos, (ti + pi) % 2 === 1, true] as [number, number, number, boolean, boolean] })))).flatMap((s) => [s, { drain: true } as Step, { ack: true } as Step, { ack: true } as Step]),
      { rxBuffer: 64, txBuffer: 512, outboxBytes: 2000 },
    );
    // both kinds were written: a one-byte remaining length of 127 (the string's longest) and of 128 and more
    const wire = a.wire.join('');
    expect(wire).toMatch(/3[2-5]7f0079/); // 'x'.repeat(121), QoS 1 or 2, 'é' (2 bytes): 2 + 121 + 2 + 2 = 127
    expect(wire).toMatch(/3[2-5]8001007a/); // 'y'.repeat(122), the same: 128
  });

  it('stores a message across the end of the outbox ring in two pieces, and writes it whole', () => {
    // 40 bytes, one in flight: 11-byte messages at 0, 11, 22; the first acknowledged; the fourth, at 33, runs
    // past the end
    const q1 = { publish: [0, 1, 1, false, true] as [number, number, number, boolean, boolean] };
    const ack: Step[] = [{ ack: true }, { drain: true }];
    const a = same([q1, q1, q1, ...ack, q1, ...ack, q1, ...ack, ...ack, ...ack], { txBuffer: 64, outboxBytes: 40, window: 1, rxBuffer: 64 });
    expect(a.wire[0].match(/32090003612f62/g)?.length).toBe(5);
    expect(a.queued).toBe(0);
  });

  it('agrees with the host on any run of publishes, drains, acknowledgements and reconnections', () => {
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.nat(topics.length - 1), fc.nat(payloads.length - 1), fc.nat(2), fc.boolean(), fc.boolean()).map((p) => ({ publish: p })) },
      { weight: 2, arbitrary: fc.constant({ drain: true as const }) },
      { weight: 2, arbitrary: fc.constant({ ack: true as const }) },
      { weight: 1, arbitrary: fc.constant({ cut: true as const }) },
    );
    const options = fc.record({
      txBuffer: fc.constantFrom(20, 24, 40, 130, 512),
      outboxBytes: fc.constantFrom(40, 64, 150, 600),
      outboxMessages: fc.constantFrom(2, 4, 20),
      window: fc.constantFrom(1, 3, 8),
      rxBuffer: fc.constant(64),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), options, (steps, opts) => {
        same(steps, opts);
      }),
      { numRuns: 600 },
    );
  });
});
