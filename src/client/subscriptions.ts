import { Err, Type } from '../codec/constants';
import { Packet } from '../codec/reader';
import { fromBytes, toBytes, topicError } from '../codec/strings';
import { SCRATCH, encodeSubscribe, measured, scratch } from '../codec/writer';
import { Handler, Listener, Message, SubscribeDone } from './client';
import { ClientErr, MqttError, mqttError } from './errors';
import { emit, flush, refuse } from './events';
import { Done } from './outbox';
import { nextId, send } from './outbound';
import { lose } from './session';
import { Default, Opt, Request, Session, State } from './state';
import { matchTopic } from './topics';
import { copyProps, reasonError, unavailable, unsubscribed } from './v5';
import { Properties } from '../codec/properties';

// 5.0: subscribe()'s options beyond QoS (3.8.3.1 of 5.0): No Local, Retain As Published, Retain Handling.
export interface SubscribeOptions {
  qos?: number;
  handler?: Handler;
  nl?: boolean;
  rap?: boolean;
  rh?: number;
  properties?: Properties; // 5.0: subscriptionIdentifier, userProperties
}

// A request as its packet, encoded into b: its length, also when b is the scratch and only that was too short
// (writer.ts measured), or the negated error (5.0: with its properties, or none; refused when larger than the
// server's Maximum Packet Size, which a client must not exceed: 3.2.2.3.6 of 5.0, or when a SUBSCRIBE the
// server said it cannot take: v5.ts unavailable).
function encodeRequest(s: Session, b: Uint8Array, id: number, r: { _filters: string[]; _qos: number[] | null; _props?: Properties | null }): number {
  const n = measured(MQTT5 && s._v5 ? encodeSubscribe(b, id, r._filters, r._qos, r._props || null) : encodeSubscribe(b, id, r._filters, r._qos), s._txMax);
  return MQTT5 && s._v5 && n > s._maxPacket! ? -ClientErr.PACKET_TOO_LARGE : MQTT5 && s._v5 && r._qos && s._subNo && n > 0 ? -unavailable(s, r) || n : n;
}

// Subscriptions: the filters the application asked for (renewed on every new session), the SUBSCRIBE and
// UNSUBSCRIBE requests waiting for their acknowledgement, and the dispatch of received messages.

export function subscribe(this: Session, filter: string | string[], opts?: SubscribeOptions | SubscribeDone, done?: SubscribeDone): boolean {
  const s = this;
  if (typeof opts === 'function') {
    done = opts;
    opts = undefined;
  }
  let qos = (opts && opts.qos) || 0;
  const fs = filterBytes(s, filter);
  if (typeof fs === 'number') return refuse(s, fs, done);
  if (qos !== 0 && qos !== 1 && qos !== 2) return refuse(s, Err.BAD_QOS, done);
  // 5.0: the options byte in place of the QoS (encodeSubscribe checks it)
  // (Retain Handling other than 0, 1 or 2 sets 0x40, a reserved bit: refused there)
  if (MQTT5 && s._v5 && opts) qos = qos + (opts.nl ? 4 : 0) + (opts.rap ? 8 : 0) + (opts.rh === 1 || opts.rh === 2 ? opts.rh * 16 : opts.rh ? 0x40 : 0);
  const qs: number[] = [];
  for (let i = 0; i < fs.length; i++) qs.push(qos);
  const props = MQTT5 && s._v5 ? copyProps(opts && opts.properties) : undefined;
  const n = encodeRequest(s, scratch || new Uint8Array(SCRATCH), 1, { _filters: fs, _qos: qs, _props: props }); // must fit one packet
  if (n < 0) return refuse(s, -n, done);
  if (!request(s, fs, qs, done, props)) return false;
  for (let i = 0, k; i < fs.length; i++) {
    // the filter's entry (one each), or a new one
    for (k = 0; k < s._subs.length && s._subs[k]._filter !== fs[i]; k++);
    if (k === s._subs.length) s._subs.push({ _filter: fs[i], _qos: qos });
    s._subs[k]._qos = qos;
    s._subs[k]._handler = opts && opts.handler;
    if (MQTT5) s._subs[k]._props = props;
  }
  if (opts && opts.handler) s._opts |= Opt.HANDLERS;
  flush(s);
  return true;
}

