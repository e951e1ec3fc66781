import { Err, Type } from './constants';
import { Properties } from './properties';
import { finish5, minLength5 } from './reader5';
import { bytesToString, topicError, validTopic } from './strings';

// One decoded packet. The reader reuses one object for the packets of a chunk (a new one for the next chunk),
// and its body's bytes are the reader's again once onPacket returns: fields are valid only during the onPacket
// callback.
export interface Packet {
  type: Type;
  length: number; // remaining length as sent
  id: number; // packet identifier, 0 where the type has none
  qos: number;
  dup: boolean;
  retain: boolean;
  topic: string; // PUBLISH: the topic as a byte string ('' if it did not fit the buffer)
  buf: Uint8Array; // its body: where it lies in the chunk (a view, or the chunk itself: quick), or a buffer made for it
  start: number; // PUBLISH payload, SUBACK return codes: buf[start..end)
  end: number;
  code: number; // CONNACK return code; 5.0: the reason code of every packet that has one
  sessionPresent: boolean;
  props?: Properties; // 5.0: the packet's properties, if it has any
  // 0, or Err.TOO_LARGE: a PUBLISH longer than the buffer was skipped whole; type, qos, id and topic
  // (when it fit) are set so that it can still be acknowledged [MQTT-4.5.0-2], the payload is empty.
  error: number;
}

export interface Reader {
  // Feeds bytes as they arrive: a byte string (Espruino sockets) or a Uint8Array (Node), split anywhere.
  // null ends the stream, as in Node's streams: any partial packet is dropped, and the next bytes start a new
  // stream (a new connection).
  push(chunk: string | Uint8Array | null): void;
  // The same as push(null) (not in the board's bundles: on the board a function costs RAM for good).
  reset(): void;
}

