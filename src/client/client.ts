import { Err, Type } from '../codec/constants';
import { Packet, Reader, createReader } from '../codec/reader';
import { fromBytes, toBytes, topicFilterError } from '../codec/strings';
import { Bytes, ConnectFields, encodeAck, encodeConnect, encodeEmpty, encodePublish, encodeSubscribe, isQos } from '../codec/writer';
import { Endpoint, Link, LinkEvent, LinkEvents, Transport } from '../transport/transport';
import { ClientErr, MqttError, mqttError } from './errors';
import { Done, Outbox, Stage, append, createOutbox, findId, remove, reserve } from './outbox';
import { matchTopic } from './topics';

// The session: one connection at a time, its keep-alive, the outbox, subscriptions and their handlers,
// reconnection with backoff. It lays out no bytes (the codec does) and opens no sockets (the transport does).

export interface Clock {
  now(): number; // milliseconds
  set(fn: (arg: any) => void, ms: number, arg: any): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  clear(handle: unknown): void;
}

export interface Server {
  host: string;
  port?: number;
  protocol?: string;
}

export interface Options extends Server {
  servers?: Server[]; // failover list, tried in turn; host/port/protocol are used when absent
  clientId?: string;
  username?: string;
  password?: Bytes;
  keepalive?: number; // seconds, 0 for none
  clean?: boolean;
  will?: { topic: string; payload: Bytes; qos?: number; retain?: boolean };
  connectTimeout?: number; // ms from opening the socket to CONNACK
  reconnect?: { min?: number; max?: number; factor?: number; jitter?: number } | false;
  rxBuffer?: number; // largest inbound packet handled whole
  txBuffer?: number; // largest outbound packet, and how far writes may run ahead of the socket
  outboxBytes?: number;
  outboxMessages?: number;
  window?: number; // QoS 1/2 messages in flight at once
  overflow?: 'drop-oldest' | 'reject-new';
  offlineQos0?: 'queue' | 'drop';
  qos2Ids?: number; // inbound QoS 2 packet ids remembered for exactly-once delivery
  ca?: string;
  key?: string;
  cert?: string;
  transport?: Transport;
  clock?: Clock;
}

