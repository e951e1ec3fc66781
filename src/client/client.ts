import { Err, Type } from '../codec/constants';
import { Packet, createReader } from '../codec/reader';
import { fromBytes, toBytes, topicFilterError } from '../codec/strings';
import { Bytes, ConnectFields, encodeAck, encodeConnect, encodeEmpty, encodePublish, encodeSubscribe } from '../codec/writer';
import { Endpoint, Link, Transport } from '../transport/transport';
import { ClientErr, MqttError, mqttError } from './errors';
import { Done, Stage, append, createOutbox, findId, remove, reserve } from './outbox';
import { matchTopic } from './topics';

// The session: one connection at a time, its keep-alive, the outbox, subscriptions and their handlers,
// reconnection with backoff. It lays out no bytes (the codec does) and opens no sockets (the transport does).

export interface Clock {
  now(): number; // milliseconds
  set(fn: () => void, ms: number): unknown;
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

function isQos(q: number): boolean {
  return q === 0 || q === 1 || q === 2;
}

// What publish() accepts as a payload, as bytes: strings are text (UTF-8 on the wire), numbers and the
// rest are sent as their string form.
function payloadBytes(p: unknown): Bytes {
  return p instanceof Uint8Array ? p : toBytes(p == null ? '' : String(p));
}

const defaultClock: Clock = {
  now: function () {
    return Date.now();
  },
  set: function (fn, ms) {
    return setTimeout(fn, ms);
  },
  clear: function (h) {
    clearTimeout(h);
  },
};

export function createClient(o: Options, defaultTransport?: Transport): Client {
  const clock = o.clock || defaultClock;
  const transport = o.transport || defaultTransport;
  const keepalive = o.keepalive == null ? 60 : o.keepalive;
  const connectTimeout = o.connectTimeout || 30000;
  const backoff = o.reconnect === false ? null : o.reconnect || {};
  const backoffMin = (backoff && backoff.min) || 1000;
  const backoffMax = (backoff && backoff.max) || 60000;
  const backoffFactor = (backoff && backoff.factor) || 2;
  const jitter = backoff && backoff.jitter != null ? backoff.jitter : 0.5;
  const txSize = o.txBuffer || 512;
  const tx = new Uint8Array(txSize);
  const box = createOutbox(o.outboxBytes || 2 * txSize, o.outboxMessages || 16);
  const window = o.window || 8;
  const rejectNew = o.overflow === 'reject-new';
  const dropOffline = o.offlineQos0 === 'drop';
  const qos2Ids = new Uint16Array(o.qos2Ids || 16); // a ring of ids; 0 is never a packet id
  let qos2Next = 0;
  const servers = o.servers || [o];
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < servers.length; i++) {
    const s = servers[i];
    const protocol = s.protocol || 'mqtt';
    endpoints.push({ host: s.host, port: s.port || (protocol === 'mqtts' ? 8883 : 1883), protocol: protocol, ca: o.ca, key: o.key, cert: o.cert });
  }
  const will = o.will;
  const fields: ConnectFields = {
    clientId: toBytes(o.clientId != null ? o.clientId : typeof getSerial === 'function' ? getSerial() : 'mqtt-' + Math.random().toString(16).substr(2, 10)),
    keepalive: keepalive,
    clean: o.clean !== false,
    username: o.username != null ? toBytes(o.username) : undefined,
    password: o.password != null ? payloadBytes(o.password) : undefined,
    will: will ? { topic: toBytes(will.topic), payload: payloadBytes(will.payload), qos: will.qos || 0, retain: will.retain } : null,
  };
  // Bad options are refused at once, before any socket is opened.
  const check = encodeConnect(tx, fields);
  if (check < 0) throw mqttError(-check);
  if (!transport) throw mqttError(ClientErr.NO_TRANSPORT);

  const listeners: { [event: string]: Listener[] } = {};
  const subs: Subscription[] = [];
  const requests: Request[] = [];
  const endDone: (() => void)[] = [];
  let state = State.CLOSED;
  let ending = false;
  let link: Link | null = null;
  let generation = 0; // bumped whenever a link is dropped, so its late events are ignored
  let server = 0;
  let attempt = 0;
  let timer: unknown = null;
  let lastSent = 0;
  let lastReceived = 0;
  let pingAt = -1; // when the unanswered PINGREQ went out, -1 when none is
  let unflushed = 0; // bytes written since the socket last drained
  let lastId = 0;
  let pumping = false;
  let repump = false;

