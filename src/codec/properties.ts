import { Err } from './constants';
import { Bytes, bytesToString, fromBytes, putBytes, toBytes, topicError, utf8Error } from './strings';

// MQTT 5.0 properties (5.0 section 2.2.2): the table, their length, writing and reading them. Only the v5
// builds carry this file (every caller is behind MQTT5).
//
// A packet's properties are an object named as MQTT.js and mqtt-packet name them: numbers, booleans for the
// 0/1 bytes, text for strings (UTF-8 on the wire), bytes (a byte string or Uint8Array) for binary data, and
// `userProperties` as { name: value } or { name: [values] } when a name repeats.
export interface Properties {
  [name: string]: unknown;
}

// Where each property may stand: bit t for packet type t, bit 0 for the will's properties.
export const enum In {
  WILL = 1,
  CONNECT = 2,
  CONNACK = 4,
  PUBLISH = 8,
}

// One record per property, '|'-separated: identifier, name, type, then the packets that allow it (a bit mask
// in hex). Types: y a byte that is 0 or 1 (a boolean), q a byte that is 0 or 1 (a number: Maximum QoS), 2 and 4
// big-endian integers, v a variable byte integer, s UTF-8 text, b binary data, p a pair of UTF-8 strings.
// Found with indexOf, one record split: on the board the whole table as an array would be some 150 blocks
// at once (it ran an ESP8266 out of memory), and a local string, not a top-level one, is not RAM for the
// board's whole life. `key` is '|' + identifier + ' ' or ' ' + name + ' '. Returns the record or null.
function entry(key: string): string[] | null {
  const t =
    '|1 payloadFormatIndicator y 9|2 messageExpiryInterval 4 9|3 contentType s 9|8 responseTopic s 9|9 correlationData b 9' +
    '|11 subscriptionIdentifier v 108|17 sessionExpiryInterval 4 4006|18 assignedClientIdentifier s 4|19 serverKeepAlive 2 4' +
    '|21 authenticationMethod s 8006|22 authenticationData b 8006|23 requestProblemInformation y 2|24 willDelayInterval 4 1' +
    '|25 requestResponseInformation y 2|26 responseInformation s 4|28 serverReference s 4004|31 reasonString s caf4' +
    '|33 receiveMaximum 2 6|34 topicAliasMaximum 2 6|35 topicAlias 2 8|36 maximumQoS q 4|37 retainAvailable y 4' +
    '|38 userProperties p cfff|39 maximumPacketSize 4 6|40 wildcardSubscriptionAvailable y 4' +
    '|41 subscriptionIdentifiersAvailable y 4|42 sharedSubscriptionAvailable y 4|';
  const at = t.indexOf(key);
  const r = at < 0 ? null : t.substring(t.lastIndexOf('|', at) + 1, t.indexOf('|', at + 1)).split(' ');
  // a key that is not a whole name or identifier (an application's name with spaces in it) finds nothing
  return r && (' ' + r[1] + ' ' === key || '|' + r[0] + ' ' === key) ? r : null;
}

// Bytes of a variable byte integer (1.5.5 of 5.0).
export function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

export function putVarint(buf: Uint8Array, p: number, n: number): number {
  do {
    let digit = n & 127;
    n >>>= 7;
    if (n) digit |= 128;
    buf[p++] = digit;
  } while (n);
  return p;
}

// Whether value v is one property of type t may take; `one` says a value of it is nonzero where zero is a
// protocol error (Receive Maximum, Maximum Packet Size, Topic Alias, Subscription Identifier: 5.0
// 3.1.2.11.3, 3.1.2.11.4, 3.3.2.3.4, 3.8.2.1.2).
function valueOk(t: string, v: unknown, name: string): boolean {
  const nonzero = name === 'receiveMaximum' || name === 'maximumPacketSize' || name === 'topicAlias' || name === 'subscriptionIdentifier';
  if (t === 'y') return v === true || v === false || v === 0 || v === 1;
  // binary data: bytes (a Uint8Array, or a string of characters 0-255); text: anything, as its string form
  if (t === 'b') return v instanceof Uint8Array || (typeof v === 'string' && isBytes(v));
  if (t === 's' || t === 'p') return true;
  const max = t === 'q' ? 1 : t === '2' ? 65535 : t === 'v' ? 268435455 : 4294967295;
  return typeof v === 'number' && v % 1 === 0 && v >= (nonzero ? 1 : 0) && v <= max;
}

