// Our Sparkplug B payload codec (src/node/sparkplug-payload.ts on src/node/protobuf.ts, as built in
// dist/host.cjs) against Eclipse Tahu's sparkplug-payload, the reference: what putHead and putMetric write,
// Tahu decodes to exactly the fields written, and a buffer too small is reported, never filled with half a
// metric; what Tahu encodes (an NCMD), readMetrics reads metric for metric, in order; truncated, malformed
// and random bytes are refused (false), never thrown on, and never read as more than was sent.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';

const require = createRequire(import.meta.url);
const host = require('../../dist/host.cjs');
const sp = require('sparkplug-payload').get('spBv1.0');

// Payload.DataType, and the Metric field each value comes in (7 is is_null)
const TYPE = { Int32: 3, Int64: 4, UInt64: 8, Float: 9, Double: 10, Boolean: 11, String: 12 } as const;
const FIELD = { Int32: 10, Int64: 11, UInt64: 11, Float: 12, Double: 13, Boolean: 14, String: 15 } as const;
type TypeName = keyof typeof TYPE;

interface Metric { name: string | null; alias: number; timestamp: number; type: TypeName; value: unknown }
interface Payload { timestamp: number; seq: number; metrics: Metric[] }
interface MetricIn { name: string | null; alias: number; type: number; field: number; value: unknown }

const ascii = (maxLength: number) => fc.string({ unit: 'binary-ascii', maxLength });
const metricName = fc.oneof(
  ascii(20).filter((s) => !s.includes('\0')),
  fc.array(fc.constantFrom('Node Control', 'climate', '/', ' ', 'Rebirth', 'x'), { maxLength: 4 }).map((a) => a.join('')),
);
const time = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 50 })); // -1: none
const alias = fc.integer({ min: 1, max: 100000 });
// any double, -0, NaN and the infinities more often than fc.double() makes them
const double = fc.oneof(fc.double(), fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 5e-324, -Number.MAX_VALUE));

// the values our node writes: Int64 only non-negative (putVarint takes no negative number)
const ourValues: Partial<Record<TypeName, fc.Arbitrary<unknown>>> = {
  Int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  Int64: fc.maxSafeNat(),
  UInt64: fc.maxSafeNat(),
  Double: double, // its 8 bytes go through unchanged
  Boolean: fc.boolean(),
  String: ascii(100),
};
const ourType = fc.constantFrom(...(Object.keys(ourValues) as TypeName[]));
const ourMetric = fc
  .record({ name: fc.option(metricName, { nil: null }), alias: fc.oneof(fc.constant(0), alias), timestamp: time, type: ourType })
  .chain((m) => fc.option(ourValues[m.type]!, { nil: undefined, freq: 6 }).map((value): Metric => ({ ...m, value })));
const ourPayload: fc.Arbitrary<Payload> = fc.record({
  timestamp: time,
  seq: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 255 })),
  metrics: fc.array(ourMetric, { maxLength: 8 }),
});

// Our bytes, and the offsets after the timestamp, after the head and after each metric.
function encode(p: Payload): { bytes: Uint8Array; ends: number[] } {
  const buf = new Uint8Array(4096);
  const ends = [host.putHead(buf, p.timestamp, -1), host.putHead(buf, p.timestamp, p.seq)];
  for (const m of p.metrics) ends.push(host.putMetric(buf, ends[ends.length - 1], m.name, m.alias, m.timestamp, TYPE[m.type], m.value));
  return { bytes: buf.slice(0, ends[ends.length - 1]), ends };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Tahu's decoding with its Longs (64-bit fields) as exact numbers
const plain = (x: unknown): unknown =>
  Array.isArray(x) ? x.map(plain)
  : x && typeof x === 'object' ? ('unsigned' in x ? Number(BigInt(String(x))) : Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)])))
  : x;

// What Tahu should decode from our bytes: only the fields that were written.
function tahuView(p: Payload): object {
  const metrics = p.metrics.map((m) => ({
    type: m.type,
    value: m.value === undefined ? null : m.value,
    ...(m.name !== null && { name: m.name }),
    ...(m.alias > 0 && { alias: m.alias }),
    ...(m.timestamp >= 0 && { timestamp: m.timestamp }),
  }));
  return { metrics, ...(p.timestamp >= 0 && { timestamp: p.timestamp }), ...(p.seq >= 0 && { seq: p.seq }) };
}

// What readMetrics should report for a metric. An Int32 comes as the uint32 in int_value: -5 reads as
// 4294967291 (its two's complement), for the caller to take back with `| 0`.
function readView(m: { name?: string | null; alias?: number; type: TypeName; value: unknown }): MetricIn {
  const none = m.value === undefined || m.value === null;
  const v = m.value as number;
  return {
    name: m.name ?? null,
    alias: m.alias ?? 0,
    type: TYPE[m.type],
    field: none ? 7 : FIELD[m.type],
    value: none ? null : m.type === 'Int32' ? v >>> 0 : m.type === 'Float' ? Math.fround(v) : v,
  };
}