  // ---- events: listeners run synchronously; what they throw is reported, never thrown into a socket callback

  function call(fn: Listener | undefined, a?: unknown, b?: unknown, c?: unknown): void {
    if (!fn) return;
    try {
      fn(a, b, c);
    } catch (e) {
      if (fn !== onErrorLogged) emit('error', mqttError(ClientErr.HANDLER, String(e)));
    }
  }

  function onErrorLogged(err: MqttError): void {
    console.log('mqtt: ' + err.message);
  }

  function emit(event: string, a?: unknown, b?: unknown, c?: unknown): void {
    const l = listeners[event];
    if (!l || !l.length) {
      if (event === 'error') call(onErrorLogged, a); // an error nobody listens for is still seen
      return;
    }
    for (let i = 0; i < l.length; i++) call(l[i], a, b, c);
  }

  // Refuses a call's input: the callback gets the error, or else the 'error' event does.
  function refuse(code: number, done?: Listener): false {
    const err = mqttError(code);
    if (done) call(done, err);
    else emit('error', err);
    return false;
  }

  // ---- timers: one at a time, for whatever the current state waits on

  function arm(ms: number, fn: () => void): void {
    disarm();
    timer = clock.set(fn, ms > 0 ? ms : 0);
  }

  function disarm(): void {
    if (timer != null) clock.clear(timer);
    timer = null;
  }

  // ---- connection lifecycle

  function open(): void {
    const g = ++generation;
    state = State.CONNECTING;
    arm(connectTimeout, function () {
      lose(ClientErr.CONNECT_TIMEOUT);
    });
    try {
      link = transport!(endpoints[server], {
        connect: function () {
          if (g !== generation) return;
          reader.reset();
          lastSent = lastReceived = clock.now();
          send(encodeConnect(tx, fields)); // the first packet on a connection [MQTT-3.1.0-1]
        },
        data: function (chunk) {
          if (g === generation) reader.push(chunk);
        },
        drain: function () {
          if (g !== generation) return;
          unflushed = 0;
          pump();
        },
        close: function (e) {
          if (g !== generation) return;
          link = null;
          generation++;
          closed(e || state === State.CONNECTING ? ClientErr.SOCKET : 0, e ? e.message || String(e.code) : 'connection closed');
        },
      });
    } catch (e) {
      link = null;
      generation++;
      closed(ClientErr.SOCKET, String(e));
    }
  }

  // Drops the current link (a timeout, a malformed packet, a refusal) and goes on as after a close.
  function lose(code: number, detail?: string, longWait?: boolean): void {
    const l = link;
    if (!l) return;
    link = null;
    generation++;
    l.end(true);
    closed(code, detail, longWait);
  }

  function closed(code: number, detail?: string, longWait?: boolean): void {
    const was = state;
    disarm();
    reader.reset();
    unflushed = 0;
    pingAt = -1;
    state = State.CLOSED;
    client.connected = false;
    // What was in flight is resent on the next connection, in order, with DUP set [MQTT-3.3.1-1]
    // [MQTT-4.4.0-1] [MQTT-4.6.0-1]; a released QoS 2 message resends its PUBREL instead.
    for (let k = 0; k < box.count; k++) {
      if (box.stage[k] === Stage.SENT) {
        box.stage[k] = Stage.QUEUED;
        box.bytes[box.at[k]] |= 8;
      } else if (box.stage[k] === Stage.RELEASED) {
        box.stage[k] = Stage.RELEASE;
      }
    }
    if (code) emit('error', mqttError(code, detail));
    emit('close');
    if (was === State.CONNECTED) emit('offline');
    if (was !== State.CONNECTED) server = (server + 1) % endpoints.length; // failover: the next server
    if (ending || !backoff) finish();
    else {
      // exponential backoff with jitter; a refusal of credentials waits the longest [CONNACK 4, 5]
      const base = longWait ? backoffMax : Math.min(backoffMax, backoffMin * Math.pow(backoffFactor, attempt));
      attempt++;
      arm(base * (1 - jitter * Math.random()), function () {
        emit('reconnect');
        open();
      });
    }
  }

