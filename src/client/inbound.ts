import { Err, Type } from '../codec/constants';
import { Packet, hostBytes } from '../codec/reader';
import { chars, fromBytes } from '../codec/strings';
import { scratch } from '../codec/writer';
import { Listener, Message, Payload } from './client';
import { ClientErr, MqttError, mqttError } from './errors';
import { emit, flush } from './events';
import { Stage, remove } from './outbox';
import { pump, send } from './outbound';
import { lose, onConnack } from './session';
import { Default, Opt, Session, State } from './state';
import { dispatch, onSuback } from './subscriptions';
import { refusedAck, serverDisconnect, topicAliasIn } from './v5';

// Reading: socket bytes -> reader -> here -> the session, the outbox, the subscriptions.

// One function for every other packet type, each handled in place but the acknowledgements of our messages
// (onAck, which the reader's string path calls itself for a PUBACK): on the board a call costs, a function
// costs blocks, and one that the compiler inlines as a closure is made anew for every packet.
export function onPacket(s: Session, p: Packet): void {
  const type = p.type;
  if (type === Type.PUBLISH) {
    // (its fields as the reader's string path gives them; the payload is copied out by onPublish, if needed)
    onPublish(s, p.topic, null, 0x30 | (p.qos << 1) | (p.dup ? 8 : 0) | (p.retain ? 1 : 0), p.id, p);
    return;
  }
  // (5.0: a PUBACK or PUBREC with a failure code goes on to refusedAck, below)
  if ((type === Type.PUBACK || type === Type.PUBREC || type === Type.PUBCOMP) && !(MQTT5 && s._v5 && type !== Type.PUBCOMP && p.code >= 0x80)) {
    onAck(s, type, p.id);
    return;
  }
  // A whole packet proves the broker alive (keep-alive, onTimer): not a chunk, which may be part of a packet
  // that never ends (a remaining length gone wrong, read as a huge PUBLISH to skip): the keep-alive then
  // ends the connection (the fuzz test's 5.0 run found it stuck when chunks counted)
  s._lastHeard = s._clock.now();
  s._pingAt = -1;
  if (type === Type.CONNACK) {
    // (a call in the library, not a closure read past for every other packet: KEEP_HOT_CALLS)
    if (s._state === State.CONNECTING) KEEP_HOT_CALLS ? /*#__NOINLINE__*/ onConnack(s, p) : onConnack(s, p);
    else lose(s, ClientErr.PROTOCOL, 'second CONNACK');
  } else if (s._state !== State.CONNECTED) {
    lose(s, ClientErr.PROTOCOL, 'packet before CONNACK');
  } else if (MQTT5 && s._v5 && (type === Type.PUBACK || type === Type.PUBREC) && p.code >= 0x80) {
    // 5.0: the server refused the message. (A PUBCOMP's 0x92, Packet Identifier not found, answers a PUBREL
    // resent after the first PUBCOMP was lost: the message was delivered, "not an error during recovery",
    // 3.7.2.1 of 5.0: it completes as any PUBCOMP.)
    refusedAck(s, p);
  } else if (type === Type.PUBREL) {
    for (let i = 0; s._q2 && i < s._q2.length; i++) if (s._q2[i] === p.id) s._q2[i] = 0; // exactly once: forget the id
    // PUBCOMP, also for an id we do not know (encodeAck's four-byte form written out, as below)
    if (typeof BYTE_STRINGS !== 'undefined') send(s, 4, chars(Type.PUBCOMP << 4, 2, p.id >> 8, p.id & 255));
    else {
      scratch[0] = Type.PUBCOMP << 4;
      scratch[1] = 2;
      scratch[2] = p.id >> 8;
      scratch[3] = p.id & 255;
      send(s, 4, scratch);
    }
  } else if (MQTT5 && type === Type.DISCONNECT) {
    serverDisconnect(s, p);
  } else if (MQTT5 && type === Type.AUTH) {
    // enhanced authentication (4.12 of 5.0) is not supported: a client that asked for none gets no AUTH
    lose(s, ClientErr.PROTOCOL, 'AUTH (enhanced authentication is not supported)');
  } else if (type === Type.SUBACK || type === Type.UNSUBACK) {
    KEEP_HOT_CALLS ? /*#__NOINLINE__*/ onSuback(s, p) : onSuback(s, p);
  }
  // Each packet's events run before the next packet is read: the reader is between packets, and on the board
  // a chunk of many small messages must not hold all their copies at once. A listener that ends or
  // reconnects the client stops the reader (its reset), so nothing more of this chunk is read.
  if (s._queue) flush(s);
}

