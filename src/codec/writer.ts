import { ConnectFlag, Err, MAX_REMAINING, Type } from './constants';
import { In, Properties, propsSize, putProps } from './properties';
import { Bytes, putBytes, topicError, utf8Error, validTopic } from './strings';

// Encoders write one packet into a caller-owned buffer and return its length, or a negated Err code.
// Every check runs before the first byte is written, so a refused packet leaves the buffer as it was
// (one exception: a payload or password string with a character above 0xFF is found while copying).
// MQTT 5.0 (the v5 builds only: every branch is behind MQTT5): CONNECT with version 5, and the trailing
// reason code and properties parameters, lay out the 5.0 forms of the same packets.

export type { Bytes };

export interface Will {
  topic: string;
  payload: Bytes;
  qos: number;
  retain?: boolean;
  properties?: Properties; // 5.0: Will Delay Interval, Message Expiry Interval, Content Type, ...
}

export interface ConnectFields {
  clientId: string;
  keepalive: number;
  clean: boolean;
  username?: string;
  password?: Bytes;
  will?: Will | null;
  version?: number; // 5 for MQTT 5.0, otherwise 3.1.1
  properties?: Properties; // 5.0
}

// The client holds no buffer as long as its largest packet (on an ESP8266 one of 448 bytes held 50 blocks for
// good): it encodes a packet into `scratch`, which holds the fixed-size ones, and a longer one again into a
// buffer of its own length, made for it alone and let go once written (the socket copies what it is given).
// When a buffer is too short, putHeader says how long the packet is: `tooLong`, the whole packet's length.
// The board keeps no scratch (with the default options left out of the client's fields, 15 blocks fewer on
// the 12-byte ESP8266 build, 12 of them in the module, measured): it writes its fixed-size packets as byte
// strings, and each of the cold sites that measure a packet makes one there, `scratch || new Uint8Array(SCRATCH)`.
export const SCRATCH = 8;
export const scratch: Uint8Array = typeof BYTE_STRINGS !== 'undefined' ? (null as unknown as Uint8Array) : new Uint8Array(SCRATCH);
export let tooLong = 0;

// An encoder's result for a packet it was given the scratch for: the packet's length also when only the
// scratch was too short and the packet is at most max bytes (then it is not in the scratch: the caller
// encodes it again into a buffer of that length); else what the encoder returned.
export function measured(n: number, max: number): number {
  return n === -Err.BUFFER_TOO_SHORT && tooLong <= max ? tooLong : n;
}

function isId(id: number): boolean {
  return id > 0 && id <= 65535 && id % 1 === 0;
}