  function onConnack(p: Packet): void {
    if (p.code) {
      lose(ClientErr.REFUSED + p.code, '', p.code === 4 || p.code === 5);
      return;
    }
    disarm(); // the connect timeout
    state = State.CONNECTED;
    client.connected = true;
    attempt = 0;
    if (!p.sessionPresent) {
      // A new session: the broker forgot our subscriptions and its QoS 2 state [MQTT-3.1.2-6].
      qos2Ids.fill(0);
      renew();
    }
    for (let i = 0; i < requests.length; i++) sendRequest(requests[i]);
    keepAlive();
    emit('connect', p.sessionPresent);
    pump();
  }

  // Keep-alive: a PINGREQ when nothing was sent or received for keepalive seconds [MQTT-3.1.2-23]; no
  // answer within half of that and the link is dead, so a silent broker is noticed within 1.5x keepalive.
  function keepAlive(): void {
    const k = keepalive * 1000;
    if (!k || state !== State.CONNECTED) return;
    const t = clock.now();
    if (pingAt >= 0) {
      if (t - pingAt >= k / 2) return lose(ClientErr.PING_TIMEOUT);
    } else if (t - lastSent >= k || t - lastReceived >= k) {
      send(encodeEmpty(tx, Type.PINGREQ));
      pingAt = t;
    }
    arm((pingAt >= 0 ? pingAt + k / 2 : Math.min(lastSent, lastReceived) + k) - t, keepAlive);
  }

  function end(force?: boolean | (() => void), done?: () => void): void {
    if (typeof force === 'function') {
      done = force;
      force = false;
    }
    if (done) endDone.push(done);
    if (state === State.ENDED) return finish();
    ending = true;
    if (state === State.CONNECTED) {
      if (!force) return pump(); // DISCONNECT once the outbox is empty and the socket drained
      send(encodeEmpty(tx, Type.DISCONNECT));
    }
    finish();
  }

  // The end: no link, no timer, nothing left pending; what was not delivered is reported dropped.
  function finish(): void {
    const l = link;
    disarm();
    link = null;
    generation++;
    state = State.ENDED;
    client.connected = false;
    if (l) {
      l.end(); // after a DISCONNECT the client closes the connection [MQTT-3.14.4-1]
      emit('close');
    }
    while (box.count) {
      const done = box.done[0];
      const err = dropped(ClientErr.CLOSED, 0);
      remove(box, 0);
      call(done, err);
    }
    while (requests.length) call(requests.shift()!.cb, mqttError(ClientErr.CLOSED));
    if (ending) emit('end');
    ending = false;
    while (endDone.length) call(endDone.shift());
  }

  // ---- writing

  function send(n: number): void {
    if (!link || n < 0) return;
    link.write(tx, 0, n);
    lastSent = clock.now();
    unflushed += n;
  }

  function nextId(): number {
    for (;;) {
      lastId = (lastId % 65535) + 1; // 1..65535, never 0 [MQTT-2.3.1-1]
      let used = findId(box, lastId) >= 0; // never one still in flight [MQTT-2.3.1-2]
      for (let i = 0; i < requests.length; i++) used = used || requests[i].id === lastId;
      if (!used) return lastId;
    }
  }

  // Writes queued messages in order while the window and the socket allow.
  function pump(): void {
    if (pumping) {
      repump = true;
      return;
    }
    pumping = true;
    do {
      repump = false;
      pumpOnce();
    } while (repump);
    pumping = false;
    if (ending && state === State.CONNECTED && !box.count && !unflushed) {
      send(encodeEmpty(tx, Type.DISCONNECT));
      finish();
    }
  }

