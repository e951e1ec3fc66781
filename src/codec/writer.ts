import { ConnectFlag, Err, MAX_REMAINING, Type } from './constants';
import { topicFilterError, topicNameError, utf8Error } from './strings';

// Encoders write one packet into a caller-owned buffer and return its length, or a negated Err code.
// Every check runs before the first byte is written, so a refused packet leaves the buffer as it was
// (one exception: a payload or password string with a character above 0xFF is found while copying).

// Binary fields (payloads, password): a byte string or a Uint8Array.
export type Bytes = string | Uint8Array;

export interface Will {
  topic: string;
  payload: Bytes;
  qos: number;
  retain?: boolean;
}

export interface ConnectFields {
  clientId: string;
  keepalive: number;
  clean: boolean;
  username?: string;
  password?: Bytes;
  will?: Will | null;
}

export function isQos(q: number): boolean {
  return q === 0 || q === 1 || q === 2;
}

function isId(id: number): boolean {
  return id > 0 && id <= 65535 && id % 1 === 0;
}

// Writes the fixed header of a packet with `remaining` bytes after it; returns the offset of the variable
// header, or -BUFFER_TOO_SHORT when the whole packet would not fit.
function putHeader(buf: Uint8Array, first: number, remaining: number): number {
  const size = remaining < 128 ? 2 : remaining < 16384 ? 3 : remaining < 2097152 ? 4 : 5;
  if (remaining > MAX_REMAINING || size + remaining > buf.length) return -Err.BUFFER_TOO_SHORT;
  buf[0] = first;
  let p = 1;
  do {
    let digit = remaining & 127;
    remaining >>>= 7;
    if (remaining) digit |= 128;
    buf[p++] = digit;
  } while (remaining);
  return p;
}

// Copies raw bytes; returns the new offset, or -1 when a string holds a character above 0xFF.
export function putBytes(buf: Uint8Array, p: number, b: Bytes): number {
  const n = b.length;
  // Espruino's set() takes a string's bytes (see bytesToString in strings.ts); V8's would read them as NaN
  if (typeof b !== 'string' || typeof BYTE_STRINGS !== 'undefined') {
    buf.set(b as Uint8Array, p);
    return p + n;
  }
  let seen = 0;
  for (let i = 0; i < n; i++) seen |= buf[p++] = b.charCodeAt(i);
  return seen > 255 ? -1 : p;
}

// A length-prefixed field (1.5.3); strings were validated by the caller, so this cannot fail for them.
function putField(buf: Uint8Array, p: number, b: Bytes): number {
  buf[p] = b.length >> 8;
  buf[p + 1] = b.length & 255;
  return putBytes(buf, p + 2, b);
}

export function encodeConnect(buf: Uint8Array, c: ConnectFields): number {
  const will = c.will;
  const user = c.username;
  const pass = c.password;
  let err = utf8Error(c.clientId);
  if (err) return -err;
  if (!c.clean && !c.clientId.length) return -Err.EMPTY_CLIENT_ID; // [MQTT-3.1.3-7]
  if (!(c.keepalive >= 0 && c.keepalive <= 65535 && c.keepalive % 1 === 0)) return -Err.BAD_KEEPALIVE;
  // protocol name, level, flags, keep-alive, client id [MQTT-3.1.3-3]
  let remaining = 12 + c.clientId.length;
  let flags = c.clean ? ConnectFlag.CLEAN : 0;
  if (will) {
    if ((err = topicNameError(will.topic))) return -err;
    if (!isQos(will.qos)) return -Err.BAD_QOS; // [MQTT-3.1.2-14]
    if (will.payload.length > 65535) return -Err.STRING_TOO_LONG;
    flags |= ConnectFlag.WILL | (will.qos << 3) | (will.retain ? ConnectFlag.WILL_RETAIN : 0);
    remaining += 4 + will.topic.length + will.payload.length;
  }
  if (user != null) {
    if ((err = utf8Error(user))) return -err; // [MQTT-3.1.3-11]
    flags |= ConnectFlag.USERNAME;
    remaining += 2 + user.length;
  }
  if (pass != null) {
    if (user == null) return -Err.PASSWORD_WITHOUT_USERNAME; // [MQTT-3.1.2-22]
    if (pass.length > 65535) return -Err.STRING_TOO_LONG;
    flags |= ConnectFlag.PASSWORD;
    remaining += 2 + pass.length;
  }
  let p = putHeader(buf, Type.CONNECT << 4, remaining);
  if (p < 0) return p;
  p = putField(buf, p, 'MQTT');
  buf[p++] = 4; // protocol level 3.1.1
  buf[p++] = flags;
  buf[p++] = c.keepalive >> 8;
  buf[p++] = c.keepalive & 255;
  // fields in the order of [MQTT-3.1.3-1]
  p = putField(buf, p, c.clientId);
  if (will) {
    p = putField(buf, p, will.topic);
    p = putField(buf, p, will.payload);
    if (p < 0) return -Err.NOT_BYTES;
  }
  if (user != null) p = putField(buf, p, user);
  if (pass != null) p = putField(buf, p, pass);
  return p < 0 ? -Err.NOT_BYTES : p;
}

