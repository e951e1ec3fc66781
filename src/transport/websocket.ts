import { hostBytes } from '../codec/reader';
import { Endpoint, Link, LinkEvent, LinkEvents, Transport } from './transport';

// MQTT over WebSocket (MQTT 3.1.1 section 6, RFC 6455): a layer between the client and a byte transport.
// For a ws:// or wss:// server it opens the inner link (TCP or TLS) to the same host and port, upgrades it
// with an HTTP request, and from then on carries the client's bytes in binary frames; other servers go to
// the inner transport untouched. MQTT is a byte stream, so frame boundaries mean nothing to it: a packet
// may span frames and a frame may hold several packets [MQTT-6.0.0-2]. Each received payload goes to the
// client as it arrives (on the board a piece of the socket's byte string, on a host a view of the bytes: see
// piece), and each write of the client goes out as one frame.
// A data frame of any length is streamed, not held: the client's reader applies its own limits (an
// oversized PUBLISH is skipped and acknowledged, where refusing its frame would have the broker resend it
// after every reconnect). Only control frames (at most 125 bytes, RFC 6455 5.5) are buffered.

// base64 of the SHA-1 of a byte string, from the platform (Espruino's crypto module, Node's crypto).
export type Sha1Base64 = (s: string) => string;

const enum Limit {
  FRAME = 65524, // the most payload framed at once: with its 8 bytes of header, 65532 (a multiple of 4)
}

const enum Stage {
  UPGRADE, // the HTTP upgrade is under way; the client has not been told the link is open
  OPEN,
  CLOSING, // the client ended the link, or the server sent a close frame: nothing more is delivered
  CLOSED, // the client has been told
}

// One connection: the client's link and the inner link's events in one object.
interface WsLink extends Link, LinkEvents {
  _in: Link | null;
  _ev: LinkEvents;
  _to: Endpoint;
  _sha: Sha1Base64;
  _stage: Stage;
  _key: string; // Sec-WebSocket-Key sent
  _head: string; // the upgrade response so far
  _buf: Uint8Array; // [0, 10) a frame header being read, [10, 135) a control frame's payload, [135, 137) a close code
  _hn: number; // header bytes read, or -1 while reading a payload
  _left: number; // payload bytes of the current frame still to come
  _op: number; // its opcode
  _cn: number; // control payload bytes read
  _at: number; // where reading goes on in the chunk being read (-1: none of it is read: the upgrade's answer
  // is not complete, or the link is closing)
  _frag: boolean; // a fragmented binary message is open: continuation frames expected (5.4)
  _out: Uint8Array; // the frame being written: header at 0 or 2, masking key at 4, payload from 8
  _out32: Int32Array; // the same bytes, four at a time, for masking
  _err?: { message: string };
}

export function websocket(inner: Transport, sha1: Sha1Base64): Transport {
  return function (to, on) {
    return to.protocol.charAt(0) === 'w' ? open(inner, sha1, to, on) : inner(to, on);
  };
}

function open(inner: Transport, sha1: Sha1Base64, to: Endpoint, on: LinkEvents): Link {
  const out = new Uint8Array(64);
  const w: WsLink = {
    write: write,
    end: end,
    notify: notify,
    _in: null,
    _ev: on,
    _to: to,
    _sha: sha1,
    _stage: Stage.UPGRADE,
    _key: '',
    _head: '',
    _buf: new Uint8Array(137),
    _hn: 0,
    _left: 0,
    _op: 0,
    _cn: 0,
    _at: 0,
    _frag: false,
    _out: out,
    _out32: new Int32Array(out.buffer),
  };
  w._in = inner({ host: to.host, port: to.port, protocol: to.protocol === 'wss' ? 'mqtts' : 'mqtt', path: to.path, ca: to.ca, key: to.key, cert: to.cert }, w);
  w._in._wait = 1; // every drain of the socket reported: the client's link is this one (transport.ts)
  return w;
}

// ---- the inner link's events