// readMetrics' answer and a copy of each metric taken (its record is reused); take says false after `stop`.
function read(b: Uint8Array, stop = Infinity): { ok: boolean; got: MetricIn[] } {
  const got: MetricIn[] = [];
  const ok = host.readMetrics(b, (m: MetricIn) => got.push({ ...m }) < stop);
  return { ok, got };
}

describe('putHead and putMetric write what Tahu decodes', () => {
  it('every field as sent: timestamp and seq or none, name, alias, timestamp, datatype, value or is_null', () => {
    fc.assert(
      fc.property(ourPayload, (p) => {
        const { bytes } = encode(p);
        expect(plain(sp.decodePayload(bytes))).toStrictEqual(tahuView(p));
        expect(bytes.length).toBe(sp.encodePayload(tahuView(p)).length); // as short as Tahu's: minimal lengths
      }),
      { numRuns: 400 },
    );
  });

  it('into a buffer too small, each metric that does not fit returns buf.length + 1, never half a metric', () => {
    fc.assert(
      fc.property(ourPayload.filter((p) => p.metrics.length > 0), fc.nat(), (p, r) => {
        const { bytes, ends } = encode(p);
        const size = ends[1] + (r % (bytes.length - ends[1])); // cut somewhere in the metrics
        const buf = new Uint8Array(size);
        let q = host.putHead(buf, p.timestamp, p.seq);
        p.metrics.forEach((m, i) => {
          // as the NBIRTH does, on past an overflow: every later metric overflows too
          q = host.putMetric(buf, q, m.name, m.alias, m.timestamp, TYPE[m.type], m.value);
          if (ends[i + 2] > size) expect(q).toBe(size + 1);
          // one that ends exactly at the end may be refused when its length takes one byte (written in two
          // first, then moved down: see putMetric); refused, not truncated
          else if (!(ends[i + 2] === size && q === size + 1)) expect(q).toBe(ends[i + 2]);
          if (q <= size) expect(buf.subarray(0, q)).toEqual(bytes.subarray(0, q));
        });
        expect(q).toBe(size + 1);
      }),
      { numRuns: 400 },
    );
  });

  it('a metric of 124 to 134 bytes, its length in one byte or two: byte for byte as Tahu writes it', () => {
    for (let k = 120; k <= 130; k++) {
      const p: Payload = { timestamp: -1, seq: -1, metrics: [{ name: null, alias: 0, timestamp: -1, type: 'String', value: 'x'.repeat(k) }] };
      expect(hex(encode(p).bytes)).toBe(hex(sp.encodePayload(tahuView(p))));
    }
  });
});

describe('readMetrics reads what Tahu encodes (an NCMD)', () => {
  const theirValues: Record<TypeName, fc.Arbitrary<unknown>> = {
    Boolean: fc.boolean(),
    Int32: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: -(2 ** 31), max: -1 })),
    Int64: fc.maxSafeNat(),
    UInt64: fc.maxSafeNat(),
    Float: double, // written as the nearest float
    Double: double,
    String: ascii(100),
  };
  const type = fc.constantFrom(...(Object.keys(theirValues) as TypeName[]));
  const command = fc
    .record({ name: fc.option(metricName, { nil: undefined }), alias: fc.option(alias, { nil: undefined }), type })
    .filter((m) => m.name !== undefined || m.alias !== undefined)
    .chain((m) => fc.option(theirValues[m.type], { nil: null, freq: 6 }).map((value) => ({ ...m, value })));

  it('each metric in order: name, alias, datatype, the field its value came in and the value', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 8 }), fc.option(fc.maxSafeNat(), { nil: undefined }), fc.nat(), (metrics, timestamp, r) => {
        const bytes = sp.encodePayload({ timestamp, seq: timestamp && timestamp % 256, metrics });
        const want = metrics.map(readView);
        expect(read(bytes)).toEqual({ ok: true, got: want });
        // any prefix: refused, or the metrics it holds whole
        const { got } = read(bytes.subarray(0, r % (bytes.length + 1)));
        expect(got).toEqual(want.slice(0, got.length));
      }),
      { numRuns: 400 },
    );
  });

  it('stops when take returns false, and answers false', () => {
    const bytes = sp.encodePayload({ metrics: [1, 2, 3].map((alias) => ({ alias, type: 'Boolean', value: true })) });
    expect(read(bytes, 2)).toEqual({ ok: false, got: [1, 2].map((alias) => readView({ alias, type: 'Boolean', value: true })) });
    expect(read(bytes, 3).ok).toBe(false); // even on the last one
  });
});

