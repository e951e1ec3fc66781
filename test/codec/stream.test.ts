// The reader is a stream decoder: chunk boundaries fall anywhere, and arbitrary bytes never break it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { Err, createReader } from '../../src/codec/index';
import { byteString, decodeAll } from '../helpers/codec';
import { serverPacket } from './arbitraries';

const ERR_CODES = new Set([
  Err.BAD_TYPE,
  Err.BAD_FLAGS,
  Err.BAD_LENGTH,
  Err.BAD_CONNACK,
  Err.BAD_SUBACK,
  Err.BAD_QOS,
  Err.BAD_ID,
  Err.BAD_UTF8,
  Err.NUL_CHAR,
  Err.TOPIC_EMPTY,
  Err.TOPIC_WILDCARD,
  Err.TOO_LARGE,
]);

// Cuts `bytes` at the given offsets (any order, duplicates allowed) into chunks.
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = Array.from(new Set(cuts.map((c) => c % (bytes.length + 1)))).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const c of at.concat(bytes.length)) {
    chunks.push(bytes.subarray(from, c));
    from = c;
  }
  return chunks;
}

const stream = fc
  .array(serverPacket, { minLength: 1, maxLength: 10 })
  .map((ps) => new Uint8Array(Buffer.concat(ps.map((p) => mqttPacket.generate(p as mqttPacket.Packet)))));