// An acknowledgement of one of our messages: PUBACK answers a QoS 1 PUBLISH, PUBREC a QoS 2 one, PUBCOMP a
// PUBREL [MQTT-2.3.1-6]. From onPacket, and for a PUBACK straight from the reader's string path (3.1.1): on
// the board the usual QoS 1 message's answer then skips onPacket's dispatch and text (about 10 us of a
// PUBACK's 130, measured).
export function onAck(s: Session, type: number, id: number): void {
  // a whole packet proves the broker alive (see onPacket)
  s._lastHeard = s._clock.now();
  s._pingAt = -1;
  if (s._state !== State.CONNECTED) {
    lose(s, ClientErr.PROTOCOL, 'packet before CONNACK');
  } else {
    const box = s._box;
    // its slot: the oldest, the usual answer, else found among the others natively (slotOf written out: on
    // the board a function costs RAM for good; below the head when there is none)
    const k = box._id[box._head] === id ? box._head : box._head + box._id.subarray(box._head, box._end).indexOf(id);
    // in the stage its answer finds it in, and of the QoS it answers (the QoS bits, 2 or 4, of its stored
    // PUBLISH's first byte: outbox.ts; a PUBREL is only ever sent for QoS 2)
    if (k < box._head || box._stage[k] !== (type === Type.PUBCOMP ? Stage.RELEASED : Stage.SENT) || (box._bytes[box._at[k]] & 6) !== (type === Type.PUBACK ? 2 : 4)) {
      lose(s, ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + id);
    } else {
      if (type === Type.PUBREC) {
        box._stage[k] = Stage.RELEASE;
        if (k < box._next) box._next = k; // its PUBREL is to be written
      } else {
        const done = box._done && box._done[k];
        if (KEEP_HOT_CALLS && k === box._head) {
          // the oldest, the usual answer: remove()'s head case written out (outbox.ts; on the board a call
          // costs about 6 us, on every acknowledgement)
          box._used -= box._len[k];
          box._id[k] = 0;
          if (done) delete box._done![k];
          if (box._next <= k) box._next = k + 1;
          box._head = k + 1;
        } else remove(box, k);
        if (done) emit(s, done);
      }
      // (pump's own test first: on the board the call costs more, on every acknowledgement)
      if (box._next !== box._end || s._reqs[0] || s._wantRoom || s._ending) pump(s);
    }
  }
  if (s._queue) flush(s);
}

// The board library's onPublish for the reader's string path (client.ts), as fastPublish is publish's: the
// usual message, QoS 0 or 1 (its id not 0: the reader checked it), its payload cut from the chunk, on a
// connection that is up, taken in fewer steps and from a function with less text than onPublish (on the board a
// call reads all of its function's text). It does what onPublish does with such a message, in the same order:
// dispatch, the PUBACK, the only listener run now. Anything else goes to onPublish: QoS 2, a payload the board
// had no room for (undefined), a packet before the CONNACK.
export function fastOnPublish(s: Session, topic: string, payload: string, first: number, id: number): void {
  if (s._state !== State.CONNECTED || first & 4 || payload == null) return onPublish(s, topic, payload, first, id);
  s._lastHeard = s._clock.now();
  s._pingAt = -1;
  // (its QoS: 1 when it has an id)
  const msg: Message = { topic: topic, payload: payload, qos: id ? 1 : 0, retain: (first & 1) !== 0, dup: (first & 8) !== 0, messageId: id };
  // the only 'message' listener, no handlers and nothing queued or running: dispatch's answer, without its call
  // (about 6 us on the board; subscriptions.ts)
  let run = s._listeners.message as Listener | undefined;
  if (s._opts & Opt.HANDLERS || s._flushing || s._queue || typeof run !== 'function') run = /*#__NOINLINE__*/ dispatch(s, msg, topic);
  if (id) {
    // its PUBACK, send() written out (on the board a call costs about 6 us; the link is up: connected)
    const l = s._link!;
    const ack = chars(Type.PUBACK << 4, 2, id >> 8, id & 255);
    if (l._sock) {
      try {
        l._sock.write(ack);
      } catch (e) {
        l.write(ack, 0, 4);
      }
    } else l.write(ack, 0, 4);
    if (!l._unsent) s._unflushedSince = s._lastHeard;
    s._lastSent = s._lastHeard;
    l._unsent! += 4;
  }
  if (run) {
    s._flushing = 1;
    try {
      run(topic, payload, msg);
    } catch (e) {
      emit(s, 'error', mqttError(ClientErr.HANDLER, String(e)));
    }
    s._flushing = 0;
  }
  if (s._queue) flush(s);
}

