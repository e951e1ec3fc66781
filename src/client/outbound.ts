import { Err, Type } from '../codec/constants';
import { chars, fromBytes, toBytes, topicError, validTopic } from '../codec/strings';
import { Bytes, encodePublish, putHeader, scratch } from '../codec/writer';
import { In, Properties, propsSize } from '../codec/properties';
import { ClientErr, MqttError, mqttError } from './errors';
import { emit, flush, refuse } from './events';
import { Done, Stage, remove, store } from './outbox';
import { finish } from './session';
import { Opt, State, Session } from './state';
import { sendRequests } from './subscriptions';
import { bye, expire, topicAliasOut } from './v5';
import { PublishOptions } from './client';

// Publishing: into the outbox, out through the window and the socket, given up when the outbox overflows.

// What publish() accepts as a payload, as bytes: strings are text (UTF-8 on the wire), numbers and the
// rest are sent as their string form.
export function payloadBytes(p: unknown): Bytes {
  // (on the board toBytes is String() itself: one call)
  return p instanceof Uint8Array ? p : toBytes(p == null ? '' : typeof BYTE_STRINGS !== 'undefined' ? (p as string) : String(p));
}

// Returns false when the caller should stop (Node's stream convention): the message was refused, or it was
// taken and a message as large would not fit any more. 'drain' follows once one would.
export function publish(this: Session, topic: string, payload: unknown, opts?: PublishOptions | Done, done?: Done): boolean {
  const s = this;
  const box = s._box;
  if (typeof opts === 'function') {
    done = opts;
    opts = undefined;
  }
  const qos = (opts && opts.qos) || 0;
  if (s._state === State.ENDED || s._ending) return refuse(s, ClientErr.CLOSED, done);
  if (qos !== 0 && qos !== 1 && qos !== 2) return refuse(s, Err.BAD_QOS, done); // (a QoS test written out, as in subscribe)
  let t: string;
  let p: Bytes;
  try {
    t = toBytes(typeof BYTE_STRINGS !== 'undefined' ? topic : String(topic));
    // (payloadBytes written out on the board, where toBytes is String: a call costs more; a string, the usual
    // payload, is taken as it is: its typeof test costs less than instanceof and String, 1.6 us)
    p = typeof BYTE_STRINGS !== 'undefined' ? (typeof payload === 'string' || payload instanceof Uint8Array ? payload : String(payload == null ? '' : payload)) : payloadBytes(payload);
  } catch (e) {
    return refuse(s, Err.BAD_UTF8, done); // a lone surrogate in host text
  }
  // Encoding validates everything and gives the exact bytes to queue.
  // (nextId's first cases written out: an id never given, or none in use, one message at a time; a call
  // costs more on the board, and nextId's search about 30 us with messages in flight)
  const id = !qos ? 0 : s._lastId < 65535 ? ++s._lastId : box._end === box._head && !s._reqs[0] ? (s._lastId = 65536 + (s._lastId % 65535)) - 65535 : nextId(s);
  if (qos && !id) return refuse(s, ClientErr.NO_ID, done);
  // 5.0: with its properties (null for none), and what the server said it takes: its Maximum QoS, Retain
  // Available, Maximum Packet Size (3.2.2.3.4-6 of 5.0); the client assigns topic aliases itself (v5.ts)
  const props = MQTT5 && s._v5 ? (opts && opts.properties) || null : undefined;
  const retain = !!(opts && opts.retain);
  // What is written and stored: the packet's n bytes (src), or on the board the usual PUBLISH as a
  // byte string of n bytes. That one is a topic found valid (validTopic, strings.ts), a text payload, a
  // one-byte remaining length, and a packet no longer than txBuffer, so it passes every check of
  // encodePublish (the QoS and id were checked above); the tests and the concatenation cost about half the
  // encoding (32 us against 59 on the board), and the socket takes it without a copy into a string
  // (transport.ts). Its layout is encodePublish's: fixed header, topic with its length, the packet id at
  // QoS 1/2, the payload.
  let src: Bytes;
  let n: number;
  if (typeof BYTE_STRINGS !== 'undefined' && !(MQTT5 && s._v5) && typeof p === 'string' && (n = (qos ? 6 : 4) + t.length + p.length) < 130 && n <= s._txMax && (t === validTopic || !topicError(t))) {
    src = chars((Type.PUBLISH << 4) | (qos << 1) | (retain ? 1 : 0), n - 2, 0, t.length) + t + (qos ? chars(id >> 8, id & 255) + p : p);
  } else {
    // One encoding, into a buffer made for it (writer.ts): as long as the packet at most, its parts' lengths
    // and a header of 5 bytes (a few bytes more than it takes), and never longer than txBuffer, so that the
    // encoder refuses a longer packet as too long for it. (withAlias bounds its PUBLISH the same way.)
    // (calls in the library, not closures made on every publish: KEEP_HOT_CALLS)
    n = 9 + t.length + p.length + (MQTT5 && s._v5 ? (props ? propsSize(props, In.PUBLISH) : 1) : 0);
    src = new Uint8Array(MQTT5 && n < 0 ? 0 : n < s._txMax ? n : s._txMax); // (5.0, n < 0: properties refused below)
    n =
      MQTT5 && s._v5
        ? encodePublish(src, t, p, qos, retain, false, id, props)
        : KEEP_HOT_CALLS
          ? /*#__NOINLINE__*/ encodePublish(src, t, p, qos, retain, false, id)
          : encodePublish(src, t, p, qos, retain, false, id);
    if (n < 0) return refuse(s, -n, done);
  }
  if (MQTT5 && s._v5) {
    const why = props && props.topicAlias ? Err.BAD_PROPERTY : qos > s._maxQos! ? ClientErr.QOS_NOT_SUPPORTED : retain && !s._retainOk ? ClientErr.RETAIN_NOT_SUPPORTED : n > s._maxPacket! ? ClientErr.PACKET_TOO_LARGE : 0;
    if (why) return refuse(s, why, done);
  }
  if (!qos && s._state !== State.CONNECTED && s._opts & Opt.DROP_OFFLINE) {
    emit(s, done, reportDrop(s, ClientErr.OFFLINE, -1, t, 0));
    s._wantRoom = n; // 'drain' once connected again
    flush(s);
    return false;
  }
  if (n > box._cap) return refuse(s, Err.BUFFER_TOO_SHORT, done); // would never fit: evict nothing
  // QoS 0 with nothing queued ahead of it and the socket keeping up: written at once, never stored (what pump
  // would do after storing it). Requests go out at once when nothing waits (sendNow in subscriptions.ts).
  // (nothing unwritten, the usual case, needs no look at the buffer's length: the message fit it)
  if (!qos && s._state === State.CONNECTED && box._head === box._end && (!s._link!._unsent || s._link!._unsent + n <= s._txMax)) {
    if (MQTT5 && s._aliasMax) withAlias(s, t, p, qos, retain, id, props!, n, src);
    else send(s, n, src);
    if (done) emit(s, done);
    if (s._queue) flush(s);
    return true;
  }
  // Full: room made, or the message refused or reported dropped (makeRoom). (the room test of outbox.ts,
  // written out; the rest a call only when the outbox is full)
  if (!((box._end < box._slots || box._head > 0) && box._cap - box._used >= n) && !(KEEP_HOT_CALLS ? /*#__NOINLINE__*/ makeRoom(s, n, t, qos, done) : makeRoom(s, n, t, qos, done))) return false;
  s._seq = (s._seq + 1) | 0;
  if (KEEP_HOT_CALLS) /*#__NOINLINE__*/ store(box, src, n, id, s._seq, done);
  else store(box, src, n, id, s._seq, done);
  const k = box._end - 1;
  // 5.0: when it expires, by the client's clock
  if (MQTT5 && box._exp) box._exp[k] = props && props.messageExpiryInterval != null ? s._clock.now() + 1000 * (props.messageExpiryInterval as number) : 0;
  // QoS 1/2 next in line (every message before it in flight, so pump last reached the end and wrote the requests
  // made before it), the window open and the socket keeping up: written now (its buffer, or its byte
  // string), as pump would write it from the outbox; otherwise pump decides.
  if (qos && k === box._next && k - box._head < s._window && s._state === State.CONNECTED && (!s._link!._unsent || s._link!._unsent + n <= s._txMax)) {
    if (MQTT5 && s._aliasMax) withAlias(s, t, p, qos, retain, id, props!, n, src);
    else send(s, n, src);
    box._stage[k] = Stage.SENT;
    box._next = k + 1;
  } else if (!(s._link && s._link._wait)) {
    // (not while the client waits for the socket to drain: pump would stop at the first message it has not
    // written, before this one, so write nothing and make no room; it runs at the drain. On the board a pass
    // costs about 50 us.)
    pump(s);
  }
  // (the room test of outbox.ts, written out)
  const more = (box._end < box._slots || box._head > 0) && box._cap - box._used >= n;
  if (!more) s._wantRoom = n;
  if (s._queue) flush(s);
  return more;
}

