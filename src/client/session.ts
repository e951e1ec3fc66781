import { Err, Type } from '../codec/constants';
import { Packet } from '../codec/reader';
import { chars, toBytes } from '../codec/strings';
import { SCRATCH, encodeConnect, measured, putHeader, scratch } from '../codec/writer';
import { LinkEvent } from '../transport/transport';
import { ClientErr, mqttError } from './errors';
import { emit, flush } from './events';
import { Stage, remove } from './outbox';
import { pump, reportDrop, send } from './outbound';
import { Default, Events, Opt, Session, State, Wake } from './state';
import { renew } from './subscriptions';
import { EndOptions } from './client';
import { bye, connack5, farewell, goodbye, unsendable } from './v5';

// The connection's life: opening it, CONNACK and the session rules, keep-alive, losing it and backing off,
// reconnecting, ending. Every socket event and timer enters the client here, and the events they cause
// run (events.ts) once the state change is complete.

// ---- the timer: one at a time, for whatever the current state waits on

// Sets the timer to wake the client in ms for `wake`, in place of the one set; Wake.NONE clears it. (One
// function for both: on the board each function costs RAM for good.)
export function arm(s: Session, ms: number, wake: Wake): void {
  if (s._timer != null) s._clock.clear(s._timer);
  s._timer = null; // (first: a clock that throws leaves no handle of a cleared timer)
  s._wake = wake;
  if (wake !== Wake.NONE) s._timer = s._clock.set(onTimer, ms > 0 ? ms : 0, s);
}

function onTimer(s: Session): void {
  const wake = s._wake;
  s._timer = null;
  if (wake === Wake.CONNACK) lose(s, ClientErr.CONNECT_TIMEOUT);
  else if (wake === Wake.PING) {
    // Keep-alive: a PINGREQ when nothing was sent or received for keepalive seconds [MQTT-3.1.2-23]; no
    // answer within half of that and the link is dead, so a silent broker is noticed within 1.5x keepalive.
    // (Checked first once the CONNACK is in, and then when it is due: no function of its own.) k: its period
    // in ms; 5.0: the server's Keep Alive, when its CONNACK gave one, in place of ours [3.2.2.3.14 of 5.0].
    const k = (MQTT5 && s._serverKeepalive != null ? s._serverKeepalive : s._keepalive) * 1000;
    const t = s._clock.now();
    if (k && s._state === State.CONNECTED) {
      if (s._pingAt >= 0 && t - s._pingAt >= k / 2) lose(s, ClientErr.PING_TIMEOUT);
      else {
        if (s._pingAt < 0 && (t - s._lastSent >= k || t - s._lastHeard >= k)) {
          // (encodeEmpty's 3.1.1 form, without its function; on the board a byte string: writer.ts)
          if (typeof BYTE_STRINGS !== 'undefined') send(s, 2, chars(Type.PINGREQ << 4, 0));
          else send(s, putHeader(scratch, Type.PINGREQ << 4, 0), scratch);
          s._pingAt = t;
        }
        arm(s, (s._pingAt >= 0 ? s._pingAt + k / 2 : Math.min(s._lastSent, s._lastHeard) + k) - t, Wake.PING);
      }
    }
  } else {
    // open a connection: the first one, or after the backoff
    if (wake === Wake.RETRY) emit(s, 'reconnect');
    s._state = State.CONNECTING;
    arm(s, s._connectTimeout || Default.CONNECT_TIMEOUT, Wake.CONNACK);
    const ev: Events = { _client: s, _gen: ++s._gen, notify: onLink };
    try {
      const l = (s._link = s._transport(s._servers[s._server], ev));
      l._unsent = l._wait = 0; // (transport.ts)
    } catch (e) {
      lose(s, ClientErr.SOCKET, String(e));
    }
  }
  flush(s);
}