describe('the reader across chunk boundaries', () => {
  it('decodes any split of a valid stream to the same packets as the whole stream', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (bytes, cuts, asString) => {
        const whole = decodeAll([bytes]);
        const chunks = split(bytes, cuts).map((c) => (asString ? byteString(c) : c));
        expect(decodeAll(chunks)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a long byte string, read 512 bytes at a time, as the same bytes in one typed array', () => {
    // a board that was busy reads a burst as one chunk: the reader does not copy all of it at once (push)
    const long = fc
      .array(serverPacket, { minLength: 40, maxLength: 120 })
      .map((ps) => new Uint8Array(Buffer.concat(ps.map((p) => mqttPacket.generate(p as mqttPacket.Packet)))));
    fc.assert(
      fc.property(long, fc.nat(600), (bytes, lead) => {
        fc.pre(bytes.length > 1024);
        const whole = decodeAll([bytes]);
        // a short chunk first, so that packets straddle the slices at every offset
        expect(decodeAll([byteString(bytes.subarray(0, lead)), byteString(bytes.subarray(lead))])).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('stops reading a long string where a listener reset it, as it does a short one', () => {
    // 32 bytes each, so that every slice after the reset would begin with a whole packet
    const pub = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(27), qos: 0, dup: false, retain: false } as mqttPacket.Packet);
    expect(pub.length).toBe(32);
    const bytes = byteString(new Uint8Array(Buffer.concat(Array.from({ length: 100 }, () => pub))));
    let seen = 0;
    const reader = createReader(1024, () => {
      if (++seen === 30) reader.reset();
    }, () => {});
    reader.push(bytes); // 3,200 bytes: seven slices
    expect(seen).toBe(30);
  });

  it('in a byte string gives a PUBACK to onAck when it is given, every other acknowledgement to onPacket', () => {
    const chunk = byteString(new Uint8Array([0x40, 2, 0, 7, 0x50, 2, 0, 8, 0x70, 2, 0, 9, 0x40, 2, 1, 2]));
    for (const withAck of [false, true]) {
      const seen: string[] = [];
      const reader = createReader(
        64,
        (ctx, p) => seen.push(`${ctx} packet ${p.type}:${p.id}`),
        () => seen.push('error'),
        'c',
        false,
        () => seen.push('publish'),
        withAck ? (ctx, type, id) => seen.push(`${ctx} ack ${type}:${id}`) : undefined,
      );
      reader.push(chunk);
      expect(seen).toEqual(withAck ? ['c ack 4:7', 'c packet 5:8', 'c packet 7:9', 'c ack 4:258'] : ['c packet 4:7', 'c packet 5:8', 'c packet 7:9', 'c packet 4:258']);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    fc.assert(
      fc.property(stream, (bytes) => {
        const whole = decodeAll([bytes]);
        expect(decodeAll(Array.from(bytes, (b) => String.fromCharCode(b)))).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('reads not a byte more of a chunk once a callback ends the stream (push(null)): what follows starts a new one', () => {
    const types: number[] = [];
    const errors: number[] = [];
    const reader = createReader(
      64,
      (_, p) => {
        types.push(p.type);
        if (types.length === 1) reader.push(null);
      },
      (_, e) => errors.push(e),
    );
    // a PUBLISH, then the start of what would be a malformed packet (type 0) on the old stream
    reader.push(new Uint8Array([0x30, 5, 0, 1, 0x61, 0x00, 0x00, 0x30]));
    reader.push(new Uint8Array([0xd0, 0])); // a PINGRESP, the new stream's first packet
    expect(errors).toEqual([]);
    expect(types).toEqual([3, 13]);
  });

  it('an empty chunk is no end of the stream: a packet split around one is read whole', () => {
    for (const empty of ['', new Uint8Array(0)]) {
      const types: number[] = [];
      const errors: number[] = [];
      const reader = createReader(64, (_, p) => types.push(p.type), (_, e) => errors.push(e));
      reader.push(new Uint8Array([0x30, 5, 0, 3]));
      reader.push(empty);
      reader.push('a/b');
      expect([types, errors]).toEqual([[3], []]);
    }
  });

  it('keeps no chunk and no packet once push returns: a PUBLISH read in place lends its chunk only to onPacket', () => {
    let seen: Uint8Array | undefined;
    const reader = createReader(64, (_, p) => (seen = p.buf), () => {});
    const chunk = new Uint8Array(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }));
    reader.push(chunk);
    expect(seen).toBe(chunk); // read in place
    // (the packet object is made again for the next chunk that needs one: on the board it held 17 blocks)
    expect((reader as unknown as { _p: unknown })._p).toBe(null);
  });

  it('a QoS 1 PUBLISH with no room for its packet id is malformed, whatever follows it in the chunk', () => {
    // remaining length 5 = topic length (2) + a 3-byte topic: the id would be the next packet's first bytes
    const bad = [0x32, 5, 0, 3, 0x61, 0x62, 0x63];
    const next = Array.from(mqttPacket.generate({ cmd: 'puback', messageId: 9 }));
    const { packets, errors } = decodeAll([new Uint8Array([...bad, ...next])]);
    expect(packets).toEqual([]);
    expect(errors).toEqual([Err.BAD_LENGTH]);
  });

  it('handles 1000 packets coalesced into one chunk', () => {
    const one = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('xyz'), qos: 1, messageId: 7, retain: false, dup: false });
    const { packets, errors } = decodeAll([new Uint8Array(Buffer.concat(Array(1000).fill(one)))]);
    expect(errors).toEqual([]);
    expect(packets.length).toBe(1000);
  });
});

describe('the reader on hostile input', () => {
  // Any bytes at all: no exception escapes, every callback is a decoded packet with its fields inside the
  // buffer or a named error, and after an error nothing more is reported until reset.
  function checkHostile(chunks: Uint8Array[], size: number) {
    const events: string[] = [];
    let failed = false;
    const reader = createReader(
      size,
      (_, p) => {
        expect(failed).toBe(false);
        // the payload (or codes) inside p.buf: the chunk, for a PUBLISH read in place (quick), within the
        // packet and never more than the buffer holds; otherwise the body, as much of it as is kept
        expect(p.start).toBeGreaterThanOrEqual(0);
        expect(p.start).toBeLessThanOrEqual(p.end);
        expect(p.end).toBeLessThanOrEqual(p.buf.length);
        if (chunks.includes(p.buf)) expect(p.end - p.start).toBeLessThanOrEqual(Math.min(size, p.length));
        else {
          expect(p.buf.length).toBe(Math.min(size, p.length));
          expect(p.end).toBeLessThanOrEqual(Math.min(size, p.length));
        }
        events.push('packet');
      },
      (_, code) => {
        expect(failed).toBe(false);
        expect(ERR_CODES.has(code)).toBe(true);
        failed = true;
        events.push('error');
      },
    );
    for (const c of chunks) reader.push(c);
    return events;
  }

  it('never throws on random bytes and ends in packets or one named error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 8, max: 300 }), (bytes, size) => {
        checkHostile([bytes], size);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated valid streams, split anywhere', () => {
    const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 8, max: 400 }), (bytes, muts, cuts, size) => {
        const copy = bytes.slice();
        for (const m of muts) copy[m.at % copy.length] = m.value;
        checkHostile(split(copy, cuts), size);
      }),
      { numRuns: 1000 },
    );
  });

  // The reader takes a whole small packet at the start of a chunk a short way and everything else the long
  // way: on any stream, valid or not, both must give the same packets and the same verdict, wherever the
  // chunks end and whatever the buffer's size.
  it('gives mutated streams the same packets and the same error, whole, split anywhere or a byte at a time', () => {
    const mutation = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(stream, fc.array(mutation, { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 8, max: 400 }), (bytes, muts, cuts, size) => {
        const copy = bytes.slice();
        for (const m of muts) copy[m.at % copy.length] = m.value;
        const whole = decodeAll([copy], size);
        expect(decodeAll(split(copy, cuts), size), 'split').toEqual(whole);
        expect(decodeAll(Array.from(copy, (b) => new Uint8Array([b])), size), 'a byte at a time').toEqual(whole);
      }),
      { numRuns: 1000 },
    );
  });
});