// Whether every character of s is a byte (always so where strings are 8-bit: the Espruino bundles).
function isBytes(s: string): boolean {
  if (typeof BYTE_STRINGS !== 'undefined') return true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}

// The bytes a value of type t takes after its identifier, or a negated error; strings and pairs as they
// come from the application (text).
function valueSize(t: string, v: unknown, name: string): number {
  if (!valueOk(t, v, name)) return -Err.BAD_PROPERTY;
  if (t === 'y' || t === 'q') return 1;
  if (t === '2' || t === '4') return +t;
  if (t === 'v') return varintSize(v as number);
  if (t === 'b') return (v as Bytes).length > 65535 ? -Err.STRING_TOO_LONG : 2 + (v as Bytes).length;
  let s: string;
  try {
    s = toBytes(String(v));
  } catch (e) {
    return -Err.BAD_UTF8; // a lone surrogate in host text
  }
  // a Response Topic is a topic name (5.0 3.3.2.3.5)
  const err = name === 'responseTopic' ? topicError(s) : utf8Error(s);
  return err ? -err : 2 + s.length;
}

// Calls fn(name, type, identifier, value) for each value to be written: arrays give one each (a user
// property's repeated name, Subscription Identifiers); returns 0, or the first error fn returns.
function eachValue(props: Properties, inPacket: number, fn: (name: string, t: string, id: number, v: unknown, k?: string) => number): number {
  for (const name in props) {
    const value = props[name];
    if (value == null) continue;
    const e = entry(' ' + name + ' ');
    if (!e || !(parseInt(e[3], 16) & inPacket)) return Err.BAD_PROPERTY;
    const t = e[2];
    const id = +e[0];
    // repeats: every user property, and Subscription Identifiers in a PUBLISH (5.0 3.3.2.3.8)
    const list = t === 'p' || (id === 11 && inPacket === In.PUBLISH) ? value : [value];
    // one set of loop names for both loops (declared once, before them: see the note in reader.ts's finish)
    let j = 0;
    let err = 0;
    if (t === 'p') {
      for (const k in list as Properties) {
        const vs = (list as Properties)[k];
        const each = vs instanceof Array ? vs : [vs];
        for (j = 0; j < each.length; j++) if ((err = fn(name, t, id, each[j], k))) return err;
      }
      continue;
    }
    for (j = 0; j < (list instanceof Array ? list.length : 1); j++) {
      if ((err = fn(name, t, id, list instanceof Array ? list[j] : list, undefined))) return err;
    }
  }
  return 0;
}

// The bytes the properties take in a packet of type `inPacket` (an In bit), their length prefix included,
// or a negated error code. Nothing is written.
export function propsSize(props: Properties | undefined, inPacket: number): number {
  let n = 0;
  const err = props
    ? eachValue(props, inPacket, function (name, t, _id, v, k) {
        let size = valueSize(t, v, name);
        if (size >= 0 && t === 'p') {
          const key = valueSize('s', k, '');
          size = key < 0 ? key : size + key;
        }
        if (size < 0) return -size;
        n += 1 + size;
        return 0;
      })
    : 0;
  return err ? -err : varintSize(n) + n;
}

// Writes properties that propsSize accepted, `size` being what it returned; returns the new offset.
export function putProps(buf: Uint8Array, p: number, props: Properties | undefined, size: number): number {
  let n = size - 1;
  while (varintSize(n) !== size - n) n--;
  p = putVarint(buf, p, n);
  if (!props) return p;
  eachValue(props, 0xffff, function (_name, t, id, v, k) {
    buf[p++] = id;
    if (t === 'p') p = putString(buf, p, toBytes(String(k)));
    if (t === 'y' || t === 'q') buf[p++] = +(v as number);
    else if (t === 'v') p = putVarint(buf, p, v as number);
    else if (t === '2' || t === '4') {
      for (let shift = 8 * +t - 8; shift >= 0; shift -= 8) buf[p++] = Math.floor((v as number) / Math.pow(2, shift)) & 255;
    } else p = putString(buf, p, t === 'b' ? (v as Bytes) : toBytes(String(v)));
    return 0;
  });
  return p;
}

function putString(buf: Uint8Array, p: number, b: Bytes): number {
  buf[p] = b.length >> 8;
  buf[p + 1] = b.length & 255;
  return putBytes(buf, p + 2, b);
}