export function unsubscribe(this: Session, filter: string | string[], done?: Done): boolean {
  const s = this;
  const fs = filterBytes(s, filter);
  if (typeof fs === 'number') return refuse(s, fs, done);
  const un = encodeRequest(s, scratch || new Uint8Array(SCRATCH), 1, { _filters: fs, _qos: null });
  if (un < 0) return refuse(s, MQTT5 && un === -ClientErr.PACKET_TOO_LARGE ? ClientErr.PACKET_TOO_LARGE : Err.BUFFER_TOO_SHORT, done);
  if (s._state !== State.CONNECTED && s._opts & Opt.CLEAN) {
    // Offline with a clean session the broker will have nothing of ours: no UNSUBSCRIBE to send, and a
    // SUBSCRIBE for these filters still waiting to go must not go.
    forget(s, fs);
    for (let i = 0; i < s._reqs.length; i++) {
      const r = s._reqs[i];
      for (let j = 0; r._qos && j < fs.length; j++) {
        const k = r._filters.indexOf(fs[j]);
        if (k >= 0) {
          r._filters.splice(k, 1);
          r._qos.splice(k, 1);
        }
      }
      if (!r._filters.length) {
        s._reqs.splice(i--, 1);
        emit(s, r._done, undefined, []); // nothing left of it to subscribe
      }
    }
    emit(s, done);
    flush(s);
    return true;
  }
  if (!request(s, fs, null, done)) return false;
  forget(s, fs);
  flush(s);
  return true;
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
    const err = topicError(f, 1);
    if (err) return err;
    out.push(f);
  }
  return out;
}

// Stops handling and renewing these filters.
function forget(s: Session, fs: string[]): void {
  for (let k = s._subs.length - 1; k >= 0; k--) if (fs.indexOf(s._subs[k]._filter) >= 0) s._subs.splice(k, 1);
}

// A new request of the application's, with its packet id for good [MQTT-2.3.1-3], sent now if nothing the
// application called before it is still waiting to go; false (and refused) beyond `pendingRequests` or when
// no id is free. Its events are the caller's to flush, once it has recorded what the request changes.
function request(s: Session, fs: string[], qs: number[] | null, done?: SubscribeDone, props?: Properties | null): boolean {
  let pending = 0;
  for (let i = 0; i < s._reqs.length; i++) if (!s._reqs[i]._renewal) pending++;
  const room = pending < (s._maxRequests || Default.REQUESTS);
  const id = room ? nextId(s) : 0;
  if (!id) {
    refuse(s, room ? ClientErr.NO_ID : ClientErr.REQUESTS_FULL, done);
    return false;
  }
  const r: Request = { _id: id, _filters: fs, _qos: qs, _done: done, _after: s._seq, _sent: false, _renewal: false };
  if (MQTT5) r._props = props;
  s._reqs.push(r);
  const box = s._box;
  let waiting = false;
  for (let k = box._head; k < box._end && !waiting; k++) waiting = box._stage[k] === 0; // Stage.QUEUED
  if (s._state === State.CONNECTED && !waiting) {
    writeRequest(s, r);
  }
  return true;
}

// Writes the requests not yet sent on this connection that were made before outbox message k (every one
// when k is past the last), in the order they were made.
export function sendRequests(s: Session, k: number): void {
  const box = s._box;
  for (let i = 0; i < s._reqs.length; i++) {
    const r = s._reqs[i];
    if (!r._sent && (k >= box._end || ((r._after - box._seq[k]) | 0) < 0)) {
      if (!writeRequest(s, r)) i--;
    }
  }
}

// Writes request r; false when it was given up instead (5.0: larger than this server's Maximum Packet
// Size, which it learnt after the request was made: the request fails with code 52, its filters are not
// renewed, rather than go unanswered for good).
function writeRequest(s: Session, r: Request): boolean {
  // (into the scratch, then into a buffer of the packet's length: writer.ts)
  let b = scratch || new Uint8Array(SCRATCH);
  let n = encodeRequest(s, b, r._id, r);
  if (n > SCRATCH) n = encodeRequest(s, (b = new Uint8Array(n)), r._id, r);
  if (n < 0) {
    s._reqs.splice(s._reqs.indexOf(r), 1);
    if (r._qos) forget(s, r._filters);
    emit(s, r._done || 'error', mqttError(-n));
    return false;
  }
  send(s, n, b);
  r._sent = true;
  return true;
}