describe('readMetrics on malformed bytes: false, never a throw', () => {
  it('every prefix of our payloads: true exactly at a field boundary, and only the whole metrics before the cut', () => {
    fc.assert(
      fc.property(ourPayload, (p) => {
        const { bytes, ends } = encode(p);
        const want = p.metrics.map(readView);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const { ok, got } = read(bytes.subarray(0, cut));
          expect(ok).toBe(cut === 0 || ends.includes(cut));
          expect(got).toEqual(want.slice(0, ends.slice(2).filter((e) => e <= cut).length));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes, and our payloads with one byte changed', () => {
    const changed = fc.tuple(ourPayload, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([p, i, v]) => {
      const b = encode(p).bytes;
      if (b.length) b[i % b.length] = v;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), changed), (b) => {
        expect(typeof read(b).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  const cases: [string, number[], boolean][] = [
    ['nothing (an empty payload)', [], true],
    ['a 10-byte varint (a negative Int64 takes as many)', [0x08, ...Array(9).fill(0xff), 0x01], true],
    ['an 11-byte varint', [0x08, ...Array(10).fill(0x80), 0x01], false],
    ['an 11-byte varint in a metric', [0x12, 0x0c, 0x10, ...Array(10).fill(0x80), 0x01], false],
    ['a metric running past the payload', [0x12, 0x05, 0x20, 0x0b, 0x70], false],
    ['a name running past its metric, into the payload', [0x12, 0x03, 0x0a, 0x05, 0x61, 0x18, 0x01, 0x18, 0x01], false],
    ['a double a byte short', [0x12, 0x0a, 0x20, 0x0a, 0x69, 0, 0, 0, 0, 0, 0, 0], false],
    ['a float a byte short', [0x12, 0x06, 0x20, 0x09, 0x65, 0, 0, 0], false],
    ['an empty group (wire types 3 and 4)', [0x0b, 0x0c], false],
    ['a group end (wire type 4)', [0x0c, 0x01], false],
    ['wire type 6', [0x0e], false],
    ['wire type 7', [0x0f, 0x18, 0x01], false],
    ['a group in a metric', [0x12, 0x02, 0x0b, 0x0c], false],
    ['wire type 7 in a metric', [0x12, 0x01, 0x0f], false],
    ['unknown fields (uuid, a metric\'s properties), skipped', [0x22, 0x01, 0x61, 0x12, 0x04, 0x20, 0x0b, 0x4a, 0x00], true],
  ];
  it.each(cases)('%s', (_, bytes, ok) => {
    expect(read(new Uint8Array(bytes)).ok).toBe(ok);
  });

  const metrics: [string, number[], object][] = [
    ['is_null false is no null: the value stands', [0x12, 0x06, 0x20, 0x0b, 0x70, 0x01, 0x38, 0x00], { field: 14, value: true }],
    ['a name or a value in another wire type is skipped', [0x12, 0x06, 0x08, 0x05, 0x20, 0x0b, 0x72, 0x00], { field: 0, value: null }],
  ];
  it.each(metrics)('%s', (_, bytes, m) => {
    expect(read(new Uint8Array(bytes))).toEqual({ ok: true, got: [{ name: null, alias: 0, type: 11, ...m }] });
  });
});

it('an NBIRTH-like example: our bytes, as Tahu decodes them', () => {
  const t = 1700000000000;
  const buf = new Uint8Array(256);
  let p = host.putHead(buf, t, 0);
  p = host.putMetric(buf, p, 'bdSeq', 0, t, TYPE.Int64, 0);
  p = host.putMetric(buf, p, 'Node Control/Rebirth', 0, t, TYPE.Boolean, false);
  p = host.putMetric(buf, p, 'climate/temperature', 1, t, TYPE.Double, 21.5);
  expect(hex(buf.subarray(0, p))).toBe(
    '0880d095ffbc31' + '1800' + // timestamp, seq 0
    '1212' + '0a056264536571' + '1880d095ffbc31' + '2004' + '5800' + // bdSeq: name, timestamp, Int64, long_value 0
    '1221' + '0a144e6f646520436f6e74726f6c2f52656269727468' + '1880d095ffbc31' + '200b' + '7000' + // Node Control/Rebirth
    '1229' + '0a13636c696d6174652f74656d7065726174757265' + '1001' + '1880d095ffbc31' + '200a' + '690000000000803540', // alias 1, 21.5
  );
  expect(plain(sp.decodePayload(buf.subarray(0, p)))).toStrictEqual({
    timestamp: t,
    seq: 0,
    metrics: [
      { name: 'bdSeq', timestamp: t, type: 'Int64', value: 0 },
      { name: 'Node Control/Rebirth', timestamp: t, type: 'Boolean', value: false },
      { name: 'climate/temperature', alias: 1, timestamp: t, type: 'Double', value: 21.5 },
    ],
  });
});