// The board library's publish (client.ts): the usual message, a text topic and payload at QoS 0 or 1 with a
// one-byte remaining length, on a connection that is up, taken in fewer steps and from a function with less
// text than publish (on the board a call reads all of its function's text, about 20 us a kilobyte, and
// publish's is 1.1 KB). Any other message goes to publish, as does one the outbox has no room for (makeRoom).
// It does what publish would do with the same message: the byte string is its layout (encodePublish's), the
// QoS 1 id the next never given (nextId), the room test outbox.ts's, and it is written now on the same
// conditions (nothing waiting ahead of it: at QoS 1 every message before it in flight, so pump has written the
// requests made before it, and the window open; the socket keeping up), else stored for pump.
export function fastPublish(this: Session, topic: string, payload: unknown, opts?: PublishOptions | Done, done?: Done): boolean {
  const s = this;
  const box = s._box;
  const l = s._link!;
  if (typeof opts === 'function') {
    done = opts;
    opts = undefined;
  }
  const qos = (opts && opts.qos) || 0;
  let n: number;
  if (
    (qos === 0 || (qos === 1 && s._lastId < 65535)) &&
    s._state === State.CONNECTED &&
    !s._ending &&
    typeof topic === 'string' &&
    typeof payload === 'string' &&
    (n = (qos ? 6 : 4) + topic.length + payload.length) < 130 &&
    n <= s._txMax &&
    (box._end < box._slots || box._head > 0) &&
    box._cap - box._used >= n &&
    (topic === validTopic || !topicError(topic))
  ) {
    const id = qos ? ++s._lastId : 0;
    const src = chars((Type.PUBLISH << 4) | (qos << 1) | (opts && opts.retain ? 1 : 0), n - 2, 0, topic.length) + topic + (qos ? chars(id >> 8, id & 255) + payload : payload);
    const now = (qos ? box._next === box._end && box._end - box._head < s._window : box._head === box._end) && (!l._unsent || l._unsent + n <= s._txMax);
    if (qos || !now) {
      s._seq = (s._seq + 1) | 0;
      // store()'s usual cases written out (outbox.ts; on the board the call and its steps cost about 20 us a
      // message): into an empty outbox at its start (one at a time), else right after the newest, whole, where
      // no message is: before the ring's end, or, once the ring has gone round, before the oldest (as messages
      // in flight or queued are added). The rest by store().
      let k = box._end;
      let at = 0;
      if (box._head !== k && (k === box._slots || (at = box._at[k - 1] + box._len[k - 1]) + n > (at > box._at[box._head] ? box._cap : box._at[box._head]))) {
        store(box, src, n, id, s._seq, done);
        if (now) box._stage[box._end - 1] = Stage.SENT;
      } else {
        // (at is 0 only when none is held: a message is never empty)
        if (!at) {
          box._head = box._next = k = 0;
          box._done = null;
        }
        box._bytes.set(src as unknown as Uint8Array, at);
        box._end = k + 1;
        box._used += n;
        box._at[k] = at;
        box._len[k] = n;
        box._id[k] = id;
        box._stage[k] = now ? Stage.SENT : Stage.QUEUED;
        box._seq[k] = s._seq;
        if (done) (box._done || (box._done = []))[k] = done;
      }
      // (in flight at once: every one before it is, or there is none)
      if (now) box._next = box._end;
      else if (!l._wait) pump(s);
    }
    if (now) {
      // send() written out: on the board a call costs about 6 us (the link is up: connected); straight to the
      // socket where the link has one (transport.ts)
      if (l._sock) {
        try {
          l._sock.write(src);
        } catch (e) {
          l.write(src, 0, n);
        }
      } else l.write(src, 0, n);
      const t = s._clock.now();
      if (!l._unsent) s._unflushedSince = t;
      s._lastSent = t;
      l._unsent! += n;
      if (!qos) {
        // nothing stored: the room it was checked for is still there
        if (done) emit(s, done);
        if (s._queue) flush(s);
        return true;
      }
    }
    const more = (box._end < box._slots || box._head > 0) && box._cap - box._used >= n;
    if (!more) s._wantRoom = n;
    if (s._queue) flush(s);
    return more;
  }
  return publish.call(s, topic, payload, opts, done);
}