function notify(this: WsLink, event: LinkEvent, arg?: any): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const w = this;
  if (w._stage === Stage.CLOSED) return;
  try {
    if (event === LinkEvent.DATA) {
      // frames, after the upgrade's answer; the path of every received packet, kept shallow: on the board
      // each frame of the stack beneath the application's listeners is RAM. Once closing, nothing is read.
      // (a host string only from a test: as bytes)
      if (typeof BYTE_STRINGS === 'undefined' && typeof arg === 'string') arg = hostBytes(arg);
      // (the upgrade's answer read by a call in the library, not its text inlined here, which every data
      // event would read past: KEEP_HOT_CALLS; it and upgrade() are in a cold group, rollup.config.mjs)
      w._at = w._stage === Stage.UPGRADE ? (KEEP_HOT_CALLS ? /*#__NOINLINE__*/ answered(w, arg) : answered(w, arg)) : w._stage === Stage.OPEN ? 0 : -1;
      for (let p; w._at >= 0 && (p = piece(w, arg)) !== undefined; ) w._ev.notify(LinkEvent.DATA, p);
    } else if (event === LinkEvent.CONNECT) {
      if (w._stage === Stage.UPGRADE) KEEP_HOT_CALLS ? /*#__NOINLINE__*/ upgrade(w) : upgrade(w);
    } else if (event === LinkEvent.DRAIN) {
      if (w._stage === Stage.OPEN) w._ev.notify(LinkEvent.DRAIN);
    } else {
      // once closing (a close frame sent or received), how the TCP connection ends is no news
      const was = w._stage;
      w._stage = Stage.CLOSED;
      w._ev.notify(LinkEvent.CLOSE, was === Stage.CLOSING ? w._err : w._err || arg || (was === Stage.UPGRADE ? { message: 'ws: closed during the upgrade' } : undefined));
    }
  } catch (e) {
    // on the board, an allocation that failed: nothing is thrown into the socket's callback
    fail(w, String(e));
  }
}

// The opening handshake (RFC 6455 4.1), with the subprotocol MQTT requires [MQTT-6.0.0-4].
function upgrade(w: WsLink): void {
  let key = '';
  for (let i = 0; i < 16; i++) key += String.fromCharCode(Math.random() * 256);
  const to = w._to;
  w._key = key = btoa(key);
  const req =
    'GET ' + to.path + ' HTTP/1.1\r\nHost: ' + (to.host.indexOf(':') >= 0 ? '[' + to.host + ']' : to.host) + ':' + to.port +
    '\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ' + key +
    '\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n';
  const bytes = typeof BYTE_STRINGS !== 'undefined' ? E.toUint8Array(req) : hostBytes(req);
  w._in!.write(bytes, 0, bytes.length);
}

// The upgrade's answer, read up to its blank line: where the frames that follow it begin in `data`, or -1
// while it is incomplete or once it was refused.
function answered(w: WsLink, data: string | Uint8Array): number {
  const text = typeof data === 'string' ? data : latin1(data);
  const head = w._head + text;
  const end = find(head, '\r\n\r\n');
  if (end < 0) {
    if (head.length > 2048) fail(w, 'upgrade response too long');
    else w._head = head;
    return -1;
  }
  w._head = '';
  const why = refusal(w, head.substr(0, end + 2));
  if (why) {
    fail(w, why);
    return -1;
  }
  w._stage = Stage.OPEN;
  w._ev.notify(LinkEvent.CONNECT);
  return end + 4 - (head.length - text.length);
}

