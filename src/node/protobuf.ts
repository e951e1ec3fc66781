import { Bytes, putBytes } from '../codec/strings';

// Protocol Buffers wire format, only what a Sparkplug B edge node needs: varints, doubles and
// length-delimited fields, written into a caller-owned buffer and read from a received payload
// (https://protobuf.dev/programming-guides/encoding/). Writers return the offset after what they wrote;
// a typed array ignores writes past its end, so a caller checks the final offset against the length.
// Few functions, on purpose: on the board each costs RAM whatever its length.

export const enum Wire {
  VARINT = 0,
  FIXED64 = 1,
  LEN = 2,
  FIXED32 = 5,
}

// A double's bytes: one 8-byte scratch and its view (little-endian on the ESP32, the ESP8266 and every
// host, as protobuf's fixed64 is).
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

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

// One field (numbers below 16 here: every key is one byte), by its key (field * 8 + wire type): a varint,
// a double (fixed64), or a string (length-delimited, from a byte string: UTF-8 already, as every string on
// the board is). One function for the three: on the board each costs RAM whatever its length.
export function putField(buf: Uint8Array, p: number, key: number, v: number | Bytes): number {
  buf[p++] = key;
  const wire = key & 7;
  if (wire === Wire.VARINT) return putVarint(buf, p, v as number);
  if (wire === Wire.LEN) return putBytes(buf, putVarint(buf, p, (v as Bytes).length), v as Bytes);
  f64[0] = v as number;
  if (p + 8 <= buf.length) buf.set(f64Bytes, p); // V8's set() throws past the end
  return p + 8;
}

// ---- reading: a cursor over one message, a field at a time

export interface Cursor {
  _b: Uint8Array;
  _p: number;
  _end: number;
  bad: boolean; // a truncated field, a varint over 10 bytes, a group or unknown wire type: nothing after it is trusted
  v: number; // the last field's value: a varint or a float, or where a length-delimited one starts (it ends at _p)
}

function getVarint(c: Cursor): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 10 && c._p < c._end; i++) {
    const d = c._b[c._p++];
    v += (d & 127) * scale; // exact up to 2^53: larger ones (a negative Int64) are approximate
    scale *= 128;
    if (d < 128) return v;
  }
  c.bad = true;
  return 0;
}

// Reads the next field: returns its key (field * 8 + wire type) with its value in c.v, or -1 at the end
// of the message or on a fault.
export function nextField(c: Cursor): number {
  if (c.bad || c._p >= c._end) return -1;
  const k = getVarint(c);
  const wire = k & 7;
  // one variable for both branches, declared before them: terser would merge two into a `var` inside the
  // first, which the interpreter (no hoisting) has not declared when the second runs
  let n = 0;
  if (wire === Wire.VARINT) c.v = getVarint(c);
  else if (wire === Wire.LEN) {
    n = getVarint(c);
    c.v = c._p;
    c._p += n;
    if (c._p > c._end) c.bad = true;
  } else if (wire === Wire.FIXED64 || wire === Wire.FIXED32) {
    n = wire === Wire.FIXED64 ? 8 : 4;
    if (c._p + n > c._end) c.bad = true;
    else {
      f64Bytes.set(c._b.subarray(c._p, c._p + n));
      // a float (only a command carries one) through a view made for it, not one kept for the board's life
      c.v = n === 8 ? f64[0] : new Float32Array(f64.buffer, 0, 1)[0];
    }
    c._p += n;
  } else c.bad = true; // a group (3, 4) or no wire type at all
  return c.bad ? -1 : k;
}