// What the transport reports about the link it opened; a report from an older link is ignored. Nothing
// thrown here reaches the socket: whatever fails (on the board, an allocation when memory is short) closes
// the connection, which is then reconnected.
function onLink(this: Events, event: LinkEvent, arg?: any): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const s = this._client;
  if (this._gen !== s._gen) return;
  try {
    if (event === LinkEvent.DATA) {
      s._reader.push(arg);
    } else if (event === LinkEvent.DRAIN) {
      // (a transport that keeps _unsent itself reports a drain only when the client waits: transport.ts)
      if (s._link) s._link._unsent = s._link._wait = 0;
      // (pump's own test first: on the board the call costs more, on every drain)
      if (s._box._next !== s._box._end || s._reqs[0] || s._wantRoom || s._ending) pump(s);
    } else if (event === LinkEvent.CONNECT) {
      // (a call in the library: this function runs for every chunk received, and on the board the text of
      // its branches not taken costs time as well, about 16 us a kilobyte; KEEP_HOT_CALLS)
      if (KEEP_HOT_CALLS) /*#__NOINLINE__*/ writeConnect(s);
      else writeConnect(s);
    } else {
      lose(s, arg || s._state === State.CONNECTING ? ClientErr.SOCKET : 0, arg ? arg.message || String(arg.code) : 'connection closed');
    }
  } catch (e) {
    lose(s, Err.NO_MEMORY, String(e));
  }
  if (s._queue) flush(s);
}

// The socket is open: the CONNECT, the first packet on a connection [MQTT-3.1.0-1]. Its bytes as encoded
// by createClient, or its fields encoded again with the will made for this connection (when making it throws,
// no memory on the board: the previous one; none yet, the connection fails and is made again).
function writeConnect(s: Session): void {
  const f = s._fields;
  const c = s._connect!;
  s._reader.push(null);
  s._lastSent = s._lastHeard = s._clock.now();
  if (f && s._willFor) {
    try {
      const w = s._willFor();
      f.will!.payload = w instanceof Uint8Array ? w : toBytes(w == null ? '' : w);
    } catch (e) {
      if (!f.will!.payload.length) throw e;
    }
  }
  // (on the board the kept bytes are a byte string, which the socket takes as it is: transport.ts; the fields
  // into the scratch, then into a buffer of the packet's length: writer.ts)
  let b = f ? scratch || new Uint8Array(SCRATCH) : c;
  let n = f ? measured(encodeConnect(b as Uint8Array, f), s._txMax) : c.length;
  if (f && n > SCRATCH) n = encodeConnect((b = new Uint8Array(n)), f);
  // (only a will made for this connection can fail here: too long for the packet or txBuffer)
  if (n < 0) lose(s, -n, 'will');
  else send(s, n, b);
}

// ---- connection lifecycle

// The end of a connection attempt or session, whatever ended it (a timeout, a malformed packet, a refusal,
// the socket closing): the link is dropped at once and a reconnect is scheduled. What was in flight stays
// in the outbox as it was: the next CONNACK decides what becomes of it (beginSession).
export function lose(s: Session, code: number, detail?: string, longWait?: boolean): void {
  if (s._state === State.CLOSED || s._state === State.ENDED) return; // nothing live to lose
  // 5.0: the reason, said first where it can be (v5.ts)
  const bye = MQTT5 && s._v5 && s._link ? goodbye(s, code) : false;
  const l = s._link;
  const was = s._state;
  s._link = null;
  s._gen++;
  if (l) l.end(!bye); // at once: no old send buffer lives on beside the next connection
  arm(s, 0, Wake.NONE);
  s._reader.push(null);
  s._pingAt = -1;
  if (MQTT5) s._subNo = 0; // that server's subscription limits: the next CONNACK says the next one's
  s._state = State.CLOSED;
  s.connected = false;
  for (let i = 0; i < s._reqs.length; i++) s._reqs[i]._sent = false;
  if (code) emit(s, 'error', mqttError(code, detail));
  emit(s, 'close');
  if (was === State.CONNECTED) {
    emit(s, 'offline');
    // The backoff starts again only after a connection that lasted: a broker that accepts and then drops
    // the client (a duplicate client id, an ACL kick) meets a growing wait, not a reconnect storm.
    if (s._clock.now() - s._upAt >= (s._keepalive || 60) * 1000) s._attempt = 0;
  } else {
    s._server = (s._server + 1) % s._servers.length; // failover: the next server
  }
  if (s._ending || !(s._opts & Opt.RETRY)) return finish(s);
  // Failover in rounds: a failed attempt moves on to the next server at once while the list has one not
  // tried since the last backoff, so a lost cluster member costs a refused connection, not a wait (npm run
  // fleet); the backoff is between rounds. After losing a connection, the same server comes first. A refusal
  // that asks for the longest wait (credentials, a ban, busy) ends the round: no fast tour of the cluster.
  if (!longWait && was !== State.CONNECTED && ++s._tried < s._servers.length) return arm(s, 0, Wake.RETRY);
  s._tried = 0;
  // exponential backoff with jitter; a refusal of credentials waits the longest [CONNACK 4, 5]
  const max = s._rmax || Default.RETRY_MAX;
  const base = longWait ? max : Math.min(max, (s._rmin || Default.RETRY_MIN) * Math.pow(s._rfactor || Default.RETRY_FACTOR, s._attempt));
  s._attempt++;
  arm(s, base * (1 - (s._jitter != null ? s._jitter : Default.JITTER) * Math.random()), Wake.RETRY);
}