// Reads a variable byte integer at buf[at..end): its value and the offset after it are left in out[0],
// out[1]; returns 0, or Err.BAD_VARINT (a fifth byte, or one past end).
export function readVarint(buf: Uint8Array, at: number, end: number, out: number[]): number {
  let n = 0;
  for (let k = 0; k < 4; k++) {
    if (at >= end) return Err.BAD_VARINT;
    const b = buf[at++];
    n += (b & 127) * Math.pow(128, k);
    if (!(b & 128)) {
      out[0] = n;
      out[1] = at;
      return 0;
    }
  }
  return Err.BAD_VARINT;
}

// Reads the properties at buf[at..end), length prefix first, of a packet of type `inPacket` (an In bit).
// Returns [properties or undefined when there are none, the offset after them], or the error code: a
// property its packet does not allow, a value out of range, a duplicate of one that may appear once, a
// length that runs past the packet, ill-formed UTF-8. Strings are text, binary data as bytesOf makes it.
export function readProps(buf: Uint8Array, at: number, end: number, inPacket: number): [Properties | undefined, number] | number {
  const out = [0, 0];
  let err = readVarint(buf, at, end, out);
  if (err) return err;
  const stop = out[1] + out[0];
  if (stop > end) return Err.BAD_LENGTH;
  let p = out[1];
  if (p === stop) return [undefined, p];
  const props: Properties = {};
  while (p < stop) {
    const id = buf[p++];
    const e = entry('|' + id + ' ');
    if (!e || !(parseInt(e[3], 16) & inPacket)) return Err.BAD_PROPERTY;
    const name = e[1];
    const t = e[2];
    let v: unknown;
    let key = '';
    if (t === 'y' || t === 'q') {
      if (p >= stop) return Err.BAD_LENGTH;
      v = buf[p++];
      if ((v as number) > 1) return Err.BAD_PROPERTY;
      if (t === 'y') v = v === 1;
    } else if (t === '2' || t === '4') {
      if (p + +t > stop) return Err.BAD_LENGTH;
      v = 0;
      for (let k = 0; k < +t; k++) v = (v as number) * 256 + buf[p++];
    } else if (t === 'v') {
      if ((err = readVarint(buf, p, stop, out))) return err;
      v = out[0];
      p = out[1];
    } else {
      for (let pass = t === 'p' ? 2 : 1; pass > 0; pass--) {
        if (p + 2 > stop) return Err.BAD_LENGTH;
        const n = (buf[p] << 8) | buf[p + 1];
        if (p + 2 + n > stop) return Err.BAD_LENGTH;
        if (t === 'b') {
          v = bytesOf(buf, p + 2, p + 2 + n);
          if (v == null) return Err.NO_MEMORY; // the board had no room for the copy
        } else {
          const s = bytesToString(buf, p + 2, p + 2 + n);
          if (s == null) return Err.NO_MEMORY;
          if ((err = utf8Error(s))) return err;
          if (pass === 2) key = fromBytes(s);
          else v = fromBytes(s);
        }
        p += 2 + n;
      }
    }
    if (!valueOk(t, v, name)) return Err.BAD_PROPERTY;
    // own names only: every object inherits toString (and on Espruino on, emit, ...), and a user property
    // named __proto__ is left out (on Espruino setting it replaces the object's prototype: a crash)
    const had = t === 'p' ? ((props[name] || (props[name] = {})) as Properties) : props;
    const k = t === 'p' ? key : name;
    if (k === '__proto__') continue;
    if (!Object.prototype.hasOwnProperty.call(had, k)) had[k] = v;
    else if (t === 'p' || (id === 11 && inPacket === In.PUBLISH)) {
      const was = had[k];
      if (was instanceof Array) was.push(v);
      else had[k] = [was, v];
    } else return Err.DUPLICATE_PROPERTY; // 5.0 2.2.2.2: only these may appear more than once
  }
  return [props, p];
}

// Binary data from the wire as the application gets payloads: a byte string on Espruino, a Buffer on Node,
// a Uint8Array copy elsewhere (src/client/inbound.ts does the same for payloads).
export function bytesOf(buf: Uint8Array, start: number, end: number): Bytes {
  const body = buf.subarray(start, end);
  return typeof BYTE_STRINGS !== 'undefined' || typeof E !== 'undefined' ? E.toString(body) : typeof Buffer !== 'undefined' ? Buffer.from(body) : new Uint8Array(body);
}