// The reader's state. Its functions live at the top of the module and take this object: on Espruino a
// function defined inside another is a new closure, about 10 blocks, each time the outer one runs.
interface ReaderState extends Reader {
  // The body of the packet being read: a view of the chunk it is whole in, or, for one that comes in pieces,
  // a buffer made for it when its header is complete, its length (rxBuffer's at most); null between packets.
  // So no buffer as long as the longest packet is held (on the ESP8266 rxBuffer's 256 bytes are 25 blocks).
  _buf: Uint8Array | null;
  _size: number; // rxBuffer: the most of a packet kept (a PUBLISH longer is skipped: TOO_LARGE)
  // The packet read, made when the general path or an acknowledgement needs one and let go at the end of each
  // chunk: on the board its fields held 17 blocks between packets (12-byte blocks), most of a client's time
  _p: Packet | null;
  _onPacket: (ctx: any, p: Packet) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  _onError: (ctx: any, code: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  _onPublish?: OnPublish<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  _onAck?: OnAck<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  _ctx: unknown;
  _state: State;
  _first: number; // the fixed header's first byte
  _len: number; // remaining length
  _lenBytes: number;
  _got: number; // body bytes received so far
  _idHi: number; // the packet id of an oversized PUBLISH, when it lies beyond the buffer
  _idLo: number;
  _gen: number; // bumped by push(null), so a push interrupted by it stops
  _at: number; // where next() goes on in the chunk being pushed
  _v5: boolean; // 5.0 packets (the v5 builds only)
  _err: number; // 5.0: a verdict, where a local would be merged with another branch's (see complete)
}

const enum State {
  HEAD,
  LENGTH,
  BODY,
  FAILED,
}

// Fixed-header flags a server may send [MQTT-2.2.2-1]; -1 for a type a client never receives.
// PUBLISH carries DUP/QoS/RETAIN instead and is checked apart.
// One character per type ('x' for none): a string costs the board a block or two, an array of 16 numbers 23.
const FLAGS = 'xx000020x0x0x0xx';

// The remaining length each type must have ('v': variable).
const LENGTH = '002v22220v020000';

// A PUBLISH read in place from a byte string (see push): its topic and payload as byte strings, the fixed
// header's first byte (QoS, DUP, RETAIN) and its packet id (0 at QoS 0). Checked as onPacket's are.
export type OnPublish<C> = (ctx: C, topic: string, payload: string, first: number, id: number) => void;

// A PUBACK read in place by the same path: its type (Type.PUBACK) and packet id, without the packet object
// and onPacket's dispatch (on the board the usual QoS 1 message's answer, at each publish).
export type OnAck<C> = (ctx: C, type: number, id: number) => void;

// Smallest receive buffer: enough for every fixed-size packet and a PUBLISH's topic length.
export const MIN_READ_BUFFER = 8;

// A streaming decoder for the packets a client receives. Complete packets go to onPacket (but as said of
// onPublish and onAck below); a malformed stream goes once to onError and the reader ignores input until
// reset(), since after a protocol violation the connection must close [MQTT-4.8.0-1]. The callbacks get `ctx`
// first, as a plain call (on the board cheaper than call() with it as this, and the client's own lose()
// serves as onError).
// v5: the stream is MQTT 5.0. onPublish (3.1.1): a PUBLISH read by the string path (push) goes there instead,
// and a PUBACK to onAck when given (onPacket when not).
export function createReader<C>(
  size: number,
  onPacket: (ctx: C, p: Packet) => void,
  onError: (ctx: C, code: number) => void,
  ctx?: C,
  v5?: boolean,
  onPublish?: OnPublish<C>,
  onAck?: OnAck<C>,
): Reader {
  if (size < MIN_READ_BUFFER) size = MIN_READ_BUFFER;
  const r: ReaderState = {
    push: push,
    _buf: null,
    _size: size,
    _p: null,
    _onPacket: onPacket,
    _onError: onError,
    _onPublish: onPublish,
    _ctx: ctx,
    _state: State.HEAD,
    _first: 0,
    _len: 0,
    _lenBytes: 0,
    _got: 0,
    _idHi: 0,
    _idLo: 0,
    _gen: 0,
    _at: 0,
  } as ReaderState;
  if (MQTT5) r._v5 = !!v5;
  if (onAck) r._onAck = onAck; // (on the board a key costs its block even when its value is undefined)
  if (typeof BYTE_STRINGS === 'undefined') r.reset = reset;
  return r;
}

function failStream(r: ReaderState, code: number): false {
  r._state = State.FAILED;
  r._onError(r._ctx, code);
  return false;
}

// A packet is complete: check it (one function: on the board each call and each function costs). True when
// it is ready to hand on; false when it failed the stream.
function complete(r: ReaderState): boolean {
  const buf = r._buf!;
  const p = r._p || (r._p = {} as Packet);
  const size = r._size;
  const len = r._len;
  const first = r._first;
  const type = first >> 4;
  const n = len < size ? len : size;
  p.type = type;
  p.length = len;
  p.error = 0;
  p.id = 0;
  p.start = p.end = 0;
  p.buf = buf; // (quick() lends a PUBLISH the chunk instead)
  if (MQTT5 && r._v5 && type !== Type.PUBLISH) {
    // 5.0: the packets with an id have it first (a PUBLISH's comes after its topic, below). No locals in
    // these branches (p.error holds the verdict): the compiler would merge them with the PUBLISH branch's
    // into one `var` declared after this use, which the interpreter, not hoisting, cannot find.
    p.id = type > Type.PUBLISH && type < Type.PINGREQ ? (buf[0] << 8) | buf[1] : 0;
    p.sessionPresent = buf[0] === 1;
    p.error = type > Type.PUBLISH && type < Type.PINGREQ && !p.id ? Err.BAD_ID : type === Type.CONNACK && buf[0] & 0xfe ? Err.BAD_CONNACK : finish5(p, buf, len, 0);
    if (p.error) return failStream(r, p.error);
  } else if (type === Type.CONNACK) {
    // reserved bits of the acknowledge flags, and return codes 6-255 are reserved
    if (buf[0] & 0xfe || buf[1] > 5) return failStream(r, Err.BAD_CONNACK);
    p.sessionPresent = buf[0] === 1;
    p.code = buf[1];
  } else if (type === Type.PUBLISH) {
    const qos = (first >> 1) & 3;
    const topicEnd = 2 + ((buf[0] << 8) | buf[1]);
    let q = topicEnd;
    p.qos = qos;
    p.dup = (first & 8) !== 0;
    p.retain = (first & 1) !== 0;
    p.topic = '';
    if (qos) q += 2;
    if (q > len) return failStream(r, Err.BAD_LENGTH);
    if (topicEnd <= size) {
      p.topic = typeof BYTE_STRINGS !== 'undefined' ? E.toString(buf.subarray(2, topicEnd)) : bytesToString(buf, 2, topicEnd);
      if (p.topic == null) return failStream(r, Err.NO_MEMORY);
      // [MQTT-3.3.2-1] [MQTT-3.3.2-2] [MQTT-1.5.3-1]; 5.0: empty when a Topic Alias stands for it
      const err = (MQTT5 && r._v5 && !p.topic) || p.topic === validTopic ? 0 : topicError(p.topic);
      if (err) return failStream(r, err);
    }
    if (qos) {
      p.id = ((topicEnd < size ? buf[topicEnd] : r._idHi) << 8) | (topicEnd + 1 < size ? buf[topicEnd + 1] : r._idLo);
      if (!p.id) return failStream(r, Err.BAD_ID); // [MQTT-2.3.1-1]
    }
    p.end = n;
    p.start = len > size ? n : q;
    if (len > size) p.error = Err.TOO_LARGE;
    // 5.0: the properties come before the payload (a PUBLISH too large to hold: read when they fit, for its
    // Topic Alias; what does not fit or is malformed there is left unread, the message is dropped anyway)
    if (MQTT5 && r._v5 && (r._err = finish5(p, buf, n, q))) return failStream(r, r._err);
  } else if (type !== Type.PINGRESP) {
    p.id = (buf[0] << 8) | buf[1];
    if (!p.id) return failStream(r, Err.BAD_ID);
    if (type === Type.SUBACK) {
      p.start = 2;
      p.end = len;
      for (let i = 2; i < len; i++) {
        const c = buf[i];
        if (c > 2 && c !== 0x80) return failStream(r, Err.BAD_SUBACK);
      }
    }
  }
  r._state = State.HEAD;
  return true;
}

// Each complete packet goes to onPacket (onPublish, onAck) from here, once the parser has returned: on the
// board every local of a running function is a block, and the application's listeners run inside onPacket.
function push(this: ReaderState, input: string | Uint8Array | null): void {
  const r = this;
  if (input == null) {
    // the end of the stream: a push interrupted by it stops (see the loop below); an empty chunk is none
    r._gen++;
    r._state = State.HEAD;
    r._buf = null;
    return;
  }
  // Bytes in a typed array, read and copied natively. On the board one native copy of the chunk beats
  // charCodeAt, which walks Espruino's block-linked strings; it is undefined when the board is short of
  // memory: fail the stream (the client closes and reconnects) rather than throw into the socket's callback.
  // A long string is read 512 bytes at a time: a board busy for a while reads a burst as one chunk (100
  // small messages, 3 KB), and one copy of all of it needs that many contiguous blocks beside the string
  // (a 3,200-byte chunk ran the 12-byte ESP8266 build out of memory so, issue 13).
  // (the string path's names declared here, once: the interpreter does not hoist, and declared in its block
  // the compiler gives each an initial `void 0`, steps on every chunk)
  let chunk: Uint8Array, first: number, len: number, end: number, at: number, id: number, topic: string;
  // a listener that ends or reconnects the client resets the reader: nothing more of this chunk is read
  const gen = r._gen;
  let i = 0; // where the general path starts in the chunk
  if (typeof input === 'string') {
    const n = input.length;
    if (n > 512) {
      for (; i < n && gen === r._gen && r._state !== State.FAILED; i += 512) r.push(input.substr(i, 512));
      return;
    }
    // The usual packets (3.1.1), one after another from the start of the chunk, each whole in it with a
    // one-byte remaining length that fits the buffer, are read where they lie in the string: no copy into a
    // typed array, no packet fields for a PUBLISH (on the board the general path's steps cost a third of
    // receiving a message). A PUBLISH goes to onPublish with its topic and payload cut from the string, an
    // acknowledgement to onPacket as quick() gives it (a PUBACK to onAck). Taken only where every rule the
    // general path applies holds: QoS not 3 [MQTT-3.3.1-4], topic and packet id within the packet, the topic
    // valid [MQTT-3.3.2-1] [MQTT-3.3.2-2], a packet id not 0 [MQTT-2.3.1-1], an acknowledgement's first byte
    // as FLAGS allows it [MQTT-2.2.2-1]. The first packet that is not such, and all after it, are read by the
    // general path below, whose checks report what is wrong. (The 3.1.1 board client always gives onPublish,
    // and onAck in the library: no test.)
    // (end: where the packet ends; on the board each step here costs a microsecond or two, on every packet)
    while (((typeof BYTE_STRINGS !== 'undefined' && !MQTT5) || r._onPublish) && !r._state && (len = input.charCodeAt(i + 1)) < 128 && len <= r._size && (end = i + 2 + len) <= n) {
      first = input.charCodeAt(i);
      if (first >> 4 === Type.PUBLISH) {
        at = i + 4 + ((input.charCodeAt(i + 2) << 8) | input.charCodeAt(i + 3)); // where the topic ends
        topic = input.substring(i + 4, at);
        id = 0;
        if (first & 6) {
          // (past the end of the string charCodeAt gives NaN, and the id 0)
          id = (input.charCodeAt(at) << 8) | input.charCodeAt(at + 1);
          at += 2;
          if ((first & 6) === 6 || !id) break;
        }
        if (at > end || (topic !== validTopic && topicError(topic))) break;
        r._onPublish!(r._ctx, topic, input.substring(at, end), first, id);
      } else if (len === 2 && (first === 0x40 || first === 0x50 || first === 0x62 || first === 0x70 || first === 0xb0) && (id = (input.charCodeAt(i + 2) << 8) | input.charCodeAt(i + 3))) {
        // (type and id: all the client reads of an acknowledgement in 3.1.1; a PUBACK to onAck, which the 3.1.1
        // library client always gives on the board)
        if (first === 0x40 && ((KEEP_HOT_CALLS && typeof BYTE_STRINGS !== 'undefined' && !MQTT5) || r._onAck)) r._onAck!(r._ctx, Type.PUBACK, id);
        else {
          r._onPacket(r._ctx, { type: first >> 4, id: id } as Packet);
        }
      } else break;
      if ((i = end) === n || gen !== r._gen) return;
    }
    chunk = typeof BYTE_STRINGS !== 'undefined' ? E.toUint8Array(input) : hostBytes(input);
  } else chunk = input;
  if (!chunk) {
    if (r._state !== State.FAILED) failStream(r, Err.NO_MEMORY);
    return;
  }
  const n = chunk.length;
  r._at = i;
  // (the usual packets by quick(), the rest by next(); 5.0 always by next())
  // (gen first: after a reset not a byte more is read, into the fresh stream's state)
  while (gen === r._gen && r._at < n && ((!(MQTT5 && r._v5) && (KEEP_HOT_CALLS ? /*#__NOINLINE__*/ quick(r, chunk, n) : quick(r, chunk, n))) || next(r, chunk, n))) r._onPacket(r._ctx, r._p!);
  // nothing of this chunk kept past this call, nor a body read whole (one still coming in keeps its buffer)
  r._p = null;
  if (r._state !== State.BODY) r._buf = null;
}

// The fixed header's rules for r._first and a remaining length len (-1: not yet known, the first byte only):
// 0, or the error that fails the stream. Flags a server may send [MQTT-2.2.2-1] [MQTT-2.2.2-2], a PUBLISH's
// QoS [MQTT-3.3.1-4]; the remaining length each type must have (a PUBLISH: topic length and at least one
// topic byte, plus the packet id above QoS 0; a SUBACK: an id and a code).
function headerError(r: ReaderState, len: number): number {
  const first = r._first;
  const type = first >> 4;
  // 5.0: a server may send DISCONNECT and AUTH as well
  // (indexed, not charAt(): on the board a method call costs three times as much)
  const flags = (MQTT5 && r._v5 ? 'xx000020x0x0x000' : FLAGS)[type];
  if (flags === 'x') return Err.BAD_TYPE;
  if (type === Type.PUBLISH ? (first & 6) === 6 : (first & 15) !== +flags) return type === Type.PUBLISH ? Err.BAD_QOS : Err.BAD_FLAGS;
  if (len < 0) return 0;
  const fixed = LENGTH[type];
  return (
    MQTT5 && r._v5 ? len < minLength5(type, first) || (type === Type.PINGRESP && len) : fixed !== 'v' ? len !== +fixed : len < (first & 6 ? 5 : 3)
  )
    ? Err.BAD_LENGTH
    : 0;
}

// Reads the chunk (n bytes: its length, which on the board costs seven field reads, read once by push) on
// from r._at; true as soon as a packet is complete and valid (r._p), false at the end of the chunk or when the
// stream failed.
function next(r: ReaderState, chunk: Uint8Array, n: number): boolean {
  const size = r._size;
  let i = r._at;
  // Names used in more than one branch are declared once, here: the interpreter does not hoist, and a
  // `var` that the compiler leaves in one branch would be unbound in the other.
  let b = chunk[i + 1];
  let e = 2; // the fixed header's length
  // The usual case, taken in a few steps (on the board each step of the loop below costs about a
  // microsecond): a whole packet with a remaining length of one or two bytes that fits the buffer, at the
  // start of what is left of the chunk, read where it lies: no copy.
  if (b > 127 && chunk[i + 2] < 128) {
    b = (b & 127) + (chunk[i + 2] << 7);
    e = 3;
  }
  if (r._state === State.HEAD && (e === 3 || b < 128) && b <= size && i + e + b <= n) {
    r._first = chunk[i];
    r._len = b;
    r._buf = chunk.subarray(i + e, i + e + b);
    r._at = i + e + b;
    return (e = headerError(r, b)) ? failStream(r, e) : complete(r);
  }
  e = 0;
  // On the board every token of this loop is read again on each pass: a packet's fixed header and the start
  // of its body are taken in one pass.
  while (i < n && r._state !== State.FAILED) {
    if (r._state !== State.BODY) {
      b = chunk[i++];
      if (r._state === State.HEAD) {
        r._first = b;
        // the first byte alone, as soon as it comes (-1: the length is not known yet)
        if ((e = headerError(r, -1))) return failStream(r, e);
        r._len = r._lenBytes = r._got = 0; // _idHi/_idLo are set as an oversized PUBLISH's id passes
        r._state = State.LENGTH;
        if (i === n) break;
        b = chunk[i++]; // the remaining length follows at once
      }
      // Remaining length: 7 bits a byte, least significant first, at most 4 bytes (2.2.3).
      r._len += (b & 127) << (7 * r._lenBytes++);
      if (b & 128) {
        if (r._lenBytes === 4) return failStream(r, Err.BAD_LENGTH);
        continue;
      }
      if ((e = headerError(r, r._len))) return failStream(r, e);
      if (r._len > size && r._first >> 4 !== Type.PUBLISH) return failStream(r, Err.TOO_LARGE);
      if (!r._len) {
        r._buf = chunk.subarray(i, i); // (an empty body, as the short way gives one)
        r._at = i;
        return complete(r);
      }
      r._state = State.BODY;
      r._buf = new Uint8Array(r._len < size ? r._len : size);
      if (i === n) break;
    }
    const buf = r._buf!;
    const got = r._got;
    const k = r._len - got < n - i ? r._len - got : n - i;
    const fit = got < size ? (size - got < k ? size - got : k) : 0;
    if (fit) buf.set(chunk.subarray(i, i + fit), got);
    if (fit < k && r._first >> 4 === Type.PUBLISH) {
      // Skipping past the buffer: keep only the packet id, 2 bytes after the topic.
      const idAt = 2 + ((buf[0] << 8) | buf[1]);
      for (let o = got + fit > idAt ? got + fit : idAt; o <= idAt + 1 && o < got + k; o++) {
        if (o === idAt) r._idHi = chunk[i + o - got];
        else r._idLo = chunk[i + o - got];
      }
    }
    i += k;
    if ((r._got = got + k) === r._len) {
      r._at = i;
      return complete(r);
    }
  }
  r._at = i;
  return false;
}

// The usual packets of a connection, whole in what is left of the chunk (n bytes) with a one-byte remaining
// length that fits the buffer, taken in one step and read where they lie (on the board the header check's
// call, the copy into the buffer and complete cost about 60 us): a PUBLISH (its payload left in the chunk:
// p.buf) and an acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, by the first bytes FLAGS allows
// them [MQTT-2.2.2-1]). False for anything else, and for one that breaks a rule: next() then reads it as any
// packet, and its checks report it. 3.1.1 only: a 5.0 packet's reason code and properties are read by finish5.
function quick(r: ReaderState, chunk: Uint8Array, n: number): boolean {
  const i = r._at;
  const len = chunk[i + 1]; // (undefined past the end, which fails the test below)
  const first = chunk[i];
  if (!(r._state === State.HEAD && len < 128 && len <= r._size && i + 2 + len <= n)) return false;
  const p = r._p || (r._p = {} as Packet);
  if (first >> 4 !== Type.PUBLISH) {
    // an acknowledgement: remaining length 2, a packet id not 0 [MQTT-2.3.1-1]
    if (len !== 2 || !(first === 0x40 || first === 0x50 || first === 0x62 || first === 0x70 || first === 0xb0) || !(chunk[i + 2] || chunk[i + 3])) return false;
    p.type = first >> 4;
    p.length = 2;
    p.id = (chunk[i + 2] << 8) | chunk[i + 3];
    p.error = p.start = p.end = 0;
    p.buf = chunk;
    r._at = i + 4;
    return true;
  }
  const at = i + 2; // the variable header
  // a PUBLISH: its QoS not 3 [MQTT-3.3.1-4], topic and packet id within the packet, the topic valid
  // [MQTT-3.3.2-1] [MQTT-3.3.2-2], a packet id not 0 [MQTT-2.3.1-1] (the rules headerError and complete apply)
  const qos = (first >> 1) & 3;
  const topicEnd = at + 2 + ((chunk[at] << 8) | chunk[at + 1]);
  if (qos === 3 || topicEnd + (qos ? 2 : 0) > at + len) return false;
  p.topic = typeof BYTE_STRINGS !== 'undefined' ? E.toString(chunk.subarray(at + 2, topicEnd)) : bytesToString(chunk, at + 2, topicEnd);
  p.id = qos ? (chunk[topicEnd] << 8) | chunk[topicEnd + 1] : 0;
  if (!p.topic || (p.topic !== validTopic && topicError(p.topic)) || (qos && !p.id)) return false;
  p.type = Type.PUBLISH;
  p.length = len;
  p.qos = qos;
  p.dup = (first & 8) !== 0;
  p.retain = (first & 1) !== 0;
  p.error = 0;
  p.buf = chunk;
  p.start = qos ? topicEnd + 2 : topicEnd;
  p.end = r._at = at + len;
  return true;
}

// A host string of bytes (tests feed them; the WebSocket layer sends its upgrade request), as a typed array.
export function hostBytes(s: string): Uint8Array {
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return u;
}

function reset(this: ReaderState): void {
  this.push(null);
}