export function onConnack(s: Session, p: Packet): void {
  if (MQTT5 && s._v5) {
    if (!connack5(s, p)) return;
  } else if (p.code) return lose(s, ClientErr.REFUSED + p.code, '', p.code === 4 || p.code === 5);
  arm(s, 0, Wake.PING); // no more connect timeout: the keep-alive's first check, at once (onTimer)
  s._state = State.CONNECTED;
  s.connected = true;
  s._upAt = s._clock.now();
  const present = beginSession(s, p.sessionPresent);
  // 5.0: and the CONNACK's properties (the server's limits, an assigned client id, ...)
  if (MQTT5 && s._v5) emit(s, 'connect', present, p.props || {});
  else emit(s, 'connect', present);
  pump(s);
}

// The session rules, in one place: what of the client's state goes on, by what the broker kept.
// - The broker kept the session (Session Present = 1 on a CONNECT with clean = false): every message in flight
//   is resent in order with DUP set and its packet id [MQTT-3.3.1-1] [MQTT-2.3.1-3] [MQTT-4.4.0-1]
//   [MQTT-4.6.0-1], a QoS 2 message that reached PUBREC resends its PUBREL, and pending requests go again
//   with their ids.
// - A new session (Session Present = 0, always so for clean = true [MQTT-3.1.2-6]): the broker has none of
//   it. Subscriptions are renewed, received QoS 2 ids forgotten, and every unfinished message is sent again
//   as a new message of this session: a PUBLISH with DUP 0, a QoS 2 one from its start even if it had reached
//   PUBREC, since a PUBREL would be answered PUBCOMP by a broker that never delivered it. So such a
//   message may arrive twice, never not at all.
// - With offlineQos0 'drop', a QoS 0 message is for the connection it was published on: one still queued when
//   that connection was lost is dropped (reported, code 36), never sent on the next.
// - Session Present = 1 in reply to clean = true is the broker's violation [MQTT-3.2.2-1]: reported, and the
//   session is treated as new.
// - 5.0: Clean Start and the Session Expiry Interval take the place of clean session (3.1.2.4, 3.1.2.11.2);
//   the same rules follow from Session Present. A message this server cannot take (its QoS above the
//   server's maximum, retained where it has no retain, larger than its maximum packet, or expired while it
//   waited), unless only its PUBREL is left, is dropped, reported with its reason (v5.ts unsendable).
function beginSession(s: Session, present: boolean): boolean {
  const box = s._box;
  if (present && s._opts & Opt.CLEAN) {
    emit(s, 'error', mqttError(ClientErr.SESSION_PRESENT));
    present = false;
  }
  box._next = box._head; // everything is to be written again
  for (let k = box._head; k < box._end; k++) {
    const stage = box._stage[k];
    // (one in flight too, unless only its PUBREL is left: the server may have changed its limits)
    // (expiry only for one the server cannot hold: not sent before under a session it kept)
    const refused = MQTT5 && s._v5 && (!present || stage === Stage.QUEUED || stage === Stage.SENT) ? unsendable(s, k, present && (stage === Stage.SENT || !!(box._bytes[box._at[k]] & 8))) : 0;
    if ((s._opts & Opt.DROP_OFFLINE && !(box._bytes[box._at[k]] & 6)) || (MQTT5 && refused)) { // (QoS 0: outbox.ts)
      const done = box._done && box._done[k];
      const err = reportDrop(s, MQTT5 && refused ? refused : ClientErr.OFFLINE, k);
      k = remove(box, k) - 1;
      emit(s, done, err);
      continue;
    }
    if (present) {
      if (stage === Stage.SENT) box._bytes[box._at[k]] |= 8;
      if (stage !== Stage.RELEASE && stage !== Stage.RELEASED) box._stage[k] = Stage.QUEUED;
      else box._stage[k] = Stage.RELEASE;
    } else {
      box._bytes[box._at[k]] &= ~8;
      box._stage[k] = Stage.QUEUED;
    }
  }
  if (!present) {
    if (s._q2) s._q2.fill(0);
    renew(s);
  }
  return present;
}