// The outbox is full: give up the oldest messages not yet written, as few as make room for n bytes
// (drop-oldest), or refuse the new one (reject-new, and always for a publish from a drop report: see flush in
// events.ts). True when the message fits now; false once it was refused or reported dropped.
// (Its own function, called only when full: on the board the whole text of a function is read on every call,
// the branches not taken as well, about 17 us a kilobyte, and publish is the path of every message.)
function makeRoom(s: Session, n: number, t: string, qos: number, done: Done | undefined): boolean {
  const box = s._box;
  let fits: boolean;
  for (let k = box._head; !(fits = (box._end < box._slots || box._head > 0) && box._cap - box._used >= n) && !(s._opts & Opt.REJECT_NEW) && s._flushing !== 2 && k < box._end; ) {
    // never one in flight, nor one sent before (DUP set: the broker may hold it, and its id)
    if (box._stage[k] !== Stage.QUEUED || box._bytes[box._at[k]] & 8) {
      k++;
      continue;
    }
    const gone = box._done && box._done[k];
    const err = reportDrop(s, ClientErr.OUTBOX_FULL, k);
    k = remove(box, k);
    emit(s, gone, err);
    // the message pump waited on for the socket may be this one: pump looks again (see publish)
    if (s._link) s._link._wait = 0;
  }
  // A request waiting for a message given up here waits for nothing now: it goes before the message that makes
  // room, which may be written at once without passing through pump (found by a reviewer's fuzz: A, B queued,
  // subscribe, C evicting B went out A, C, SUBSCRIBE)
  if (s._reqs[0] && s._state === State.CONNECTED) sendRequests(s, box._next);
  if (fits) return true;
  s._wantRoom = n;
  if (s._flushing === 2) return refuse(s, ClientErr.OUTBOX_FULL, done);
  emit(s, done, reportDrop(s, ClientErr.OUTBOX_FULL, -1, t, qos));
  flush(s);
  return false;
}