export function encodePublish(
  buf: Uint8Array,
  topic: string,
  payload: Bytes,
  qos: number,
  retain: boolean,
  dup: boolean,
  id: number,
): number {
  const err = topicNameError(topic);
  if (err) return -err;
  if (!isQos(qos)) return -Err.BAD_QOS;
  if (qos && !isId(id)) return -Err.BAD_ID; // [MQTT-2.3.1-1]
  // DUP only on a resent QoS 1/2 message [MQTT-3.3.1-2]; no packet id at QoS 0 [MQTT-2.3.1-5]
  const first = (Type.PUBLISH << 4) | (qos && dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let p = putHeader(buf, first, 2 + topic.length + (qos ? 2 : 0) + payload.length);
  if (p < 0) return p;
  p = putField(buf, p, topic);
  if (qos) {
    buf[p++] = id >> 8;
    buf[p++] = id & 255;
  }
  p = putBytes(buf, p, payload);
  return p < 0 ? -Err.NOT_BYTES : p;
}

// PUBACK, PUBREC, PUBREL (flags 0010 [MQTT-3.6.1-1]) and PUBCOMP: the fixed header and a packet id.
export function encodeAck(buf: Uint8Array, type: Type, id: number): number {
  if (!isId(id)) return -Err.BAD_ID;
  const p = putHeader(buf, (type << 4) | (type === Type.PUBREL ? 2 : 0), 2);
  if (p < 0) return p;
  buf[2] = id >> 8;
  buf[3] = id & 255;
  return 4;
}

// SUBSCRIBE (flags 0010 [MQTT-3.8.1-1]) with one requested QoS per filter, or UNSUBSCRIBE (flags 0010
// [MQTT-3.10.1-1]) when qos is null. At least one filter [MQTT-3.8.3-3] [MQTT-3.10.3-2].
export function encodeSubscribe(buf: Uint8Array, id: number, filters: string[], qos: number[] | null): number {
  const n = filters.length;
  if (!isId(id)) return -Err.BAD_ID;
  if (!n) return -Err.NO_FILTERS;
  let remaining = 2;
  for (let i = 0; i < n; i++) {
    const err = topicFilterError(filters[i]);
    if (err) return -err;
    if (qos && !isQos(qos[i])) return -Err.BAD_QOS; // [MQTT-3.8.3-4]
    remaining += 2 + filters[i].length + (qos ? 1 : 0);
  }
  let p = putHeader(buf, ((qos ? Type.SUBSCRIBE : Type.UNSUBSCRIBE) << 4) | 2, remaining);
  if (p < 0) return p;
  buf[p++] = id >> 8;
  buf[p++] = id & 255;
  for (let i = 0; i < n; i++) {
    p = putField(buf, p, filters[i]);
    if (qos) buf[p++] = qos[i];
  }
  return p;
}

// PINGREQ and DISCONNECT: a fixed header alone.
export function encodeEmpty(buf: Uint8Array, type: Type): number {
  return putHeader(buf, type << 4, 0);
}