// Drops the current link, if any, and connects again now with the backoff reset; nothing after end().
export function reconnect(this: Session): void {
  const s = this;
  if (s._state === State.ENDED || s._ending) return;
  const opts = s._opts;
  s._opts |= Opt.RETRY; // asked for, even where automatic reconnection is off
  lose(s, 0);
  s._opts = opts;
  s._attempt = s._tried = 0;
  if (!(s._wake === Wake.OPEN && s._timer != null)) arm(s, 0, Wake.RETRY);
  flush(s);
}

export function end(this: Session, force?: boolean | (() => void) | EndOptions, done?: EndOptions | (() => void), last?: () => void): void {
  const s = this;
  if (typeof force === 'function') {
    done = force;
    force = false;
  }
  // 5.0: end(force?, { reasonCode, properties }?, done?), as MQTT.js: the DISCONNECT's. Checked and used on
  // a 5.0 connection only: 3.1.1's DISCONNECT has no room for them.
  if (MQTT5 && force && typeof force === 'object') {
    last = done as () => void;
    done = force;
    force = false;
  }
  if (MQTT5 && typeof done !== 'function') {
    if (done && s._v5 && !farewell(s, done, last)) return;
    done = last;
  }
  if (done) (s._endDone || (s._endDone = [])).push(done as () => void); // (made when first needed: 2 blocks)
  if (s._state !== State.ENDED) {
    s._ending = 1;
    if (s._state === State.CONNECTED) {
      if (!force) {
        pump(s); // DISCONNECT once the outbox is empty and the socket drained
        return flush(s);
      }
      if (MQTT5 && s._v5) bye(s);
      else if (typeof BYTE_STRINGS !== 'undefined') send(s, 2, chars(Type.DISCONNECT << 4, 0));
      else send(s, putHeader(scratch, Type.DISCONNECT << 4, 0), scratch);
    }
  }
  finish(s);
  flush(s);
}

// The end: no link, no timer, nothing left pending; what was not delivered is reported dropped.
export function finish(s: Session): void {
  const l = s._link;
  const box = s._box;
  arm(s, 0, Wake.NONE);
  s._link = null;
  s._gen++;
  s._state = State.ENDED;
  s.connected = false;
  s._reader.push(null); // nothing more of a chunk being read is handled
  if (l) {
    // after a DISCONNECT the client closes the connection [MQTT-3.14.4-1]; at once if what was written has
    // waited a second or more for the socket to take it (a dead link)
    l.end(l._unsent! > 0 && s._clock.now() - s._unflushedSince >= 1000);
    emit(s, 'close');
  }
  while (box._head < box._end) {
    const done = box._done && box._done[box._head];
    const err = reportDrop(s, ClientErr.CLOSED, box._head);
    remove(box, box._head);
    emit(s, done, err);
  }
  while (s._reqs.length) emit(s, s._reqs.shift()!._done, mqttError(ClientErr.CLOSED));
  if (s._ending) emit(s, 'end');
  s._ending = 0;
  while (s._endDone && s._endDone.length) emit(s, s._endDone.shift());
}
