import { Bytes, putBytes } from '../codec/writer';

// Protocol Buffers wire format, only what a Sparkplug B edge node needs: varints, 64-bit doubles and
// length-delimited fields, written into a caller-owned buffer and read from a received payload.
// https://protobuf.dev/programming-guides/encoding/ . Writers return the offset after what they wrote;
// a typed array ignores writes past its end, so a caller checks the final offset against the length.

export const enum Wire {
  VARINT = 0,
  FIXED64 = 1,
  LEN = 2,
  FIXED32 = 5,
}

// A double's bytes: one 8-byte scratch, both views made once (little-endian on the ESP32, the ESP8266 and
// every host, as protobuf's fixed64 is).
let f64: Float64Array;
let f64Bytes: Uint8Array;
let f32: Float32Array;

function scratch(): void {
  if (f64) return;
  f64 = new Float64Array(1);
  f64Bytes = new Uint8Array(f64.buffer);
  f32 = new Float32Array(f64.buffer, 0, 1);
}

// A non-negative whole number up to 2^53, by arithmetic: the interpreter's bit operators stop at 32 bits
// (a timestamp in milliseconds has 41).
export function putVarint(buf: Uint8Array, p: number, v: number): number {
  while (v >= 128) {
    buf[p++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

export function putKey(buf: Uint8Array, p: number, field: number, wire: Wire): number {
  return putVarint(buf, p, field * 8 + wire);
}

export function putUint(buf: Uint8Array, p: number, field: number, v: number): number {
  return putVarint(buf, putKey(buf, p, field, Wire.VARINT), v);
}

// A string field from a byte string (UTF-8 already; on the board every string is one).
export function putText(buf: Uint8Array, p: number, field: number, b: Bytes): number {
  p = putVarint(buf, putKey(buf, p, field, Wire.LEN), b.length);
  return putBytes(buf, p, b);
}

export function putDouble(buf: Uint8Array, p: number, field: number, v: number): number {
  scratch();
  f64[0] = v;
  p = putKey(buf, p, field, Wire.FIXED64);
  buf.set(f64Bytes, p);
  return p + 8;
}

// ---- reading: a cursor over one message, its fields one at a time. Every fault is the cursor's `bad`
// set (a truncated field, a varint over 10 bytes, a group or unknown wire type), and nothing read after it
// is trusted.

export interface Cursor {
  _b: Uint8Array;
  _p: number;
  _end: number;
  bad: boolean;
}

export function cursor(b: Uint8Array, start: number, end: number): Cursor {
  return { _b: b, _p: start, _end: end, bad: false };
}

// The value of a varint, exact up to 2^53 (a larger one, such as a negative Int64, is approximate).
export function getVarint(c: Cursor): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c._p >= c._end) break;
    const d = c._b[c._p++];
    v += (d & 127) * scale;
    scale *= 128;
    if (d < 128) return v;
  }
  c.bad = true;
  return 0;
}

// The next field's key as field * 8 + wire type, or -1 at the end of the message (or after a fault).
export function nextKey(c: Cursor): number {
  if (c.bad || c._p >= c._end) return -1;
  const k = getVarint(c);
  return c.bad ? -1 : k;
}

// A length-delimited field's bounds: returns its start and moves past it.
export function getLen(c: Cursor): number {
  const n = getVarint(c);
  const at = c._p;
  if (at + n > c._end) c.bad = true;
  c._p = at + n;
  return at;
}

export function getDouble(c: Cursor, wire: Wire): number {
  scratch();
  const n = wire === Wire.FIXED64 ? 8 : 4;
  if (c._p + n > c._end) {
    c.bad = true;
    return 0;
  }
  f64Bytes.set(c._b.subarray(c._p, c._p + n));
  c._p += n;
  return n === 8 ? f64[0] : f32[0];
}

// Skips a field of the given wire type; groups (3, 4) and unknown types are faults.
export function skip(c: Cursor, wire: number): void {
  if (wire === Wire.VARINT) getVarint(c);
  else if (wire === Wire.LEN) getLen(c);
  else if (wire === Wire.FIXED64 || wire === Wire.FIXED32) getDouble(c, wire);
  else c.bad = true;
}