// 5.0: writes the message (n bytes of src) made again with a topic alias, when the client has or can give
// its topic one; else as it is. It cannot fail where the first encoding did not: the alias is in range,
// and the topic, when left out, is shorter.
function withAlias(s: Session, t: string, p: Bytes, qos: number, retain: boolean, id: number, props: Properties | null, n: number, src: Bytes): void {
  const a = topicAliasOut(s, t, props);
  if (!a) return send(s, n, src);
  // (its buffer bounded as publish bounds one)
  let m = 9 + a[0].length + p.length + (a[1] ? propsSize(a[1], In.PUBLISH) : 1);
  const b = new Uint8Array(m < s._txMax ? m : s._txMax);
  m = encodePublish(b, a[0], p, qos, retain, false, id, a[1]);
  if (m > s._maxPacket!) m = -1; // 3 bytes more: over the limit
  // not written with it: a new alias is not taken
  if (m < 0 && a[0]) s._aliasOut!.pop();
  if (m > 0) send(s, m, b);
  else send(s, n, src);
}

// Reports a message the client gives up on: outbox message k, or (k < 0) the one described by topic
// and qos.
export function reportDrop(s: Session, code: number, k: number, topic?: string, qos?: number): MqttError {
  const err = mqttError(code);
  if (k >= 0) {
    // read the topic back from the stored PUBLISH: after the fixed header, a 2-byte length
    const box = s._box;
    const b = box._bytes;
    const at = box._at[k];
    const cap = b.length;
    let p = 1;
    while (b[(at + p++) % cap] & 128);
    topic = '';
    for (let i = p + 2, e = p + 2 + ((b[(at + p) % cap] << 8) | b[(at + p + 1) % cap]); i < e; i++) topic += String.fromCharCode(b[(at + i) % cap]);
    qos = (b[at] >> 1) & 3; // (the PUBLISH's own: outbox.ts)
  }
  err.topic = fromBytes(topic!);
  err.qos = qos;
  err._gone = true;
  emit(s, 'drop', err);
  return err;
}

