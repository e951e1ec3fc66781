import { bytesToString } from '../codec/strings';
import { Cursor, Wire, cursor, getDouble, getLen, getVarint, nextKey, putDouble, putKey, putText, putUint, putVarint, skip } from './protobuf';

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
  const p = timestamp < 0 ? 0 : putUint(buf, 0, 1, timestamp);
  return seq < 0 ? p : putUint(buf, p, 3, seq);
}

// One Metric (Payload field 2): its name unless null (NDATA names a metric by alias only
// [tck-id-payloads-alias-data-cmd-requirement]), its alias unless 0, timestamp, datatype, and the value in
// the field its datatype takes, or is_null when the value is undefined; no timestamp when it is negative
// [tck-id-operational-behavior-data-publish-nbirth-values].
export function putMetric(buf: Uint8Array, p: number, name: string | null, alias: number, timestamp: number, type: DataType, value: unknown): number {
  p = putKey(buf, p, 2, Wire.LEN);
  // the metric's length goes before it: two bytes are kept for it, and it is moved down one when one will do
  const at = p + 2;
  let e = at;
  if (name != null) e = putText(buf, e, 1, name);
  if (alias) e = putUint(buf, e, 2, alias);
  if (timestamp >= 0) e = putUint(buf, e, 3, timestamp);
  e = putUint(buf, e, 4, type);
  if (value === undefined) e = putUint(buf, e, 7, 1);
  else if (type === DataType.Double) e = putDouble(buf, e, 13, value as number);
  else if (type === DataType.Boolean) e = putUint(buf, e, 14, value ? 1 : 0);
  else if (type === DataType.String) e = putText(buf, e, 15, value as string);
  else if (type === DataType.Int32) e = putUint(buf, e, 10, (value as number) >>> 0); // two's complement in a uint32
  else e = putUint(buf, e, 11, value as number);
  const n = e - at;
  if (n >= 16384 || e > buf.length) return buf.length + 1; // never fits: the caller's check fails
  if (n < 128) {
    buf.set(buf.subarray(at, e), at - 1); // downwards, so an overlapping forward copy is safe
    e--;
  }
  putVarint(buf, p, n);
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
  const c = cursor(b, 0, b.length);
  const m: MetricIn = { name: null, alias: 0, type: 0, field: 0, value: null };
  for (let k = nextKey(c); k >= 0; k = nextKey(c)) {
    if (k !== 2 * 8 + Wire.LEN) {
      skip(c, k & 7);
      continue;
    }
    const start = getLen(c);
    if (c.bad || !readMetric(cursor(b, start, c._p), m) || !take(m)) return false;
  }
  return !c.bad;
}

function readMetric(c: Cursor, m: MetricIn): boolean {
  m.name = null;
  m.alias = m.type = m.field = 0;
  m.value = null;
  for (let k = nextKey(c); k >= 0; k = nextKey(c)) {
    const field = Math.floor(k / 8);
    const wire = k & 7;
    let v: number | boolean | string | null = null;
    if ((field === 1 || field === 15) && wire === Wire.LEN) {
      const at = getLen(c);
      if (!c.bad) v = bytesToString(c._b, at, c._p);
    } else if (field >= 10 && field <= 14 && wire === (field === 12 ? Wire.FIXED32 : field === 13 ? Wire.FIXED64 : Wire.VARINT)) {
      v = field >= 12 && field <= 13 ? getDouble(c, wire) : getVarint(c);
    } else if ((field === 2 || field === 4 || field === 7) && wire === Wire.VARINT) {
      v = getVarint(c);
    } else {
      skip(c, wire);
      continue;
    }
    if (field === 1) m.name = v as string;
    else if (field === 2) m.alias = v as number;
    else if (field === 4) m.type = v as number;
    else if (field !== 7 || v) {
      m.field = field;
      m.value = field === 14 ? !!v : field === 7 ? null : v;
    }
  }
  return !c.bad;
}