  function pumpOnce(): void {
    let inflight = 0;
    for (let k = 0; k < box.count && link && state === State.CONNECTED; k++) {
      const stage = box.stage[k];
      const qos = box.qos[k];
      if (stage === Stage.SENT || stage === Stage.RELEASED) {
        inflight++;
        continue;
      }
      if (stage === Stage.QUEUED && qos && inflight >= window) return;
      const n = stage === Stage.RELEASE ? 4 : box.len[k];
      // Never run more than one transmit buffer ahead of the socket: Espruino buffers writes without limit.
      if (unflushed && unflushed + n > txSize) return;
      if (stage === Stage.RELEASE) {
        send(encodeAck(tx, Type.PUBREL, box.id[k])); // in the order of the PUBRECs [MQTT-4.6.0-4]
        box.stage[k] = Stage.RELEASED;
        inflight++;
        continue;
      }
      link.write(box.bytes, box.at[k], box.at[k] + n);
      lastSent = clock.now();
      unflushed += n;
      if (qos) {
        box.stage[k] = Stage.SENT;
        inflight++;
      } else {
        const done = box.done[k];
        remove(box, k--);
        call(done);
      }
    }
  }

  // ---- the API

  function publish(topic: string, payload: unknown, opts?: { qos?: number; retain?: boolean } | Done, done?: Done): boolean {
    if (typeof opts === 'function') {
      done = opts;
      opts = undefined;
    }
    const qos = (opts && opts.qos) || 0;
    if (state === State.ENDED || ending) return refuse(ClientErr.CLOSED, done);
    if (!isQos(qos)) return refuse(Err.BAD_QOS, done);
    let t: string;
    let p: Bytes;
    try {
      t = toBytes(String(topic));
      p = payloadBytes(payload);
    } catch (e) {
      return refuse(Err.BAD_UTF8, done); // a lone surrogate in host text
    }
    // Encoding into the transmit buffer validates everything and gives the exact bytes to queue.
    const id = qos ? nextId() : 0;
    const n = encodePublish(tx, t, p, qos, !!(opts && opts.retain), false, id);
    if (n < 0) return refuse(-n, done);
    if (!qos && state !== State.CONNECTED && dropOffline) {
      call(done, dropped(ClientErr.SOCKET, 0, t, 0));
      return false;
    }
    if (n > box.bytes.length) return refuse(Err.BUFFER_TOO_SHORT, done); // would never fit: evict nothing
    let at = reserve(box, n);
    // Full: either refuse the new message, or give up the oldest not yet in flight until it fits.
    for (let k = 0; at < 0 && !rejectNew && k < box.count; ) {
      if (box.stage[k] !== Stage.QUEUED) {
        k++;
        continue;
      }
      const gone = box.done[k];
      const err = dropped(ClientErr.OUTBOX_FULL, k);
      remove(box, k);
      call(gone, err);
      at = reserve(box, n);
    }
    if (at < 0) {
      call(done, dropped(ClientErr.OUTBOX_FULL, 0, t, qos));
      return false;
    }
    box.bytes.set(tx.subarray(0, n), at);
    append(box, at, n, id, qos, done);
    pump();
    return true;
  }

  // Reports a message the client gives up on: outbox message k, or the one described by topic and qos.
  function dropped(code: number, k: number, topic?: string, qos?: number): MqttError {
    const err = mqttError(code);
    if (topic == null) {
      // read the topic back from the stored PUBLISH: after the fixed header, a 2-byte length
      const b = box.bytes;
      let p = box.at[k] + 1;
      while (b[p++] & 128);
      topic = '';
      for (let i = p + 2, e = p + 2 + ((b[p] << 8) | b[p + 1]); i < e; i++) topic += String.fromCharCode(b[i]);
      qos = box.qos[k];
    }
    err.topic = fromBytes(topic);
    err.qos = qos;
    emit('drop', err);
    return err;
  }

