import { Err, Type } from '../codec/constants';
import { Packet } from '../codec/reader';
import { fromBytes, toBytes, topicFilterError } from '../codec/strings';
import { encodeSubscribe, isQos } from '../codec/writer';
import { Handler, Message, SubscribeDone } from './client';
import { ClientErr, MqttError, mqttError } from './errors';
import { emit, refuse, settle } from './events';
import { Done } from './outbox';
import { nextId, send } from './outbound';
import { lose } from './session';
import { Request, Session, State } from './state';
import { matchTopic } from './topics';

// Subscriptions: the filters the application asked for (renewed on every new session), the SUBSCRIBE and
// UNSUBSCRIBE requests waiting for their acknowledgement, and the dispatch of received messages.

export function subscribe(this: Session, filter: string | string[], opts?: { qos?: number; handler?: Handler } | SubscribeDone, done?: SubscribeDone): boolean {
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
  const r = request(s, fs, qs, done);
  if (!r) return false;
  for (let i = 0; i < fs.length; i++) {
    let k = findSub(s, fs[i]);
    if (k < 0) k = s._subs.push({ _filter: fs[i], _qos: qos }) - 1;
    s._subs[k]._qos = qos;
    s._subs[k]._handler = opts && opts.handler;
  }
  return sendNow(s, r);
}

export function unsubscribe(this: Session, filter: string | string[], done?: Done): boolean {
  const s = this;
  const fs = filterBytes(s, filter);
  if (typeof fs === 'number') return refuse(s, fs, done);
  if (encodeSubscribe(s._tx, 1, fs, null) < 0) return refuse(s, Err.BUFFER_TOO_SHORT, done);
  if (s._state !== State.CONNECTED && s._fields.clean) {
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
    return settle(s, true);
  }
  const r = request(s, fs, null, done);
  if (!r) return false;
  forget(s, fs);
  return sendNow(s, r);
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

function findSub(s: Session, f: string): number {
  for (let i = 0; i < s._subs.length; i++) if (s._subs[i]._filter === f) return i;
  return -1;
}

// Stops handling and renewing these filters.
function forget(s: Session, fs: string[]): void {
  for (let i = 0; i < fs.length; i++) {
    const k = findSub(s, fs[i]);
    if (k >= 0) s._subs.splice(k, 1);
  }
}

// A new request of the application's, with its packet id for good [MQTT-2.3.1-3]; null (and refused)
// beyond `pendingRequests` or when no id is free.
function request(s: Session, fs: string[], qs: number[] | null, done?: SubscribeDone): Request | null {
  let pending = 0;
  for (let i = 0; i < s._reqs.length; i++) if (!s._reqs[i]._renewal) pending++;
  const id = pending < s._maxRequests ? nextId(s) : 0;
  if (!id) {
    refuse(s, pending < s._maxRequests ? ClientErr.NO_ID : ClientErr.REQUESTS_FULL, done);
    return null;
  }
  const r: Request = { _id: id, _filters: fs, _qos: qs, _done: done, _after: s._seq, _sent: false, _renewal: false };
  s._reqs.push(r);
  return r;
}

// Sends a new request now if nothing the application called before it is still waiting to go.
function sendNow(s: Session, r: Request): true {
  const box = s._box;
  let waiting = false;
  for (let k = box._head; k < box._end && !waiting; k++) waiting = box._stage[k] === 0; // Stage.QUEUED
  if (s._state === State.CONNECTED && !waiting) {
    send(s, encodeSubscribe(s._tx, r._id, r._filters, r._qos));
    r._sent = true;
  }
  return settle(s, true);
}

// Writes the requests not yet sent on this connection that were made before outbox message k (every one
// when k is past the last), in the order they were made.
export function sendRequests(s: Session, k: number): void {
  const box = s._box;
  for (let i = 0; i < s._reqs.length; i++) {
    const r = s._reqs[i];
    if (!r._sent && (k >= box._end || ((r._after - box._seq[k]) | 0) < 0)) {
      send(s, encodeSubscribe(s._tx, r._id, r._filters, r._qos));
      r._sent = true;
    }
  }
}

// Every remembered subscription again, on a new session, before anything else is sent, packed into as few
// SUBSCRIBEs as fit the transmit buffer; those a pending SUBSCRIBE already carries are left to it.
export function renew(s: Session): void {
  const renewals: Request[] = [];
  let r: Request | null = null;
  for (let i = 0; i < s._subs.length; i++) {
    const sub = s._subs[i];
    let carried = false; // by a pending SUBSCRIBE
    for (let j = 0; j < s._reqs.length && !carried; j++) carried = !!s._reqs[j]._qos && s._reqs[j]._filters.indexOf(sub._filter) >= 0;
    if (carried) continue;
    if (r) {
      r._filters.push(sub._filter);
      r._qos!.push(sub._qos);
      if (encodeSubscribe(s._tx, 1, r._filters, r._qos) >= 0) continue;
      r._filters.pop();
      r._qos!.pop();
    }
    const id = nextId(s);
    if (!id) break; // every id taken: the rest are renewed on the next new session
    r = { _id: id, _filters: [sub._filter], _qos: [sub._qos], _after: (s._seq - 0x40000000) | 0, _sent: false, _renewal: true };
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
  if (p.type === Type.SUBACK ? !r._qos || codes !== r._filters.length : r._qos) {
    const err = mqttError(ClientErr.ACK_MISMATCH, 'packet id ' + p.id);
    if (r._qos) forget(s, r._filters);
    emit(s, r._done, err);
    return lose(s, ClientErr.ACK_MISMATCH, 'packet id ' + p.id);
  }
  if (!r._qos) return emit(s, r._done);
  const granted: { topic: string; qos: number }[] = [];
  let err: MqttError | undefined;
  for (let i = 0; i < codes; i++) {
    const code = p.buf[p.start + i];
    const topic = fromBytes(r._filters[i]);
    granted.push({ topic: topic, qos: code });
    if (code === 0x80) {
      // refused: reported, and not renewed on later connections
      forget(s, [r._filters[i]]);
      err = mqttError(ClientErr.SUBSCRIBE_REFUSED, topic);
      err.topic = topic;
      if (!r._done) emit(s, 'error', err);
    }
  }
  emit(s, r._done, err, granted);
}

// A received message to the handlers of the filters it matches, then to 'message'.
// (Three parameters: on the board each costs a block for good.)
export function dispatch(s: Session, msg: Message, topicBytes: string): void {
  for (let i = 0; i < s._subs.length; i++) {
    const sub = s._subs[i];
    if (sub._handler && matchTopic(sub._filter, topicBytes)) emit(s, sub._handler, msg.topic, msg.payload, msg);
  }
  emit(s, 'message', msg.topic, msg.payload, msg);
}