export type Payload = string | Uint8Array;
export type Listener = (a?: any, b?: any, c?: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Handler = (topic: string, payload: Payload, packet: Message) => void;
export type SubscribeDone = (err?: MqttError, granted?: { topic: string; qos: number }[]) => void;

export interface Message {
  topic: string;
  payload: Payload;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId: number;
}

export interface Client {
  connected: boolean;
  on(event: string, fn: Listener): Client;
  removeListener(event: string, fn: Listener): Client;
  publish(topic: string, payload: unknown, opts?: { qos?: number; retain?: boolean } | Done, done?: Done): boolean;
  subscribe(filter: string | string[], opts?: { qos?: number; handler?: Handler } | SubscribeDone, done?: SubscribeDone): boolean;
  unsubscribe(filter: string | string[], done?: Done): boolean;
  end(force?: boolean | (() => void), done?: () => void): void;
  queued(): number;
}

const enum State {
  CLOSED, // no connection; a reconnect may be scheduled
  CONNECTING, // socket opening or CONNECT sent, waiting for CONNACK
  CONNECTED,
  ENDED,
}

// What the one timer is waiting for.
const enum Wake {
  OPEN, // the first connection, once the caller has added listeners
  CONNACK, // the connect timeout
  PING, // the keep-alive
  RETRY, // the backoff before a reconnect
}

interface Subscription {
  f: string; // filter, bytes
  q: number;
  h?: Handler;
}

// A SUBSCRIBE (q: requested QoS per filter) or UNSUBSCRIBE (q: null) waiting for its acknowledgement;
// re-sent on every new connection until then.
interface Request {
  id: number;
  f: string[];
  q: number[] | null;
  cb?: SubscribeDone;
}

// The client's whole state. Its behaviour is top-level functions over this object, never functions
// defined per client: on Espruino a nested function is a new closure (about 10 blocks; under require() its
// text is copied into RAM too) each time its outer function runs, while a top-level one run from flash
// costs 4 blocks plus 1 per parameter, whatever its length.
interface Session extends Client {
  _clock: Clock;
  _transport: Transport;
  _connectTimeout: number;
  _retry: boolean; // reconnect at all
  _rmin: number;
  _rmax: number;
  _rfactor: number;
  _jitter: number;
  _tx: Uint8Array;
  _box: Outbox;
  _window: number;
  _rejectNew: boolean;
  _dropOffline: boolean;
  _q2: Uint16Array; // a ring of inbound QoS 2 packet ids; 0 is never an id
  _q2next: number;
  _servers: Endpoint[];
  _fields: ConnectFields;
  _reader: Reader;
  _listeners: { [event: string]: Listener[] };
  _subs: Subscription[];
  _reqs: Request[];
  _endDone: (() => void)[];
  _state: State;
  _ending: boolean;
  _link: Link | null;
  _gen: number; // bumped whenever a link is dropped, so its late events are ignored
  _server: number;
  _attempt: number;
  _timer: unknown;
  _wake: Wake;
  _lastSent: number;
  _lastHeard: number;
  _pingAt: number; // when the unanswered PINGREQ went out, -1 when none is
  _unflushed: number; // bytes written since the socket last drained
  _lastId: number;
  _pumping: boolean;
  _repump: boolean;
}

// The events of one link: `c` the client, `g` the generation it belongs to.
interface Events extends LinkEvents {
  c: Session;
  g: number;
}

// What publish() accepts as a payload, as bytes: strings are text (UTF-8 on the wire), numbers and the
// rest are sent as their string form.
function payloadBytes(p: unknown): Bytes {
  return p instanceof Uint8Array ? p : toBytes(p == null ? '' : String(p));
}

// The interpreter's own functions, not wrappers: a function of ours costs the board 4-7 blocks.
const defaultClock: Clock = { now: Date.now, set: setTimeout, clear: clearTimeout };

// ---- events: listeners run synchronously; what they throw is reported, never thrown into a socket callback

function call(s: Session, fn: Listener | undefined, a?: unknown, b?: unknown, c?: unknown): void {
  if (!fn) return;
  try {
    fn(a, b, c);
  } catch (e) {
    const err = mqttError(ClientErr.HANDLER, String(e));
    // an error listener that throws on this very report is logged, not handed its own throw forever
    if (a && (a as MqttError).code === ClientErr.HANDLER) console.log('mqtt: ' + err.message);
    else emit(s, 'error', err);
  }
}

function emit(s: Session, event: string, a?: unknown, b?: unknown, c?: unknown): void {
  const l = s._listeners[event];
  // an error nobody listens for is still seen
  if (event === 'error' && (!l || !l.length)) console.log('mqtt: ' + (a as MqttError).message);
  for (let i = 0; l && i < l.length; i++) call(s, l[i], a, b, c);
}

// Refuses a call's input: the callback gets the error, or else the 'error' event does.
function refuse(s: Session, code: number, done?: Listener): false {
  const err = mqttError(code);
  if (done) call(s, done, err);
  else emit(s, 'error', err);
  return false;
}

// ---- the timer: one at a time, for whatever the current state waits on

function arm(s: Session, ms: number, wake: Wake): void {
  disarm(s);
  s._wake = wake;
  s._timer = s._clock.set(onTimer, ms > 0 ? ms : 0, s);
}

function disarm(s: Session): void {
  if (s._timer != null) s._clock.clear(s._timer);
  s._timer = null;
}

function onTimer(s: Session): void {
  const wake = s._wake;
  s._timer = null;
  if (wake === Wake.CONNACK) lose(s, ClientErr.CONNECT_TIMEOUT);
  else if (wake === Wake.PING) keepAlive(s);
  else {
    // open a connection: the first one, or after the backoff
    if (wake === Wake.RETRY) emit(s, 'reconnect');
    s._state = State.CONNECTING;
    arm(s, s._connectTimeout, Wake.CONNACK);
    const ev: Events = { c: s, g: ++s._gen, notify: onLink };
    try {
      s._link = s._transport(s._servers[s._server], ev);
    } catch (e) {
      lose(s, ClientErr.SOCKET, String(e));
    }
  }
}

// ---- connection lifecycle

// What the transport reports about the link it opened; a report from an older link is ignored.
function onLink(this: Events, event: LinkEvent, arg?: any): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const s = this.c;
  if (this.g !== s._gen) return;
  if (event === LinkEvent.DATA) {
    s._reader.push(arg);
  } else if (event === LinkEvent.CONNECT) {
    s._reader.reset();
    s._lastSent = s._lastHeard = s._clock.now();
    send(s, encodeConnect(s._tx, s._fields)); // the first packet on a connection [MQTT-3.1.0-1]
  } else if (event === LinkEvent.DRAIN) {
    s._unflushed = 0;
    pump(s);
  } else {
    lose(s, arg || s._state === State.CONNECTING ? ClientErr.SOCKET : 0, arg ? arg.message || String(arg.code) : 'connection closed');
  }
}