// Writes the first n bytes of src (a packet's buffer, or a publish's byte string of n bytes) and counts
// them as written and not yet taken by the socket. (pump counts what it writes from the outbox the same way,
// in place: a function of its own for those four lines cost the board 6 blocks, and a call on every message)
export function send(s: Session, n: number, src: Bytes): void {
  const l = s._link;
  if (!l || n < 0) return;
  l.write(src, 0, n);
  const now = s._clock.now();
  if (!l._unsent) s._unflushedSince = now;
  s._lastSent = now;
  l._unsent! += n;
}

// A packet id: 1..65535, never 0 [MQTT-2.3.1-1], never one still in use [MQTT-2.3.1-2]; 0 when every one
// is. Ids are given in turn, so until the 65535th the next one has never been given, and is free: _lastId is
// the last id given, plus 65535 once they have gone round. Then the ids in use are looked at: of any n + 1
// ids in a row at most n are in use, so the search ends within that many tries.
export function nextId(s: Session): number {
  // (publish takes the next itself when it is free so, or when none is in use: one message at a time)
  if (s._lastId < 65535) return ++s._lastId;
  const inUse = s._box._end - s._box._head + s._reqs.length;
  for (let tries = 0; tries <= inUse && tries < 65535; tries++) {
    const id = (s._lastId % 65535) + 1;
    s._lastId = 65535 + id;
    // (slotOf written out, as in inbound.ts)
    let used = s._box._id.subarray(s._box._head, s._box._end).indexOf(id) >= 0;
    for (let i = 0, r; !used && (r = s._reqs[i]); i++) used = r._id === id;
    if (!used) return id;
  }
  return 0;
}