// Every remembered subscription again, on a new session, before anything else is sent, packed into as few
// SUBSCRIBEs as fit txBuffer; those a pending SUBSCRIBE already carries are left to it.
export function renew(s: Session): void {
  const renewals: Request[] = [];
  let r: Request | null = null;
  for (let i = 0, sub; (sub = s._subs[i]); i++) {
    let carried = false; // by a pending SUBSCRIBE
    for (let j = 0; j < s._reqs.length && !carried; j++) carried = !!s._reqs[j]._qos && s._reqs[j]._filters.indexOf(sub._filter) >= 0;
    if (carried) continue;
    // 5.0: one with properties (a Subscription Identifier is one per SUBSCRIBE) goes in a SUBSCRIBE of its own
    if (r && !(MQTT5 && (sub._props || r._props))) {
      r._filters.push(sub._filter);
      r._qos!.push(sub._qos);
      if (encodeRequest(s, scratch || new Uint8Array(SCRATCH), 1, r) >= 0) continue;
      r._filters.pop();
      r._qos!.pop();
    }
    const id = nextId(s);
    if (!id) break; // every id taken: the rest are renewed on the next new session
    r = { _id: id, _filters: [sub._filter], _qos: [sub._qos], _after: (s._seq - 0x40000000) | 0, _sent: false, _renewal: true };
    if (MQTT5) r._props = sub._props;
    renewals.push(r);
  }
  s._reqs = renewals.concat(s._reqs);
}

// A SUBACK or UNSUBACK: it must answer a pending request of its kind, a SUBACK with one code per filter.
// One that does not is a protocol violation: the request fails (it is not sent again, to be answered
// wrongly again) and the connection closes.
export function onSuback(s: Session, p: Packet): void {
  let k = 0;
  while (k < s._reqs.length && s._reqs[k]._id !== p.id) k++;
  const r = s._reqs[k];
  if (!r) return lose(s, ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + p.id);
  s._reqs.splice(k, 1);
  const codes = p.end - p.start;
  // (a 5.0 UNSUBACK has a code per filter too)
  if (MQTT5 && s._v5 ? !r._qos === (p.type === Type.SUBACK) || codes !== r._filters.length : p.type === Type.SUBACK ? !r._qos || codes !== r._filters.length : r._qos) {
    const err = mqttError(ClientErr.ACK_MISMATCH, 'packet id ' + p.id);
    if (r._qos) forget(s, r._filters);
    emit(s, r._done, err);
    return lose(s, ClientErr.ACK_MISMATCH, 'packet id ' + p.id);
  }
  // 5.0: an UNSUBACK's codes (a function: locals here would share a `var` with the loop's below, declared
  // after this use, which the interpreter, not hoisting, cannot find)
  if (MQTT5 && s._v5 && !r._qos) return unsubscribed(s, p, r);
  if (!r._qos) return emit(s, r._done);
  const granted: { topic: string; qos: number }[] = [];
  let err: MqttError | undefined;
  for (let i = 0; i < codes; i++) {
    const code = p.buf[p.start + i];
    const topic = fromBytes(r._filters[i]);
    granted.push({ topic: topic, qos: code });
    if (MQTT5 ? code >= 0x80 : code === 0x80) {
      // refused: reported, and not renewed on later connections (5.0: with the server's reason)
      forget(s, [r._filters[i]]);
      err = MQTT5 && s._v5 ? reasonError(ClientErr.SUBSCRIBE_REFUSED, code, p.props, topic) : mqttError(ClientErr.SUBSCRIBE_REFUSED, topic);
      err.topic = topic;
      if (!r._done) emit(s, 'error', err);
    }
  }
  emit(s, r._done, err, granted);
}

// A received message to the handlers of the filters it matches, then to 'message'.
// (Three parameters: on the board each costs a block for good.)
// Returns the 'message' listener to run at once, after the acknowledgement (onPacket), when it is the only
// one and nothing is queued or running (a message between packets, the usual case): what emit then flush
// would do, in the same order, without the queue's pass (on the board about 25 us a message). Everything
// that allocates happens here, before the acknowledgement: a board out of memory fails the connection and
// the broker sends the message again.
export function dispatch(s: Session, msg: Message, topicBytes: string): Listener | undefined {
  // (none looked at until one has a handler: on the board the loop costs about 9 us a message for each)
  if (s._opts & Opt.HANDLERS) {
    for (let i = 0, sub; (sub = s._subs[i]); i++) {
      // a shared subscription ($share/<group>/<filter>, 4.8.2 of 5.0; some 3.1.1 brokers too) by its filter
      const f = MQTT5 && sub._filter.indexOf('$share/') === 0 ? sub._filter.substring(sub._filter.indexOf('/', 7) + 1) : sub._filter;
      if (sub._handler && matchTopic(f, topicBytes)) emit(s, sub._handler, msg.topic, msg.payload, msg);
    }
  }
  const fn = s._listeners.message;
  if (!s._flushing && !s._queue && typeof fn === 'function') return fn;
  emit(s, 'message', msg.topic, msg.payload, msg);
  return undefined;
}