// The end of a connection attempt or session, whatever ended it (a timeout, a malformed packet, a refusal,
// the socket closing): the link is dropped, what was in flight is requeued, and a reconnect is scheduled.
function lose(s: Session, code: number, detail?: string, longWait?: boolean): void {
  if (s._state === State.CLOSED || s._state === State.ENDED) return; // nothing live to lose
  const l = s._link;
  s._link = null;
  s._gen++;
  if (l) l.end(true);
  const was = s._state;
  const box = s._box;
  disarm(s);
  s._reader.reset();
  s._unflushed = 0;
  s._pingAt = -1;
  s._state = State.CLOSED;
  s.connected = false;
  // Session state outlives the connection [MQTT-4.1.0-1]: what was in flight is resent on the next
  // connection, in order, with DUP set and the same packet id [MQTT-3.3.1-1] [MQTT-2.3.1-3]
  // [MQTT-4.4.0-1] [MQTT-4.6.0-1]; a released QoS 2 message resends its PUBREL instead.
  for (let k = 0; k < box._count; k++) {
    if (box._stage[k] === Stage.SENT) {
      box._stage[k] = Stage.QUEUED;
      box._bytes[box._at[k]] |= 8;
    } else if (box._stage[k] === Stage.RELEASED) {
      box._stage[k] = Stage.RELEASE;
    }
  }
  if (code) emit(s, 'error', mqttError(code, detail));
  emit(s, 'close');
  if (was === State.CONNECTED) emit(s, 'offline');
  if (was !== State.CONNECTED) s._server = (s._server + 1) % s._servers.length; // failover: the next server
  if (s._ending || !s._retry) return finish(s);
  // exponential backoff with jitter; a refusal of credentials waits the longest [CONNACK 4, 5]
  const base = longWait ? s._rmax : Math.min(s._rmax, s._rmin * Math.pow(s._rfactor, s._attempt));
  s._attempt++;
  arm(s, base * (1 - s._jitter * Math.random()), Wake.RETRY);
}

function onConnack(s: Session, p: Packet): void {
  if (p.code) return lose(s, ClientErr.REFUSED + p.code, '', p.code === 4 || p.code === 5);
  disarm(s); // the connect timeout
  s._state = State.CONNECTED;
  s.connected = true;
  s._attempt = 0;
  if (!p.sessionPresent) {
    // A new session: the broker forgot our subscriptions and its QoS 2 state [MQTT-3.1.2-6].
    s._q2.fill(0);
    renew(s);
  }
  for (let i = 0; i < s._reqs.length; i++) sendRequest(s, s._reqs[i]);
  keepAlive(s);
  emit(s, 'connect', p.sessionPresent);
  pump(s);
}

