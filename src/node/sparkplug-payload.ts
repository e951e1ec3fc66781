import { bytesToString } from '../codec/strings';
import { Cursor, Wire, nextField, putField, putVarint } from './protobuf';

// Sparkplug B payloads (Eclipse Sparkplug 3.0, sparkplug_b.proto): the Payload message and its Metric
// messages, only the fields and datatypes an edge node of ours sends and takes. Written into a fixed buffer,
// metric by metric; NCMD payloads read metric by metric into one reused record.

// The datatypes the node uses (Payload.DataType).
export const enum DataType {
  Int32 = 3,
  Int64 = 4,
  UInt64 = 8,
  Double = 10,
  Boolean = 11,
  String = 12,
}

// Payload fields 1 (timestamp) and 3 (seq), each left out when negative (an NDEATH has no seq
// [tck-id-payloads-ndeath-seq], and ours no timestamp: the will's would be that of its CONNECT). Metrics
// follow with putMetric.
export function putHead(buf: Uint8Array, timestamp: number, seq: number): number {
  const p = timestamp < 0 ? 0 : putField(buf, 0, Key.TIMESTAMP, timestamp);
  return seq < 0 ? p : putField(buf, p, Key.SEQ, seq);
}

// The keys (field * 8 + wire type) of the fields written (sparkplug_b.proto).
const enum Key {
  TIMESTAMP = 1 * 8 + Wire.VARINT, // Payload.timestamp, and Metric.name's number below
  METRIC = 2 * 8 + Wire.LEN, // Payload.metrics
  SEQ = 3 * 8 + Wire.VARINT, // Payload.seq
  NAME = 1 * 8 + Wire.LEN,
  ALIAS = 2 * 8 + Wire.VARINT,
  METRIC_TIMESTAMP = 3 * 8 + Wire.VARINT,
  DATATYPE = 4 * 8 + Wire.VARINT,
  IS_NULL = 7 * 8 + Wire.VARINT,
  INT = 10 * 8 + Wire.VARINT,
  LONG = 11 * 8 + Wire.VARINT,
  DOUBLE = 13 * 8 + Wire.FIXED64,
  BOOLEAN = 14 * 8 + Wire.VARINT,
  STRING = 15 * 8 + Wire.LEN,
}

// One Metric (Payload field 2): its name unless null (NDATA names a metric by alias only
// [tck-id-payloads-alias-data-cmd-requirement]), its alias unless 0, timestamp, datatype, and the value in
// the field its datatype takes, or is_null when the value is undefined
// [tck-id-operational-behavior-data-publish-nbirth-values]; no timestamp when it is negative.
export function putMetric(buf: Uint8Array, p: number, name: string | null, alias: number, timestamp: number, type: DataType, value: unknown): number {
  buf[p] = Key.METRIC;
  // the metric's length goes before it: two bytes are kept for it, and it is moved down one when one will do
  const at = p + 3;
  let e = at;
  if (name != null) e = putField(buf, e, Key.NAME, name);
  if (alias) e = putField(buf, e, Key.ALIAS, alias);
  if (timestamp >= 0) e = putField(buf, e, Key.METRIC_TIMESTAMP, timestamp);
  e = putField(buf, e, Key.DATATYPE, type);
  e = putField(
    buf,
    e,
    value === undefined ? Key.IS_NULL : type === DataType.Double ? Key.DOUBLE : type === DataType.Boolean ? Key.BOOLEAN : type === DataType.String ? Key.STRING : type === DataType.Int32 ? Key.INT : Key.LONG,
    // Int32 in a uint32 as its two's complement
    value === undefined ? 1 : type === DataType.Boolean ? (value ? 1 : 0) : type === DataType.Int32 ? (value as number) >>> 0 : (value as number | string),
  );
  const n = e - at;
  // never fits (nor one that would end exactly at the end of the buffer: it was laid out one byte further
  // on): the caller's check fails
  if (n >= 16384 || e > buf.length) return buf.length + 1;
  if (n < 128) {
    buf.set(buf.subarray(at, e), at - 1); // downwards, so an overlapping forward copy is safe
    e--;
  }
  putVarint(buf, p + 1, n);
  return e;
}

// ---- reading (NCMD)

// The metric being read: its name (null when absent), alias (0 when absent), datatype (0 when absent), and
// its value with the field it came in (0 for none, 7 for is_null, 10-15 for the value fields).
export interface MetricIn {
  name: string | null;
  alias: number;
  type: number;
  field: number;
  value: number | boolean | string | null;
}

// Calls take(m) for each metric of a Payload; false when the payload is malformed (then what was taken
// must not be acted on) or when take returns false.
export function readMetrics(b: Uint8Array, take: (m: MetricIn) => boolean): boolean {
  const c: Cursor = { _b: b, _p: 0, _end: b.length, bad: false, v: 0 };
  const m: MetricIn = { name: null, alias: 0, type: 0, field: 0, value: null };
  for (let k = nextField(c); k >= 0; k = nextField(c)) {
    if (k !== Key.METRIC) continue; // not a metric: skipped
    // the metric's own fields, in a cursor over its bytes
    const f: Cursor = { _b: b, _p: c.v, _end: c._p, bad: false, v: 0 };
    m.name = null;
    m.alias = m.type = m.field = 0;
    m.value = null;
    for (k = nextField(f); k >= 0; k = nextField(f)) {
      const field = k >> 3;
      // each field only in its own wire type; any other field (metadata, properties, bytes, ...) is skipped
      const text = field === 1 || field === 15;
      if ((k & 7) !== (text ? Wire.LEN : field === 12 ? Wire.FIXED32 : field === 13 ? Wire.FIXED64 : Wire.VARINT)) continue;
      const v = text ? bytesToString(b, f.v, f._p) : f.v;
      if (field === 1) m.name = v as string;
      else if (field === 2) m.alias = v as number;
      else if (field === 4) m.type = v as number;
      else if ((field === 7 && v) || (field >= 10 && field <= 15)) {
        m.field = field;
        m.value = field === 14 ? !!v : field === 7 ? null : v;
      }
    }
    if (f.bad || !take(m)) return false;
  }
  return !c.bad;
}