// The reader holds no buffer as long as rxBuffer: a body whole in its chunk is read where it lies, one that
// comes in pieces gets a buffer of its own length (rxBuffer's at most) when its header is complete, and
// nothing is kept once it is handed on.
describe("the reader's memory", () => {
  const suback = Uint8Array.from([0x90, 5, 0, 7, 0, 1, 2]); // SUBACK id 7, three codes
  const held = (r: unknown) => (r as { _buf: Uint8Array | null })._buf;

  it('reads a body whole in its chunk where it lies, and keeps nothing after', () => {
    const seen: [number, boolean][] = [];
    const r = createReader(64, (_, p) => seen.push([p.buf.length, p.buf.buffer === suback.buffer]), () => {});
    r.push(suback);
    expect(seen).toEqual([[5, true]]);
    expect(held(r)).toBeNull();
  });

  it('reads a body of two length bytes whole in its chunk where it lies too', () => {
    const big = new Uint8Array(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(200, 7), qos: 1, messageId: 9, retain: false, dup: false }));
    const seen: [number, boolean, number][] = [];
    const r = createReader(256, (_, p) => seen.push([p.buf.length, p.buf.buffer === big.buffer, p.end - p.start]), () => {});
    r.push(big);
    expect(seen).toEqual([[205, true, 200]]);
    expect(held(r)).toBeNull();
  });

  it('gives a body in pieces a buffer of its length, kept only until the packet is complete', () => {
    const seen: number[] = [];
    const r = createReader(64, (_, p) => seen.push(p.buf.length), () => {});
    r.push(suback.subarray(0, 3));
    expect(held(r)!.length).toBe(5);
    r.push(suback.subarray(3));
    expect(seen).toEqual([5]);
    expect(held(r)).toBeNull();
    // longer than rxBuffer: a PUBLISH is skipped past what is kept (TOO_LARGE), its buffer rxBuffer long
    const big = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(100, 1), qos: 0, retain: false, dup: false });
    const errs: number[] = [];
    const s = createReader(16, (_, p) => errs.push(p.error), () => {});
    s.push(new Uint8Array(big.subarray(0, 10)));
    expect(held(s)!.length).toBe(16);
    s.push(new Uint8Array(big.subarray(10)));
    expect(errs).toEqual([Err.TOO_LARGE]);
    expect(held(s)).toBeNull();
  });

  it('lets a partial packet go when the stream ends', () => {
    const r = createReader(64, () => {}, () => {});
    r.push(suback.subarray(0, 3));
    r.push(null);
    expect(held(r)).toBeNull();
  });
});