// Keep-alive: a PINGREQ when nothing was sent or received for keepalive seconds [MQTT-3.1.2-23]; no
// answer within half of that and the link is dead, so a silent broker is noticed within 1.5x keepalive.
function keepAlive(s: Session): void {
  const k = s._fields.keepalive * 1000;
  if (!k || s._state !== State.CONNECTED) return;
  const t = s._clock.now();
  if (s._pingAt >= 0) {
    if (t - s._pingAt >= k / 2) return lose(s, ClientErr.PING_TIMEOUT);
  } else if (t - s._lastSent >= k || t - s._lastHeard >= k) {
    send(s, encodeEmpty(s._tx, Type.PINGREQ));
    s._pingAt = t;
  }
  arm(s, (s._pingAt >= 0 ? s._pingAt + k / 2 : Math.min(s._lastSent, s._lastHeard) + k) - t, Wake.PING);
}

function end(this: Session, force?: boolean | (() => void), done?: () => void): void {
  const s = this;
  if (typeof force === 'function') {
    done = force;
    force = false;
  }
  if (done) s._endDone.push(done);
  if (s._state === State.ENDED) return finish(s);
  s._ending = true;
  if (s._state === State.CONNECTED) {
    if (!force) return pump(s); // DISCONNECT once the outbox is empty and the socket drained
    send(s, encodeEmpty(s._tx, Type.DISCONNECT));
  }
  finish(s);
}

// The end: no link, no timer, nothing left pending; what was not delivered is reported dropped.
function finish(s: Session): void {
  const l = s._link;
  const box = s._box;
  disarm(s);
  s._link = null;
  s._gen++;
  s._state = State.ENDED;
  s.connected = false;
  if (l) {
    l.end(); // after a DISCONNECT the client closes the connection [MQTT-3.14.4-1]
    emit(s, 'close');
  }
  while (box._count) {
    const done = box._done[0];
    const err = dropped(s, ClientErr.CLOSED, 0);
    remove(box, 0);
    call(s, done, err);
  }
  while (s._reqs.length) call(s, s._reqs.shift()!.cb, mqttError(ClientErr.CLOSED));
  if (s._ending) emit(s, 'end');
  s._ending = false;
  while (s._endDone.length) call(s, s._endDone.shift());
}

// ---- writing

function send(s: Session, n: number): void {
  if (!s._link || n < 0) return;
  s._link.write(s._tx, 0, n);
  s._lastSent = s._clock.now();
  s._unflushed += n;
}

function nextId(s: Session): number {
  for (;;) {
    const id = (s._lastId = (s._lastId % 65535) + 1); // 1..65535, never 0 [MQTT-2.3.1-1]
    let used = findId(s._box, id) >= 0; // never one still in flight [MQTT-2.3.1-2]
    for (let i = 0; i < s._reqs.length; i++) used = used || s._reqs[i].id === id;
    if (!used) return id;
  }
}

// Writes queued messages in order while the window and the socket allow.
function pump(s: Session): void {
  const box = s._box;
  if (s._pumping) {
    s._repump = true;
    return;
  }
  s._pumping = true;
  do {
    s._repump = false;
    let inflight = 0;
    for (let k = 0; k < box._count && s._link && s._state === State.CONNECTED; k++) {
      const stage = box._stage[k];
      const qos = box._qos[k];
      if (stage === Stage.SENT || stage === Stage.RELEASED) {
        inflight++;
        continue;
      }
      if (stage === Stage.QUEUED && qos && inflight >= s._window) break;
      const n = stage === Stage.RELEASE ? 4 : box._len[k];
      // Never run more than one transmit buffer ahead of the socket: Espruino buffers writes without limit.
      if (s._unflushed && s._unflushed + n > s._tx.length) break;
      if (stage === Stage.RELEASE) {
        send(s, encodeAck(s._tx, Type.PUBREL, box._id[k])); // in the order of the PUBRECs [MQTT-4.6.0-4]
        box._stage[k] = Stage.RELEASED;
        inflight++;
        continue;
      }
      s._link.write(box._bytes, box._at[k], box._at[k] + n);
      s._lastSent = s._clock.now();
      s._unflushed += n;
      if (qos) {
        box._stage[k] = Stage.SENT;
        inflight++;
      } else {
        const done = box._done[k];
        remove(box, k--);
        call(s, done);
      }
    }
  } while (s._repump);
  s._pumping = false;
  if (s._ending && s._state === State.CONNECTED && !box._count && !s._unflushed) {
    send(s, encodeEmpty(s._tx, Type.DISCONNECT));
    finish(s);
  }
}