// Writes what is queued in the order the application called: publishes while the window and the socket
// allow, each (un)subscribe once the publishes called before it are written.
export function pump(s: Session): void {
  const box = s._box;
  // Nothing to write, report or close: the usual 'drain' of the socket after a write, and an acknowledgement
  // that leaves nothing waiting, return here (on the board the whole pass costs about 45 us). Those two
  // callers make this test themselves before calling (inbound.ts, session.ts): keep the three the same.
  // (`_reqs[0]`, not `length`: on the board a builtin property costs five field reads)
  if (box._next === box._end && !s._reqs[0] && !s._wantRoom && !s._ending) return;
  const cap = box._cap;
  if (s._pumping) {
    s._pumping = 2; // (called again from within: one more pass)
    return;
  }
  do {
    s._pumping = 1;
    let k = box._next;
    let inflight = k - box._head; // all in flight below _next (outbox.ts)
    // Read once a pass, not for each message: on the board the clock costs 3.8 us, the requests' first
    // element 3.7. (What this pass writes is written at one moment; no request joins _reqs while it runs, and
    // no listener runs beneath it; one that leaves, given up by 5.0's writeRequest, makes sendRequests look at
    // the rest for nothing.)
    const room = s._txMax;
    const now = s._clock.now();
    const reqs = !!s._reqs[0];
    // The board library's usual burst, by a loop with a shorter body (on the board a loop's body is read again on
    // every pass, about 20 us a kilobyte): messages written for the first time, one after another, each whole
    // in the ring, within the window and the socket's room, no request waiting. It stops where the loop below
    // would do anything else, which then goes on from there; what it does is what that loop does (keep the two
    // the same). Messages that follow one another in the ring go to the socket in one write of up to 128 bytes
    // or one message, once the loop has passed them (no listener runs inside it: emit() queues; nothing moves
    // the ring's bytes but store()): on the board a write and its copy cost about 20 us a message, and the
    // string written is held beside the socket's buffer while it is copied there (128 bytes: 13 blocks).
    // (its names declared here, where they always run: the compiler gives the loop below the same ones, and the
    // interpreter does not hoist a `var` in a block it skipped)
    let at = 0;
    let n = 0;
    let qos = 0;
    let done: Done | null | undefined;
    let sent: string | undefined;
    let from = -1; // where the bytes gathered for one write start in the ring, and how many
    let run = 0;
    let ok = false;
    if (KEEP_HOT_CALLS && typeof BYTE_STRINGS !== 'undefined' && !MQTT5 && !reqs && s._link && s._state === State.CONNECTED) {
      for (; ; k++) {
        ok = k < box._end && box._stage[k] === Stage.QUEUED && (at = box._at[k]) + (n = box._len[k]) <= cap && !((qos = box._bytes[at] & 6) && inflight >= s._window) && !(s._link._unsent && s._link._unsent + n > room);
        if (!ok || at !== from + run || run + n > 128) {
          // the end of the burst, a message not where the last one ends (the ring's end, or one taken out
          // between), or too many bytes for one write: those gathered are written first, straight to the
          // socket where the link has one, as fastPublish (transport.ts; undefined: no memory for the copy,
          // which write() reports)
          if (run) {
            if (s._link._sock && (sent = E.toString(box._bytes.subarray(from, from + run))) !== undefined) {
              try {
                s._link._sock.write(sent);
              } catch (e) {
                s._link.write(sent, 0, run);
              }
            } else s._link.write(box._bytes, from, from + run);
            s._lastSent = now;
          }
          if (!ok) break;
          from = at;
          run = 0;
        }
        run += n;
        if (!s._link._unsent) s._unflushedSince = now;
        s._link._unsent! += n;
        if (qos) {
          box._stage[k] = Stage.SENT;
          if (k === box._next) box._next = k + 1;
          inflight++;
        } else {
          done = box._done && box._done[k];
          if (k === box._head) {
            // the oldest: remove()'s head case written out, as in onAck (inbound.ts)
            box._used -= n;
            box._id[k] = 0;
            if (done) delete box._done![k];
            if (box._next <= k) box._next = k + 1;
            box._head = k + 1;
          } else k = remove(box, k) - 1;
          if (done) emit(s, done);
        }
      }
    }
    for (; k < box._end && s._link && s._state === State.CONNECTED; k++) {
      const stage = box._stage[k];
      const at = box._at[k];
      const qos = box._bytes[at] & 6; // (non-zero for QoS 1 and 2: the PUBLISH's own, outbox.ts)
      if (stage === Stage.SENT || stage === Stage.RELEASED) {
        if (k === box._next) box._next = k + 1;
        inflight++;
        continue;
      }
      if (stage === Stage.QUEUED && reqs) sendRequests(s, k); // (its own test first: a call costs more)
      if (stage === Stage.QUEUED && qos && inflight >= s._window) break;
      // 5.0: one whose Message Expiry Interval passed while it waited (never one sent before: the server may
      // hold it) is dropped, not written (v5.ts)
      if (MQTT5 && box._exp && stage === Stage.QUEUED && box._exp[k] && !(box._bytes[box._at[k]] & 8) && box._exp[k] <= s._clock.now()) {
        k = expire(s, k);
        continue;
      }
      const n = stage === Stage.RELEASE ? 4 : box._len[k];
      // Never run more than txBuffer bytes ahead of the socket: Espruino buffers writes without limit.
      if (s._link._unsent && s._link._unsent + n > room) {
        s._link._wait = 1; // woken by the drain (transport.ts)
        break;
      }
      if (stage === Stage.RELEASE) {
        // in the order of the PUBRECs [MQTT-4.6.0-4]; its flags 0010 [MQTT-3.6.1-1] (encodeAck written out, as in
        // inbound.ts)
        if (typeof BYTE_STRINGS !== 'undefined') send(s, 4, chars((Type.PUBREL << 4) | 2, 2, box._id[k] >> 8, box._id[k] & 255));
        else {
          scratch[0] = (Type.PUBREL << 4) | 2;
          scratch[1] = 2;
          scratch[2] = box._id[k] >> 8;
          scratch[3] = box._id[k] & 255;
          send(s, 4, scratch);
        }
        box._stage[k] = Stage.RELEASED;
        if (k === box._next) box._next = k + 1;
        inflight++;
        continue;
      }
      // a message that runs past the end of the ring goes in two writes
      s._link.write(box._bytes, at, at + n <= cap ? at + n : cap);
      if (at + n > cap) s._link.write(box._bytes, 0, at + n - cap);
      // counted as send() counts (keep the two the same)
      if (!s._link._unsent) s._unflushedSince = now;
      s._lastSent = now;
      s._link._unsent! += n;
      if (qos) {
        box._stage[k] = Stage.SENT;
        if (k === box._next) box._next = k + 1;
        inflight++;
      } else {
        const done = box._done && box._done[k];
        k = remove(box, k) - 1;
        if (done) emit(s, done);
      }
    }
    // the requests made after every publish (none waiting: no call, on every pass)
    if (reqs && k === box._end && s._link && s._state === State.CONNECTED) sendRequests(s, k);
  } while (s._pumping === 2);
  s._pumping = 0;
  // room for the message refused (the room test of outbox.ts, written out)
  if (s._wantRoom && (box._end < box._slots || box._head > 0) && box._cap - box._used >= s._wantRoom && s._state !== State.ENDED && !s._ending) {
    s._wantRoom = 0;
    emit(s, 'drain');
  }
  // ending: the DISCONNECT once everything written has left (woken by the drain)
  if (s._ending && s._state === State.CONNECTED && box._head === box._end && !(s._link!._wait = s._link!._unsent ? 1 : 0)) {
    if (MQTT5 && s._v5) bye(s);
    else if (typeof BYTE_STRINGS !== 'undefined') send(s, 2, chars(Type.DISCONNECT << 4, 0)); // (writer.ts)
    else send(s, putHeader(scratch, Type.DISCONNECT << 4, 0), scratch);
    finish(s);
  }
}

export function queued(this: Session): number {
  return this._box._end - this._box._head;
}