  // Validates filters as bytes; returns them, or the error code.
  function filterBytes(filter: string | string[]): string[] | number {
    const list = typeof filter === 'string' ? [filter] : filter;
    const out: string[] = [];
    if (state === State.ENDED || ending) return ClientErr.CLOSED;
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

  function subscribe(
    filter: string | string[],
    opts?: { qos?: number; handler?: Handler } | SubscribeDone,
    done?: SubscribeDone,
  ): boolean {
    if (typeof opts === 'function') {
      done = opts;
      opts = undefined;
    }
    const qos = (opts && opts.qos) || 0;
    const fs = filterBytes(filter);
    if (typeof fs === 'number') return refuse(fs, done);
    if (!isQos(qos)) return refuse(Err.BAD_QOS, done);
    const qs: number[] = [];
    for (let i = 0; i < fs.length; i++) qs.push(qos);
    const n = encodeSubscribe(tx, 1, fs, qs); // must fit one packet
    if (n < 0) return refuse(-n, done);
    for (let i = 0; i < fs.length; i++) {
      let s = findSub(fs[i]);
      if (s < 0) s = subs.push({ f: fs[i], q: qos }) - 1;
      subs[s].q = qos;
      subs[s].h = opts && opts.handler;
    }
    request({ id: 0, f: fs, q: qs, cb: done });
    return true;
  }

  function unsubscribe(filter: string | string[], done?: Done): boolean {
    const fs = filterBytes(filter);
    if (typeof fs === 'number') return refuse(fs, done);
    if (encodeSubscribe(tx, 1, fs, null) < 0) return refuse(Err.BUFFER_TOO_SHORT, done);
    for (let i = 0; i < fs.length; i++) {
      const s = findSub(fs[i]);
      if (s >= 0) subs.splice(s, 1);
    }
    // Offline with a clean session there is nothing left at the broker to remove.
    if (state !== State.CONNECTED && fields.clean) call(done);
    else request({ id: 0, f: fs, q: null, cb: done });
    return true;
  }

  function findSub(f: string): number {
    for (let i = 0; i < subs.length; i++) if (subs[i].f === f) return i;
    return -1;
  }

  function request(r: Request): void {
    requests.push(r);
    if (state === State.CONNECTED) sendRequest(r);
  }

  function sendRequest(r: Request): void {
    r.id = nextId();
    send(encodeSubscribe(tx, r.id, r.f, r.q));
  }

  // Every remembered subscription again, packed into as few SUBSCRIBEs as fit the transmit buffer;
  // those a pending SUBSCRIBE already carries are left to it.
  function renew(): void {
    let r: Request | null = null;
    for (let i = 0; i < subs.length; i++) {
      if (pending(subs[i].f)) continue;
      if (!r) r = { id: 0, f: [], q: [] };
      r.f.push(subs[i].f);
      r.q!.push(subs[i].q);
      if (encodeSubscribe(tx, 1, r.f, r.q) < 0 && r.f.length > 1) {
        r.f.pop();
        r.q!.pop();
        requests.push(r);
        r = { id: 0, f: [subs[i].f], q: [subs[i].q] };
      }
    }
    if (r) requests.push(r);
  }

  function pending(f: string): boolean {
    for (let i = 0; i < requests.length; i++) if (requests[i].q && requests[i].f.indexOf(f) >= 0) return true;
    return false;
  }

  // ---- reading: socket bytes -> reader -> here -> handlers

  function onPacket(p: Packet): void {
    const type = p.type;
    lastReceived = clock.now();
    pingAt = -1; // any packet proves the broker alive
    if (type === Type.CONNACK) {
      if (state === State.CONNECTING) onConnack(p);
      else lose(ClientErr.PROTOCOL, 'second CONNACK');
    } else if (state !== State.CONNECTED) {
      lose(ClientErr.PROTOCOL, 'packet before CONNACK');
    } else if (type === Type.PUBLISH) {
      onPublish(p);
    } else if (type === Type.PUBACK || type === Type.PUBREC || type === Type.PUBCOMP) {
      onAck(type, p.id);
    } else if (type === Type.PUBREL) {
      forget(p.id);
      send(encodeAck(tx, Type.PUBCOMP, p.id)); // also for an id we do not know
    } else if (type === Type.SUBACK || type === Type.UNSUBACK) {
      onSuback(p);
    }
  }

  function onPublish(p: Packet): void {
    const qos = p.qos;
    const id = p.id;
    if (p.error) {
      // Too large for the receive buffer: skipped, reported, and still acknowledged [MQTT-4.5.0-2].
      const err = mqttError(p.error);
      err.topic = fromBytes(p.topic);
      err.qos = qos;
      err.size = p.length;
      emit('drop', err);
    } else if (qos < 2 || !seen(id)) {
      deliver(p);
    }
    // Acknowledged after the handlers ran, in the order received [MQTT-4.3.2-2] [MQTT-4.6.0-2] [MQTT-4.6.0-3];
    // a QoS 2 id is remembered until its PUBREL, so a resent PUBLISH is not delivered twice [MQTT-4.3.3-2].
    if (qos === 2 && !seen(id)) {
      qos2Ids[qos2Next] = id;
      qos2Next = (qos2Next + 1) % qos2Ids.length;
    }
    if (qos) send(encodeAck(tx, qos === 1 ? Type.PUBACK : Type.PUBREC, id));
  }

  function seen(id: number): boolean {
    for (let i = 0; i < qos2Ids.length; i++) if (qos2Ids[i] === id) return true;
    return false;
  }

  function forget(id: number): void {
    for (let i = 0; i < qos2Ids.length; i++) if (qos2Ids[i] === id) qos2Ids[i] = 0;
  }

  function deliver(p: Packet): void {
    const topic = fromBytes(p.topic);
    const body = p.buf.subarray(p.start, p.end);
    // Espruino: a byte string; Node: a Buffer; elsewhere a Uint8Array copy.
    const payload: Payload =
      typeof E !== 'undefined' ? E.toString(body) : typeof Buffer !== 'undefined' ? Buffer.from(body) : body.slice();
    const msg: Message = { topic: topic, payload: payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.id };
    for (let i = 0; i < subs.length; i++) {
      if (subs[i].h && matchTopic(subs[i].f, p.topic)) call(subs[i].h, topic, payload, msg);
    }
    emit('message', topic, payload, msg);
  }

  function onAck(type: Type, id: number): void {
    const k = findId(box, id);
    const stage = k < 0 ? -1 : box.stage[k];
    // PUBACK answers a QoS 1 PUBLISH, PUBREC a QoS 2 one, PUBCOMP a PUBREL [MQTT-2.3.1-6]
    if (type === Type.PUBCOMP ? stage !== Stage.RELEASED : stage !== Stage.SENT || box.qos[k] !== (type === Type.PUBACK ? 1 : 2)) {
      return lose(ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + id);
    }
    if (type === Type.PUBREC) {
      box.stage[k] = Stage.RELEASE;
    } else {
      const done = box.done[k];
      remove(box, k);
      call(done);
    }
    pump();
  }

  function onSuback(p: Packet): void {
    let k = 0;
    while (k < requests.length && requests[k].id !== p.id) k++;
    const r = requests[k];
    const codes = p.end - p.start;
    if (!r || (p.type === Type.SUBACK ? !r.q || codes !== r.f.length : r.q)) {
      return lose(ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + p.id);
    }
    requests.splice(k, 1);
    if (!r.q) return call(r.cb);
    const granted: { topic: string; qos: number }[] = [];
    let err: MqttError | undefined;
    for (let i = 0; i < codes; i++) {
      const code = p.buf[p.start + i];
      const topic = fromBytes(r.f[i]);
      granted.push({ topic: topic, qos: code });
      if (code === 0x80) {
        // refused: reported, and not renewed on later connections
        const s = findSub(r.f[i]);
        if (s >= 0) subs.splice(s, 1);
        err = mqttError(ClientErr.SUBSCRIBE_REFUSED, topic);
        err.topic = topic;
        if (!r.cb) emit('error', err);
      }
    }
    call(r.cb, err, granted);
  }

  // Built last: Espruino does not hoist, so everything these name must already be defined.
  const reader = createReader(o.rxBuffer || 512, onPacket, function (code) {
    lose(code); // malformed input: close, then reconnect [MQTT-4.8.0-1]
  });

  const client: Client = {
    connected: false,
    on: function (event, fn) {
      (listeners[event] || (listeners[event] = [])).push(fn);
      return client;
    },
    removeListener: function (event, fn) {
      const l = listeners[event];
      const k = l ? l.indexOf(fn) : -1;
      if (k >= 0) l.splice(k, 1);
      return client;
    },
    publish: publish,
    subscribe: subscribe,
    unsubscribe: unsubscribe,
    end: end,
    queued: function () {
      return box.count;
    },
  };

  // Connect once the caller has had a chance to add listeners.
  arm(0, open);
  return client;
}