// ---- the API

function on(this: Session, event: string, fn: Listener): Client {
  (this._listeners[event] || (this._listeners[event] = [])).push(fn);
  return this;
}

function removeListener(this: Session, event: string, fn: Listener): Client {
  const l = this._listeners[event];
  const k = l ? l.indexOf(fn) : -1;
  if (k >= 0) l.splice(k, 1);
  return this;
}

function queued(this: Session): number {
  return this._box._count;
}

function publish(this: Session, topic: string, payload: unknown, opts?: { qos?: number; retain?: boolean } | Done, done?: Done): boolean {
  const s = this;
  const box = s._box;
  if (typeof opts === 'function') {
    done = opts;
    opts = undefined;
  }
  const qos = (opts && opts.qos) || 0;
  if (s._state === State.ENDED || s._ending) return refuse(s, ClientErr.CLOSED, done);
  if (!isQos(qos)) return refuse(s, Err.BAD_QOS, done);
  let t: string;
  let p: Bytes;
  try {
    t = toBytes(String(topic));
    p = payloadBytes(payload);
  } catch (e) {
    return refuse(s, Err.BAD_UTF8, done); // a lone surrogate in host text
  }
  // Encoding into the transmit buffer validates everything and gives the exact bytes to queue.
  const id = qos ? nextId(s) : 0;
  const n = encodePublish(s._tx, t, p, qos, !!(opts && opts.retain), false, id);
  if (n < 0) return refuse(s, -n, done);
  if (!qos && s._state !== State.CONNECTED && s._dropOffline) {
    call(s, done, dropped(s, ClientErr.OFFLINE, 0, t, 0));
    return false;
  }
  if (n > box._bytes.length) return refuse(s, Err.BUFFER_TOO_SHORT, done); // would never fit: evict nothing
  let at = reserve(box, n);
  // Full: either refuse the new message, or give up the oldest not yet in flight until it fits.
  for (let k = 0; at < 0 && !s._rejectNew && k < box._count; ) {
    if (box._stage[k] !== Stage.QUEUED) {
      k++;
      continue;
    }
    const gone = box._done[k];
    const err = dropped(s, ClientErr.OUTBOX_FULL, k);
    remove(box, k);
    call(s, gone, err);
    at = reserve(box, n);
  }
  if (at < 0) {
    call(s, done, dropped(s, ClientErr.OUTBOX_FULL, 0, t, qos));
    return false;
  }
  box._bytes.set(s._tx.subarray(0, n), at);
  append(box, at, n, id, qos, done);
  pump(s);
  return true;
}

// Reports a message the client gives up on: outbox message k, or the one described by topic and qos.
function dropped(s: Session, code: number, k: number, topic?: string, qos?: number): MqttError {
  const err = mqttError(code);
  if (topic == null) {
    // read the topic back from the stored PUBLISH: after the fixed header, a 2-byte length
    const b = s._box._bytes;
    let p = s._box._at[k] + 1;
    while (b[p++] & 128);
    topic = '';
    for (let i = p + 2, e = p + 2 + ((b[p] << 8) | b[p + 1]); i < e; i++) topic += String.fromCharCode(b[i]);
    qos = s._box._qos[k];
  }
  err.topic = fromBytes(topic);
  err.qos = qos;
  emit(s, 'drop', err);
  return err;
}

// Validates filters as bytes; returns them, or the error code.
function filterBytes(s: Session, filter: string | string[]): string[] | number {
  const list = typeof filter === 'string' ? [filter] : filter;
  const out: string[] = [];
  if (s._state === State.ENDED || s._ending) return ClientErr.CLOSED;
  if (!list || !list.length) return Err.NO_FILTERS;
  for (let i = 0; i < list.length; i++) {
    let f: string;
    try {
      f = toBytes(String(list[i]));
    } catch (e) {
      return Err.BAD_UTF8;
    }
    const err = topicFilterError(f);
    if (err) return err;
    out.push(f);
  }
  return out;
}