// Why the server's response does not open a WebSocket for MQTT, or '' when it does (RFC 6455 4.1: the
// client fails the connection on any of these).
function refusal(w: WsLink, head: string): string {
  if (head.substr(0, 5) !== 'HTTP/' || head.substr(9, 4) !== '101 ') return 'upgrade refused: ' + head.substr(0, head.indexOf('\r'));
  const lower = head.toLowerCase();
  if (field(head, lower, 'upgrade').toLowerCase() !== 'websocket') return 'no "Upgrade: websocket" in the response';
  if (find(',' + field(head, lower, 'connection').toLowerCase().replace(/ /g, '') + ',', ',upgrade,') < 0) return 'no "Connection: Upgrade" in the response';
  if (field(head, lower, 'sec-websocket-accept') !== w._sha(w._key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')) return 'wrong Sec-WebSocket-Accept';
  if (field(head, lower, 'sec-websocket-protocol') !== 'mqtt') return 'the server did not accept the "mqtt" subprotocol';
  if (field(head, lower, 'sec-websocket-extensions')) return 'the server chose an extension not asked for';
  return '';
}

// A header's value ('' when absent); names are matched in the lower-cased copy, values read from the original.
function field(head: string, lower: string, name: string): string {
  const at = find(lower, '\r\n' + name + ':');
  if (at < 0) return '';
  const from = at + name.length + 3;
  return head.substring(from, head.indexOf('\r', from)).trim();
}

// indexOf for a string of more than one character: Espruino 2v29 also reports a match where the string ends
// with the start of the one sought ("abcd".indexOf("cdX") is 2 there), so a match must fit in the string.
function find(s: string, sought: string): number {
  const at = s.indexOf(sought);
  return at + sought.length <= s.length ? at : -1;
}

// ---- frames received (RFC 6455 5.2)

// Payloads go on to the client as pieces of the chunk: on the board the socket's byte string cut with substr,
// which needs no run of free blocks, and in which the client's reader takes the usual packets, whole, where
// they lie (src/codec/reader.ts: it still copies what it cannot take so, a packet cut by a chunk or a frame,
// or a long one). A copy of every chunk into a typed array, as before, needs up to 45 blocks in a row: with
// it the 12-byte ESP8266 build ran out of memory after a few hundred messages, some 500 blocks free. On a host, a
// view of the bytes. The next piece from w._at on, or undefined once the chunk is read (or the link failed);
// notify hands it to the client, so that nothing of the frame reading is on the stack beneath the client and
// its listeners (on the board each function's scope there is RAM: the peak above steady 19-28 blocks lower
// so, measured).
function piece(w: WsLink, chunk: string | Uint8Array): string | Uint8Array | undefined {
  const n = chunk.length;
  let i = w._at;
  // The usual frame on the board, taken in one step: whole in the chunk, between frames, final, binary, not
  // masked and 1-125 bytes long (0x82 and its length: what check() lets through as a whole message, no
  // fragment open), on a link that is open. On the board each call below, and its text, costs: without
  // header(), check() and done() for every frame a message over ws:// takes about a sixth less time (measured
  // end to end, bench/espruino.mjs).
  // (NaN past the chunk's end: not taken. The piece cut is undefined on a board out of memory, as below.)
  if (typeof BYTE_STRINGS !== 'undefined' && typeof chunk === 'string' && !w._hn && !w._frag && w._stage === Stage.OPEN && chunk.charCodeAt(i) === 0x82) {
    const len = chunk.charCodeAt(i + 1);
    if (len && len < 126 && i + 2 + len <= n) {
      w._at = i + 2 + len;
      return chunk.substr(i + 2, len) || (fail(w, 'out of memory'), undefined);
    }
  }
  while (i < n && w._stage !== Stage.CLOSED) {
    if (w._hn >= 0) {
      i = header(w, chunk, i);
      continue;
    }
    let k = w._left < n - i ? w._left : n - i;
    // (a byte string at most 512 bytes at a time, as the reader takes it: a burst read as one chunk is not
    // held twice; set() takes a byte string's bytes on the board)
    if (typeof chunk === 'string' && k > 512) k = 512;
    const at = i;
    w._at = i += k;
    w._left -= k;
    // (cut only where it is used: once closing, the data frames left in the chunk are skipped)
    if (w._op & 8 || w._stage === Stage.OPEN) {
      const p = typeof chunk === 'string' ? chunk.substr(at, k) : chunk.subarray(at, at + k);
      if (p == null) {
        fail(w, 'out of memory'); // (undefined on a board out of memory)
        return undefined;
      }
      if (!(w._op & 8)) {
        if (!w._left) done(w);
        return p;
      }
      w._buf.set(p as Uint8Array, 10 + w._cn);
      w._cn += k;
    }
    if (!w._left) done(w);
  }
  w._at = i;
  return undefined;
}

// Reads a frame's header on from chunk[i]: 2 bytes, then 2 or 8 of extended length (a server's frames carry
// no masking key). Where reading goes on.
function header(w: WsLink, chunk: string | Uint8Array, i: number): number {
  const buf = w._buf;
  const n = chunk.length;
  while (i < n) {
    buf[w._hn++] = typeof chunk === 'string' ? chunk.charCodeAt(i++) : chunk[i++];
    if (w._hn < 2) continue;
    const len7 = buf[1] & 127;
    const size = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
    if (w._hn === 2) {
      const why = check(w);
      if (why) {
        fail(w, why);
        return n;
      }
    }
    if (w._hn < size) continue;
    // 5.2: the most significant bit of a 64-bit length is 0; past 2^53 a length is not a number here
    if (size === 10 && (buf[2] | (buf[3] & 0xe0))) {
      fail(w, 'frame too long');
      return n;
    }
    let len = len7 < 126 ? len7 : 0;
    for (let k = 2; k < size; k++) len = len * 256 + buf[k];
    w._hn = -1;
    w._left = len;
    w._cn = 0;
    if (!len) done(w);
    return i;
  }
  return i;
}

// The first two bytes of a frame: what may not come from a server, or ''.
function check(w: WsLink): string {
  const b0 = w._buf[0];
  const b1 = w._buf[1];
  const op = (w._op = b0 & 15);
  if (b1 & 128) return 'masked frame from the server'; // 5.1
  if (b0 & 0x70) return 'reserved bits set'; // no extension was negotiated (5.2)
  if (op & 8) {
    if (op > 10) return 'reserved opcode ' + op;
    return b0 & 128 && (b1 & 127) < 126 ? '' : 'fragmented or long control frame'; // 5.5
  }
  if (op === 1) return 'text frame'; // MQTT travels in binary frames only [MQTT-6.0.0-1]
  if (op > 2) return 'reserved opcode ' + op;
  if (!op !== w._frag) return op ? 'new message inside a fragmented one' : 'continuation of nothing'; // 5.4
  w._frag = !(b0 & 128);
  return '';
}

// The end of a frame's payload: a ping is answered with a pong carrying its payload (5.5.2); a close
// with a close echoing its status code (5.5.1), after which the server closes the connection.
function done(w: WsLink): void {
  const buf = w._buf;
  w._hn = 0;
  if (w._op === 9) {
    if (w._stage === Stage.OPEN) frame(w, 10, buf, 10, 10 + w._cn);
  } else if (w._op === 8) {
    const code = w._cn >= 2 ? (buf[10] << 8) | buf[11] : 0;
    // a body is a code of 2 bytes, then a reason; codes a peer may send (7.4): 1000-1003, 1007-1014, 3000-4999
    if (w._cn === 1 || (code && !(code < 5000 && (code >= 3000 || (code >= 1000 && code < 1015 && (code < 1004 || code > 1006)))))) return fail(w, 'bad close frame');
    // 1000 normal, 1001 going away: a close like any other; other codes are the server's complaint
    if (code && code !== 1000 && code !== 1001) w._err = { message: 'ws: closed by the server: ' + code + ' ' + latin1(buf.subarray(12, 10 + w._cn)) };
    const open = w._stage === Stage.OPEN;
    w._stage = Stage.CLOSING; // before the echo: a write it may cause is then no longer framed
    if (open) frame(w, 8, buf, 10, w._cn >= 2 ? 12 : 10);
    w._in!.end();
  }
}

// ---- the client's link

// A write longer than a frame buffer may be (an Espruino typed array holds at most 65535 bytes) goes in
// more than one frame: a packet may span frames [MQTT-6.0.0-2].
function write(this: WsLink, buf: Uint8Array | string, start: number, stop: number): void {
  let at = start;
  do {
    if (this._stage === Stage.OPEN) frame(this, 2, buf, at, stop - at > Limit.FRAME ? at + Limit.FRAME : stop);
  } while ((at += Limit.FRAME) < stop);
}

// Graceful: a close frame (1000, normal), then the inner link ends once it is sent. Forced: at once.
function end(this: WsLink, force?: boolean): void {
  const w = this;
  // before the upgrade was answered there is nothing to close gracefully, and nothing more to read
  if (w._stage === Stage.UPGRADE) {
    w._stage = Stage.CLOSING;
    force = true;
  }
  if (w._stage === Stage.OPEN && !force) {
    w._buf[135] = 1000 >> 8;
    w._buf[136] = 1000 & 255;
    frame(w, 8, w._buf, 135, 137);
  }
  if (w._stage < Stage.CLOSING) w._stage = Stage.CLOSING;
  if (w._in) w._in.end(force);
}

// Writes one frame: FIN, the opcode, the length, a fresh masking key and the masked payload (5.2, 5.3).
// The header is laid out so that the payload starts at byte 8 and the key fills bytes 4-7: the payload
// is then masked four bytes at a time, with the key as one 32-bit word (the byte order does not matter,
// it is the same for both). A frame carries at most Limit.FRAME bytes (write() splits longer writes), so
// the length takes 7 or 7 + 16 bits.
function frame(w: WsLink, op: number, src: Uint8Array | string, a: number, b: number): void {
  const n = b - a;
  const at = n < 126 ? 2 : 0;
  const need = 8 + ((n + 3) & ~3); // whole words masked
  let out = w._out;
  if (out.length < need) {
    out = w._out = new Uint8Array(need < 65532 - 63 ? (need + 63) & ~63 : 65532); // 8 + Limit.FRAME at most
    w._out32 = new Int32Array(out.buffer);
  }
  out[at] = 0x80 | op;
  if (at) out[3] = 0x80 | n;
  else {
    out[1] = 0x80 | 126;
    out[2] = n >> 8;
    out[3] = n & 255;
  }
  // a fresh masking key: 32 random bits, built from two 16-bit halves (integer operations only)
  const o = w._out32;
  const mask = (o[1] = ((Math.random() * 65536) << 16) | (Math.random() * 65536));
  // (a byte string's bytes: set() takes them on the board, the only place one is written: transport.ts)
  out.set(typeof BYTE_STRINGS !== 'undefined' && typeof src === 'string' ? (src.substring(a, b) as unknown as Uint8Array) : (src as Uint8Array).subarray(a, b), 8);
  for (let k = 2, e = 2 + ((n + 3) >> 2); k < e; k++) o[k] ^= mask;
  w._in!.write(out, at, 8 + n);
}

function fail(w: WsLink, why: string): void {
  if (w._stage === Stage.CLOSED) return;
  w._stage = Stage.CLOSED;
  if (w._in) w._in.end(true);
  w._ev.notify(LinkEvent.CLOSE, { message: 'ws: ' + why });
}

// Bytes as a byte string (an HTTP head, a close reason).
function latin1(u: Uint8Array): string {
  return typeof BYTE_STRINGS !== 'undefined' ? E.toString(u) : String.fromCharCode.apply(null, u as unknown as number[]);
}