// Writes the fixed header of a packet with `remaining` bytes after it; returns the offset of the variable
// header, or -BUFFER_TOO_SHORT when the whole packet would not fit. (The 3.1.1 client writes PINGREQ and
// DISCONNECT with it, remaining 0: encodeEmpty would be one more function on the board.)
export function putHeader(buf: Uint8Array, first: number, remaining: number): number {
  // the usual packet, with a one-byte length, in a few steps (each costs about a microsecond on the board)
  if (remaining < 128) {
    if (remaining + 2 > buf.length) {
      tooLong = remaining + 2;
      return -Err.BUFFER_TOO_SHORT;
    }
    buf[0] = first;
    buf[1] = remaining;
    return 2;
  }
  const size = remaining < 16384 ? 3 : remaining < 2097152 ? 4 : 5;
  if (remaining > MAX_REMAINING || size + remaining > buf.length) {
    tooLong = size + remaining; // (past MAX_REMAINING, longer than any buffer may be)
    return -Err.BUFFER_TOO_SHORT;
  }
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

// A length-prefixed field (1.5.3); strings were validated by the caller, so this cannot fail for them.
function putPrefixed(buf: Uint8Array, p: number, b: Bytes): number {
  buf[p] = b.length >> 8;
  buf[p + 1] = b.length & 255;
  return putBytes(buf, p + 2, b);
}

export function encodeConnect(buf: Uint8Array, c: ConnectFields): number {
  const will = c.will;
  const user = c.username;
  const pass = c.password;
  // 5.0: an empty client id asks the server to assign one, whatever Clean Start says (3.1.3.1 of 5.0)
  const v5 = MQTT5 && c.version === 5;
  let props = 0;
  let willProps = 0;
  let err = utf8Error(c.clientId);
  if (err) return -err;
  if (!c.clean && !c.clientId.length && !v5) return -Err.EMPTY_CLIENT_ID; // [MQTT-3.1.3-7]
  if (!(c.keepalive >= 0 && c.keepalive <= 65535 && c.keepalive % 1 === 0)) return -Err.BAD_KEEPALIVE;
  // protocol name, level, flags, keep-alive, client id [MQTT-3.1.3-3]
  let remaining = 12 + c.clientId.length;
  let flags = c.clean ? ConnectFlag.CLEAN : 0;
  if (MQTT5 && v5) {
    if ((props = propsSize(c.properties, In.CONNECT)) < 0) return props;
    remaining += props;
  }
  if (will) {
    if ((err = topicError(will.topic))) return -err;
    // (a QoS test written out, here and in subscribe: on the board a function costs RAM for good)
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) return -Err.BAD_QOS; // [MQTT-3.1.2-14]
    if (will.payload.length > 65535) return -Err.STRING_TOO_LONG;
    flags |= ConnectFlag.WILL | (will.qos << 3) | (will.retain ? ConnectFlag.WILL_RETAIN : 0);
    remaining += 4 + will.topic.length + will.payload.length;
    if (MQTT5 && v5) {
      if ((willProps = propsSize(will.properties, In.WILL)) < 0) return willProps;
      remaining += willProps;
    }
  }
  if (user != null) {
    if ((err = utf8Error(user))) return -err; // [MQTT-3.1.3-11]
    flags |= ConnectFlag.USERNAME;
    remaining += 2 + user.length;
  }
  if (pass != null) {
    if (user == null && !v5) return -Err.PASSWORD_WITHOUT_USERNAME; // [MQTT-3.1.2-22]; 5.0 allows it
    if (pass.length > 65535) return -Err.STRING_TOO_LONG;
    flags |= ConnectFlag.PASSWORD;
    remaining += 2 + pass.length;
  }
  let p = putHeader(buf, Type.CONNECT << 4, remaining);
  if (p < 0) return p;
  p = putPrefixed(buf, p, 'MQTT');
  buf[p++] = MQTT5 && v5 ? 5 : 4; // protocol level: 4 is 3.1.1
  buf[p++] = flags;
  buf[p++] = c.keepalive >> 8;
  buf[p++] = c.keepalive & 255;
  if (MQTT5 && v5) p = putProps(buf, p, c.properties, props);
  // fields in the order of [MQTT-3.1.3-1]
  p = putPrefixed(buf, p, c.clientId);
  if (will) {
    if (MQTT5 && v5) p = putProps(buf, p, will.properties, willProps);
    p = putPrefixed(buf, p, will.topic);
    p = putPrefixed(buf, p, will.payload);
    if (p < 0) return -Err.NOT_BYTES;
  }
  if (user != null) p = putPrefixed(buf, p, user);
  if (pass != null) p = putPrefixed(buf, p, pass);
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
  props?: Properties | null, // 5.0: given (even null) for a 5.0 PUBLISH
): number {
  // 5.0: an empty topic name stands for the one a Topic Alias was set to (3.3.2.3.4 of 5.0)
  // (none, as most have: their length, one 0 byte, without the calls, which cost on the board)
  const size = MQTT5 && props !== undefined ? (props ? propsSize(props, In.PUBLISH) : 1) : 0;
  const err = MQTT5 && !topic && props && props.topicAlias ? 0 : topic === validTopic ? 0 : topicError(topic);
  if (err) return -err;
  if (MQTT5 && size < 0) return size;
  // a Subscription Identifier goes from server to client only (3.3.4 of 5.0)
  if (MQTT5 && props && props.subscriptionIdentifier != null) return -Err.BAD_PROPERTY;
  // (the QoS and id tests written out: on the board a call costs more than the tests, on every message)
  if (qos !== 0 && qos !== 1 && qos !== 2) return -Err.BAD_QOS;
  if (qos && !(id > 0 && id <= 65535 && id % 1 === 0)) return -Err.BAD_ID; // [MQTT-2.3.1-1]
  // DUP only on a resent QoS 1/2 message [MQTT-3.3.1-2]; no packet id at QoS 0 [MQTT-2.3.1-5]
  const first = (Type.PUBLISH << 4) | (qos && dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  // each length read once, the topic's prefix written here: on the board a `length` costs five field reads
  const tn = topic.length;
  const pn = payload.length;
  let remaining = 2 + tn + (qos ? 2 : 0) + pn;
  if (MQTT5) remaining += size;
  // the usual one-byte remaining length written here, as putHeader would (on the board the call costs more)
  let p = 2;
  if (remaining < 128 && remaining + 2 <= buf.length) {
    buf[0] = first;
    buf[1] = remaining;
  } else if ((p = putHeader(buf, first, remaining)) < 0) return p;
  buf[p++] = tn >> 8;
  buf[p++] = tn & 255;
  // 8-bit strings: the topic's bytes set natively here, as the payload's below (putBytes does it with a call)
  if (typeof BYTE_STRINGS !== 'undefined') {
    buf.set(topic as unknown as Uint8Array, p);
    p += tn;
  } else p = putBytes(buf, p, topic);
  if (qos) {
    buf[p++] = id >> 8;
    buf[p++] = id & 255;
  }
  if (MQTT5 && props) p = putProps(buf, p, props, size);
  else if (MQTT5 && props === null) buf[p++] = 0;
  // 8-bit strings (Espruino): set() takes a string's bytes as well as a Uint8Array's (strings.ts)
  if (typeof BYTE_STRINGS !== 'undefined') {
    buf.set(payload as Uint8Array, p);
    return p + pn;
  }
  p = putBytes(buf, p, payload);
  return p < 0 ? -Err.NOT_BYTES : p;
}

// PUBACK, PUBREC, PUBREL (flags 0010 [MQTT-3.6.1-1]) and PUBCOMP: the fixed header and a packet id.
// 5.0: then a reason code and properties, both left out when the code is 0 and there are none (3.4.2.1).
export function encodeAck(buf: Uint8Array, type: Type, id: number, reason?: number, props?: Properties): number {
  if (!(id > 0 && id <= 65535 && id % 1 === 0)) return -Err.BAD_ID; // (isId written out: a call costs more)
  const long = MQTT5 && (reason || props) ? propsSize(props, 1 << type) : 0;
  if (MQTT5 && long < 0) return long;
  if (MQTT5 && !(reason! >= 0 && reason! <= 255 && reason! % 1 === 0) && reason !== undefined) return -Err.BAD_REASON;
  const first = (type << 4) | (type === Type.PUBREL ? 2 : 0);
  if (MQTT5 && long) {
    let p = putHeader(buf, first, 3 + long);
    if (p < 0) return p;
    buf[p++] = id >> 8;
    buf[p++] = id & 255;
    buf[p++] = reason || 0;
    return putProps(buf, p, props, long);
  }
  // the usual form, four bytes (remaining length 2): written here, since on the board a call and
  // putHeader's loop cost more than the packet
  if (buf.length < 4) return -Err.BUFFER_TOO_SHORT;
  buf[0] = first;
  buf[1] = 2;
  buf[2] = id >> 8;
  buf[3] = id & 255;
  return 4;
}

// SUBSCRIBE (flags 0010 [MQTT-3.8.1-1]) with one requested QoS per filter, or UNSUBSCRIBE (flags 0010
// [MQTT-3.10.1-1]) when qos is null. At least one filter [MQTT-3.8.3-3] [MQTT-3.10.3-2].
// 5.0 (props given, even null): properties after the packet id, and each filter's byte is its subscription
// options: QoS, No Local (4), Retain As Published (8), Retain Handling 0-2 (16, 32) (3.8.3.1 of 5.0).
export function encodeSubscribe(buf: Uint8Array, id: number, filters: string[], qos: number[] | null, props?: Properties | null): number {
  const n = filters.length;
  const v5 = MQTT5 && props !== undefined;
  const size = v5 ? propsSize(props || undefined, qos ? 1 << Type.SUBSCRIBE : 1 << Type.UNSUBSCRIBE) : 0;
  if (!isId(id)) return -Err.BAD_ID;
  if (!n) return -Err.NO_FILTERS;
  if (MQTT5 && size < 0) return size;
  let remaining = 2 + (MQTT5 ? size : 0);
  for (let i = 0; i < n; i++) {
    const err = topicError(filters[i], 1);
    if (err) return -err;
    // [MQTT-3.8.3-4]; 5.0: No Local on a shared subscription is a protocol error (3.8.3.1 of 5.0)
    if (qos && (MQTT5 && v5 ? !(qos[i] >= 0 && qos[i] <= 0x2f && qos[i] % 1 === 0) || (qos[i] & 3) === 3 || (qos[i] & 4 && filters[i].indexOf('$share/') === 0) : qos[i] !== 0 && qos[i] !== 1 && qos[i] !== 2)) return -Err.BAD_QOS;
    remaining += 2 + filters[i].length + (qos ? 1 : 0);
  }
  let p = putHeader(buf, ((qos ? Type.SUBSCRIBE : Type.UNSUBSCRIBE) << 4) | 2, remaining);
  if (p < 0) return p;
  buf[p++] = id >> 8;
  buf[p++] = id & 255;
  if (MQTT5 && v5) p = putProps(buf, p, props || undefined, size);
  for (let i = 0; i < n; i++) {
    p = putPrefixed(buf, p, filters[i]);
    if (qos) buf[p++] = qos[i];
  }
  return p;
}

// PINGREQ and DISCONNECT: a fixed header alone. 5.0 (reason given): DISCONNECT and AUTH with their reason
// code and properties (3.14.2, 3.15.2 of 5.0).
export function encodeEmpty(buf: Uint8Array, type: Type, reason?: number, props?: Properties): number {
  const size = MQTT5 && reason !== undefined ? propsSize(props, 1 << type) : 0;
  if (MQTT5 && size < 0) return size;
  if (MQTT5 && reason !== undefined && !(reason >= 0 && reason <= 255 && reason % 1 === 0)) return -Err.BAD_REASON;
  let p = putHeader(buf, type << 4, MQTT5 && size ? 1 + size : 0);
  if (MQTT5 && size > 0 && p > 0) {
    buf[p++] = reason!;
    p = putProps(buf, p, props, size);
  }
  return p;
}