function subscribe(this: Session, filter: string | string[], opts?: { qos?: number; handler?: Handler } | SubscribeDone, done?: SubscribeDone): boolean {
  const s = this;
  if (typeof opts === 'function') {
    done = opts;
    opts = undefined;
  }
  const qos = (opts && opts.qos) || 0;
  const fs = filterBytes(s, filter);
  if (typeof fs === 'number') return refuse(s, fs, done);
  if (!isQos(qos)) return refuse(s, Err.BAD_QOS, done);
  const qs: number[] = [];
  for (let i = 0; i < fs.length; i++) qs.push(qos);
  const n = encodeSubscribe(s._tx, 1, fs, qs); // must fit one packet
  if (n < 0) return refuse(s, -n, done);
  for (let i = 0; i < fs.length; i++) {
    let k = findSub(s, fs[i]);
    if (k < 0) k = s._subs.push({ f: fs[i], q: qos }) - 1;
    s._subs[k].q = qos;
    s._subs[k].h = opts && opts.handler;
  }
  request(s, { id: 0, f: fs, q: qs, cb: done });
  return true;
}

function unsubscribe(this: Session, filter: string | string[], done?: Done): boolean {
  const s = this;
  const fs = filterBytes(s, filter);
  if (typeof fs === 'number') return refuse(s, fs, done);
  if (encodeSubscribe(s._tx, 1, fs, null) < 0) return refuse(s, Err.BUFFER_TOO_SHORT, done);
  for (let i = 0; i < fs.length; i++) {
    const k = findSub(s, fs[i]);
    if (k >= 0) s._subs.splice(k, 1);
  }
  // Offline with a clean session there is nothing left at the broker to remove.
  if (s._state !== State.CONNECTED && s._fields.clean) call(s, done);
  else request(s, { id: 0, f: fs, q: null, cb: done });
  return true;
}

function findSub(s: Session, f: string): number {
  for (let i = 0; i < s._subs.length; i++) if (s._subs[i].f === f) return i;
  return -1;
}

function request(s: Session, r: Request): void {
  s._reqs.push(r);
  if (s._state === State.CONNECTED) sendRequest(s, r);
}

function sendRequest(s: Session, r: Request): void {
  r.id = nextId(s);
  send(s, encodeSubscribe(s._tx, r.id, r.f, r.q));
}

// Every remembered subscription again, packed into as few SUBSCRIBEs as fit the transmit buffer;
// those a pending SUBSCRIBE already carries are left to it.
function renew(s: Session): void {
  let r: Request | null = null;
  for (let i = 0; i < s._subs.length; i++) {
    const sub = s._subs[i];
    if (pending(s, sub.f)) continue;
    if (!r) r = { id: 0, f: [], q: [] };
    r.f.push(sub.f);
    r.q!.push(sub.q);
    if (encodeSubscribe(s._tx, 1, r.f, r.q) < 0 && r.f.length > 1) {
      r.f.pop();
      r.q!.pop();
      s._reqs.push(r);
      r = { id: 0, f: [sub.f], q: [sub.q] };
    }
  }
  if (r) s._reqs.push(r);
}

function pending(s: Session, f: string): boolean {
  for (let i = 0; i < s._reqs.length; i++) if (s._reqs[i].q && s._reqs[i].f.indexOf(f) >= 0) return true;
  return false;
}

// ---- reading: socket bytes -> reader -> here -> handlers

function onPacket(this: Session, p: Packet): void {
  const s = this;
  const type = p.type;
  s._lastHeard = s._clock.now();
  s._pingAt = -1; // any packet proves the broker alive
  if (type === Type.CONNACK) {
    if (s._state === State.CONNECTING) onConnack(s, p);
    else lose(s, ClientErr.PROTOCOL, 'second CONNACK');
  } else if (s._state !== State.CONNECTED) {
    lose(s, ClientErr.PROTOCOL, 'packet before CONNACK');
  } else if (type === Type.PUBLISH) {
    onPublish(s, p);
  } else if (type === Type.PUBACK || type === Type.PUBREC || type === Type.PUBCOMP) {
    onAck(s, type, p.id);
  } else if (type === Type.PUBREL) {
    for (let i = 0; i < s._q2.length; i++) if (s._q2[i] === p.id) s._q2[i] = 0; // exactly once: forget the id
    send(s, encodeAck(s._tx, Type.PUBCOMP, p.id)); // also for an id we do not know
  } else if (type === Type.SUBACK || type === Type.UNSUBACK) {
    onSuback(s, p);
  }
}