// An inbound PUBLISH: its topic as bytes, the fixed header's first byte and its packet id; from the reader's
// string path its payload as a byte string (on a host made a Buffer here), or p, the packet, when it came
// through onPacket (its payload in p.buf, copied here when it is delivered; a payload too large for the
// receive buffer; 5.0 properties). (One function for both, and the
// usual message in as few steps as it takes: on the board each costs about a microsecond.)
export function onPublish(s: Session, topic: string, payload: Payload | undefined | null, first: number, id: number, p?: Packet): void {
  const qos = (first >> 1) & 3;
  s._lastHeard = s._clock.now();
  s._pingAt = -1; // any packet proves the broker alive (see onPacket)
  if (s._state !== State.CONNECTED) {
    lose(s, ClientErr.PROTOCOL, 'packet before CONNACK');
  } else if (!(MQTT5 && s._v5 && p && (p.props || !p.topic) && !topicAliasIn(s, p))) {
    // (5.0: an unknown topic alias closed the connection)
    const fresh = qos < 2 || !s._q2 || s._q2.indexOf(id) < 0; // not a resent QoS 2 message already delivered
    let err: MqttError | null = null;
    let msg: Message | null = null;
    let run: Listener | undefined;
    if (MQTT5 && p) topic = p.topic; // (5.0: as its alias gave it)
    if (typeof BYTE_STRINGS === 'undefined' && typeof payload === 'string' && typeof E === 'undefined') {
      payload = typeof Buffer !== 'undefined' ? Buffer.from(payload, 'latin1') : hostBytes(payload);
    }
    if (p && p.error) {
      // Too large for the receive buffer: skipped, reported, and still acknowledged [MQTT-4.5.0-2].
      err = mqttError(p.error);
      err.size = p.length;
    } else if (fresh) {
      if (p) {
        // Espruino: a byte string; Node: a Buffer; elsewhere a Uint8Array copy (the buffer, or the chunk a
        // PUBLISH was read in, is the reader's again once this returns)
        const body = p.buf.subarray(p.start, p.end);
        payload = typeof BYTE_STRINGS !== 'undefined' || typeof E !== 'undefined' ? E.toString(body) : typeof Buffer !== 'undefined' ? Buffer.from(body) : body.slice();
      }
      if (payload == null) {
        // E.toString gives undefined when the board has no room: report it, never hand a handler `undefined`.
        // The message is still acknowledged: the client elects not to process it [MQTT-4.5.0-2]. Closing the
        // connection instead, as for a transient error [MQTT-4.8.0-2], would have the broker resend it into the
        // same shortage (a payload that fits the receive buffer and still finds no room is not passing), and
        // would drop what else was in flight.
        err = mqttError(Err.NO_MEMORY);
        if (p) err.size = p.end - p.start; // (from the string path: not known)
      } else {
        msg = { topic: typeof BYTE_STRINGS !== 'undefined' ? topic : fromBytes(topic), payload: payload, qos: qos, retain: (first & 1) !== 0, dup: (first & 8) !== 0, messageId: id };
        if (MQTT5 && p && p.props) msg.properties = p.props;
        // its handlers queued (kept a call: terser would inline it as a closure, made anew on the board for
        // every message), or its only listener kept to run below
        run = /*#__NOINLINE__*/ dispatch(s, msg, topic);
      }
    }
    if (err) {
      err.topic = typeof BYTE_STRINGS !== 'undefined' ? topic : fromBytes(topic);
      err.qos = qos;
      emit(s, 'drop', err);
    }
    // Acknowledged once the message is the application's (its copy made, its handlers queued), in the order
    // received [MQTT-4.3.2-2] [MQTT-4.6.0-2] [MQTT-4.6.0-3], before they run (a handler that ends the client
    // has had it acknowledged); a QoS 2 id is remembered until its PUBREL, so a resent PUBLISH is not
    // delivered twice [MQTT-4.3.3-2].
    if (qos === 2 && fresh) {
      const q2 = s._q2 || (s._q2 = new Uint16Array(s._q2size || Default.QOS2_IDS));
      q2[s._q2next] = id;
      s._q2next = (s._q2next + 1) % q2.length;
    }
    if (qos) {
      // PUBACK or PUBREC: encodeAck's four-byte form (codec/writer.ts) written out, here, for PUBREL in pump and
      // for PUBCOMP: on the board a function costs RAM for good. There it is a byte string, which the socket
      // takes as it is (transport.ts); on a host the scratch buffer's first four (writer.ts).
      if (typeof BYTE_STRINGS !== 'undefined') send(s, 4, chars((qos === 1 ? Type.PUBACK : Type.PUBREC) << 4, 2, id >> 8, id & 255));
      else {
        scratch[0] = (qos === 1 ? Type.PUBACK : Type.PUBREC) << 4;
        scratch[1] = 2;
        scratch[2] = id >> 8;
        scratch[3] = id & 255;
        send(s, 4, scratch);
      }
    }
    // the only 'message' listener, run now as flush would run it (what its calls queue runs at the flush below)
    if (run) {
      s._flushing = 1;
      try {
        run(msg!.topic, msg!.payload, msg);
      } catch (e) {
        emit(s, 'error', mqttError(ClientErr.HANDLER, String(e)));
      }
      s._flushing = 0;
    }
  }
  // its events run before the next packet is read (see onPacket)
  if (s._queue) flush(s);
}