// Malformed input: close, then reconnect [MQTT-4.8.0-1].
function onMalformed(this: Session, code: number): void {
  lose(this, code);
}

function onPublish(s: Session, p: Packet): void {
  const qos = p.qos;
  const id = p.id;
  const fresh = qos < 2 || s._q2.indexOf(id) < 0; // not a resent QoS 2 message already delivered
  if (p.error) {
    // Too large for the receive buffer: skipped, reported, and still acknowledged [MQTT-4.5.0-2].
    const err = mqttError(p.error);
    err.topic = fromBytes(p.topic);
    err.qos = qos;
    err.size = p.length;
    emit(s, 'drop', err);
  } else if (fresh) {
    deliver(s, p);
  }
  // Acknowledged after the handlers ran, in the order received [MQTT-4.3.2-2] [MQTT-4.6.0-2] [MQTT-4.6.0-3];
  // a QoS 2 id is remembered until its PUBREL, so a resent PUBLISH is not delivered twice [MQTT-4.3.3-2].
  if (qos === 2 && fresh) {
    s._q2[s._q2next] = id;
    s._q2next = (s._q2next + 1) % s._q2.length;
  }
  if (qos) send(s, encodeAck(s._tx, qos === 1 ? Type.PUBACK : Type.PUBREC, id));
}

function deliver(s: Session, p: Packet): void {
  const topic = fromBytes(p.topic);
  const body = p.buf.subarray(p.start, p.end);
  // Espruino: a byte string; Node: a Buffer; elsewhere a Uint8Array copy.
  const payload: Payload =
    typeof E !== 'undefined' ? E.toString(body) : typeof Buffer !== 'undefined' ? Buffer.from(body) : body.slice();
  if (payload === undefined) {
    // E.toString gives undefined when the board has no room: report it, never hand a handler `undefined`.
    // The message is still acknowledged: the client elects not to process it [MQTT-4.5.0-2]. Closing the
    // connection instead, as for a transient error [MQTT-4.8.0-2], would have the broker resend it into the
    // same shortage (a payload that fits the receive buffer and still finds no room is not passing), and
    // would drop what else was in flight.
    const err = mqttError(Err.NO_MEMORY);
    err.topic = topic;
    err.qos = p.qos;
    err.size = p.end - p.start;
    return emit(s, 'drop', err);
  }
  const msg: Message = { topic: topic, payload: payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.id };
  for (let i = 0; i < s._subs.length; i++) {
    const sub = s._subs[i];
    if (sub.h && matchTopic(sub.f, p.topic)) call(s, sub.h, topic, payload, msg);
  }
  emit(s, 'message', topic, payload, msg);
}

function onAck(s: Session, type: Type, id: number): void {
  const box = s._box;
  const k = findId(box, id);
  const stage = k < 0 ? -1 : box._stage[k];
  // PUBACK answers a QoS 1 PUBLISH, PUBREC a QoS 2 one, PUBCOMP a PUBREL [MQTT-2.3.1-6]
  if (type === Type.PUBCOMP ? stage !== Stage.RELEASED : stage !== Stage.SENT || box._qos[k] !== (type === Type.PUBACK ? 1 : 2)) {
    return lose(s, ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + id);
  }
  if (type === Type.PUBREC) {
    box._stage[k] = Stage.RELEASE;
  } else {
    const done = box._done[k];
    remove(box, k);
    call(s, done);
  }
  pump(s);
}

function onSuback(s: Session, p: Packet): void {
  let k = 0;
  while (k < s._reqs.length && s._reqs[k].id !== p.id) k++;
  const r = s._reqs[k];
  const codes = p.end - p.start;
  if (!r || (p.type === Type.SUBACK ? !r.q || codes !== r.f.length : r.q)) {
    return lose(s, ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + p.id);
  }
  s._reqs.splice(k, 1);
  if (!r.q) return call(s, r.cb);
  const granted: { topic: string; qos: number }[] = [];
  let err: MqttError | undefined;
  for (let i = 0; i < codes; i++) {
    const code = p.buf[p.start + i];
    const topic = fromBytes(r.f[i]);
    granted.push({ topic: topic, qos: code });
    if (code === 0x80) {
      // refused: reported, and not renewed on later connections
      const j = findSub(s, r.f[i]);
      if (j >= 0) s._subs.splice(j, 1);
      err = mqttError(ClientErr.SUBSCRIBE_REFUSED, topic);
      err.topic = topic;
      if (!r.cb) emit(s, 'error', err);
    }
  }
  call(s, r.cb, err, granted);
}

// ---- making one

export function createClient(o: Options, defaultTransport?: Transport): Client {
  const transport = o.transport || defaultTransport;
  const backoff = o.reconnect || {};
  const txSize = o.txBuffer || 512;
  const tx = new Uint8Array(txSize);
  const list = o.servers || [o];
  const servers: Endpoint[] = [];
  for (let i = 0; i < list.length; i++) {
    const protocol = list[i].protocol || 'mqtt';
    servers.push({ host: list[i].host, port: list[i].port || (protocol === 'mqtts' ? 8883 : 1883), protocol: protocol, ca: o.ca, key: o.key, cert: o.cert });
  }
  const will = o.will;
  const fields: ConnectFields = {
    clientId: toBytes(o.clientId != null ? o.clientId : typeof getSerial === 'function' ? getSerial() : 'mqtt-' + Math.random().toString(16).substr(2, 10)),
    keepalive: o.keepalive == null ? 60 : o.keepalive,
    clean: o.clean !== false,
    username: o.username != null ? toBytes(o.username) : undefined,
    password: o.password != null ? payloadBytes(o.password) : undefined,
    will: will ? { topic: toBytes(will.topic), payload: payloadBytes(will.payload), qos: will.qos || 0, retain: will.retain } : null,
  };
  // Bad options are refused at once, before any socket is opened.
  const check = encodeConnect(tx, fields);
  if (check < 0) throw mqttError(-check);
  if (!transport) throw mqttError(ClientErr.NO_TRANSPORT);
  const s: Session = {
    connected: false,
    on: on,
    removeListener: removeListener,
    publish: publish,
    subscribe: subscribe,
    unsubscribe: unsubscribe,
    end: end,
    queued: queued,
    _clock: o.clock || defaultClock,
    _transport: transport,
    _connectTimeout: o.connectTimeout || 30000,
    _retry: o.reconnect !== false,
    _rmin: backoff.min || 1000,
    _rmax: backoff.max || 60000,
    _rfactor: backoff.factor || 2,
    _jitter: backoff.jitter != null ? backoff.jitter : 0.5,
    _tx: tx,
    _box: createOutbox(o.outboxBytes || 2 * txSize, o.outboxMessages || 16),
    _window: o.window || 8,
    _rejectNew: o.overflow === 'reject-new',
    _dropOffline: o.offlineQos0 === 'drop',
    _q2: new Uint16Array(o.qos2Ids || 16),
    _q2next: 0,
    _servers: servers,
    _fields: fields,
    _reader: null as unknown as Reader,
    _listeners: {},
    _subs: [],
    _reqs: [],
    _endDone: [],
    _state: State.CLOSED,
    _ending: false,
    _link: null,
    _gen: 0,
    _server: 0,
    _attempt: 0,
    _timer: null,
    _wake: Wake.OPEN,
    _lastSent: 0,
    _lastHeard: 0,
    _pingAt: -1,
    _unflushed: 0,
    _lastId: 0,
    _pumping: false,
    _repump: false,
  };
  s._reader = createReader(o.rxBuffer || 512, onPacket, onMalformed, s);
  arm(s, 0, Wake.OPEN); // connect once the caller has had a chance to add listeners
  return s;
}
