import { Properties } from '../codec/properties';
import { Reader, createReader } from '../codec/reader';
import { toBytes } from '../codec/strings';
import { Bytes, ConnectFields, SCRATCH, encodeConnect, measured, scratch } from '../codec/writer';
import { Endpoint, Transport } from '../transport/transport';
import { ClientErr, MqttError, mqttError } from './errors';
import { on, removeListener } from './events';
import { fastOnPublish, onAck, onPacket, onPublish } from './inbound';
import { checkOptions } from './options';
import { Done, createOutbox } from './outbox';
import { fastPublish, payloadBytes, publish, queued } from './outbound';
import { arm, end, lose, reconnect } from './session';
import { Default, Opt, Session, State, Wake } from './state';
import { SubscribeOptions, subscribe, unsubscribe } from './subscriptions';
import { copyProps } from './v5';

// The client: one connection at a time, its keep-alive, the outbox, subscriptions and their handlers,
// reconnection with backoff. It lays out no bytes (the codec does) and opens no sockets (the transport does).
// Its files, top-down: session.ts (the connection's life and the session rules), inbound.ts (packets
// received), outbound.ts (publishing and the outbox's traffic), subscriptions.ts (requests and dispatch),
// events.ts (listeners, run after each state change), state.ts (the fields), options.ts (validation).

export interface Clock {
  now(): number; // milliseconds
  set(fn: (arg: any) => void, ms: number, arg: any): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  clear(handle: unknown): void;
}

export interface Server {
  url?: string; // 'mqtt://host:1883', 'mqtts://', 'ws://host:80/mqtt', 'wss://'; or host, port, protocol, path
  host?: string;
  port?: number;
  protocol?: string; // 'mqtt' (default), 'mqtts', 'ws', 'wss' (ws and wss need the WebSocket build)
  path?: string; // ws and wss: the HTTP path, '/mqtt' unless given
}

export interface Options extends Server {
  servers?: Server[]; // failover list, tried in turn; host/port/protocol are used when absent
  clientId?: string;
  username?: string;
  password?: Bytes;
  keepalive?: number; // seconds, 0 for none
  clean?: boolean;
  // payload: bytes, or a function called as each connection opens, just before its CONNECT is written, that
  // returns them (Sparkplug's NDEATH with its bdSeq); when it throws, that CONNECT carries the previous will,
  // and when there is none yet, or the payload is too long, the connection fails with an 'error'
  will?: { topic: string; payload: Bytes | (() => Bytes); qos?: number; retain?: boolean; properties?: Properties };
  protocolVersion?: number; // 4 (MQTT 3.1.1, the default) or, in the v5 builds, 5
  properties?: Properties; // 5.0: CONNECT's properties (sessionExpiryInterval, receiveMaximum, ...)
  topicAliases?: number; // 5.0: outbound topic aliases the client may assign (default 0: none)
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
  pendingRequests?: number; // (un)subscribe requests waiting for their acknowledgement at once
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

// 5.0: end(force, { reasonCode, properties }, done): the DISCONNECT's reason code (0x04: the server
// publishes the will) and properties (sessionExpiryInterval, reasonString, userProperties).
export interface EndOptions {
  reasonCode?: number;
  properties?: Properties;
}

export interface PublishOptions {
  qos?: number;
  retain?: boolean;
  properties?: Properties; // 5.0
}

export interface Message {
  topic: string;
  payload: Payload;
  qos: number;
  retain: boolean;
  dup: boolean;
  messageId: number;
  properties?: Properties; // 5.0: the PUBLISH's properties, when it has any
}

export interface Client {
  connected: boolean;
  on(event: string, fn: Listener): Client;
  removeListener(event: string, fn: Listener): Client;
  publish(topic: string, payload: unknown, opts?: PublishOptions | Done, done?: Done): boolean;
  subscribe(filter: string | string[], opts?: SubscribeOptions | SubscribeDone, done?: SubscribeDone): boolean;
  unsubscribe(filter: string | string[], done?: Done): boolean;
  end(force?: boolean | (() => void) | EndOptions, opts?: EndOptions | (() => void), done?: () => void): void; // (options: 5.0 build)
  reconnect(): void;
  queued(): number;
}

// The interpreter's own functions, not wrappers: a function of ours costs the board 4-7 blocks.
const defaultClock: Clock = { now: Date.now, set: setTimeout, clear: clearTimeout };


// ---- making one

// A server entry as the transport takes it, from its URL or its fields; a bad one is refused by connect().
// Parsed with indexOf: the interpreter's regular expressions lack alternation in groups and {n,m}.
function endpoint(e: Server, o: Options): Endpoint {
  let protocol = e.protocol || 'mqtt';
  let host = e.host;
  let port = e.port;
  let path = e.path;
  const url = e.url;
  if (url) {
    const at = url.indexOf('://');
    let rest = url.substr(at + 3);
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      path = rest.substr(slash);
      rest = rest.substr(0, slash);
    }
    // host, or [IPv6 address], either with :port
    const colon = rest.lastIndexOf(':');
    protocol = url.substr(0, at);
    host = rest;
    if (colon > rest.lastIndexOf(']')) {
      host = rest.substr(0, colon);
      port = /^[0-9]+$/.test(rest.substr(colon + 1)) ? +rest.substr(colon + 1) : -1;
    }
    if (host.charAt(0) === '[' && host.charAt(host.length - 1) === ']') host = host.substring(1, host.length - 1);
    else if (/[:\[\]]/.test(host)) host = ''; // an IPv6 address goes in brackets
  }
  const defaultPort = ({ mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 } as { [p: string]: number })[protocol];
  // a path goes into the upgrade request's first line: printable, no space, no fragment (RFC 6455 3)
  if (!host || /[\s@?#\/]/.test(host) || !(defaultPort > 0) || (port != null && !(port >= 1 && port <= 65535 && port % 1 === 0)) || (path != null && !/^\/[!-"$-~]*$/.test(path))) {
    throw mqttError(ClientErr.BAD_OPTION, 'server ' + (url || protocol + '://' + host + ':' + port + (path || '')));
  }
  // Only the keys that have a value: on the board a key costs its block even when its value is undefined.
  const to: Endpoint = { host: host, port: port || defaultPort, protocol: protocol };
  if (protocol.charAt(0) === 'w') to.path = path || '/mqtt';
  if (o.ca) to.ca = o.ca;
  if (o.key) to.key = o.key;
  if (o.cert) to.cert = o.cert;
  return to;
}

export function createClient(o: Options, defaultTransport?: Transport): Client {
  checkOptions(o);
  const transport = o.transport || defaultTransport;
  const backoff = o.reconnect || {};
  const txSize = o.txBuffer || 512;
  const list = o.servers || [o];
  const servers: Endpoint[] = [];
  for (let i = 0; i < list.length; i++) servers.push(/*@__INLINE__*/ endpoint(list[i], o));
  const will = o.will;
  const fields: ConnectFields = {
    clientId: toBytes(o.clientId != null ? o.clientId : typeof getSerial === 'function' ? getSerial() : 'mqtt-' + Math.random().toString(16).substr(2, 10)),
    keepalive: o.keepalive == null ? 60 : o.keepalive,
    clean: o.clean !== false,
  };
  // (only those given: an undefined key costs the board a block as well)
  if (o.username != null) fields.username = toBytes(o.username);
  // (payloadBytes compiled in here, run once: on the board it costs no function of its own)
  if (o.password != null) fields.password = /*@__INLINE__*/ payloadBytes(o.password);
  // (a will made per connection is not made here: making it may have effects, a bdSeq counted)
  const willFor = will && typeof will.payload === 'function' ? will.payload : null;
  if (will) fields.will = { topic: toBytes(will.topic), payload: willFor ? '' : /*@__INLINE__*/ payloadBytes(will.payload), qos: will.qos || 0, retain: will.retain };
  const v5 = MQTT5 && o.protocolVersion === 5;
  if (MQTT5 && v5) {
    const props = copyProps(o.properties) || {};
    // enhanced authentication (AUTH exchanges, 4.12 of 5.0) is not supported: refused, not met on every connection
    if (props.authenticationMethod != null || props.authenticationData != null) throw mqttError(ClientErr.BAD_OPTION, 'authenticationMethod: enhanced authentication is not supported');
    // Receive Maximum: no more QoS 1 and 2 messages unacknowledged than qos2Ids remembers (3.3.4 of 5.0); more
    // would let the server have QoS 2 ids outstanding that the ring of remembered ids has overwritten, and a
    // message resent under one of them would be delivered twice
    if (props.receiveMaximum == null) props.receiveMaximum = o.qos2Ids || Default.QOS2_IDS;
    if ((props.receiveMaximum as number) > (o.qos2Ids || Default.QOS2_IDS)) throw mqttError(ClientErr.BAD_OPTION, 'receiveMaximum must not exceed qos2Ids');
    fields.version = 5;
    fields.properties = props;
    if (will) fields.will!.properties = copyProps(will.properties) || undefined;
  }
  // Bad options are refused at once, before any socket is opened.
  // (into the scratch, then again into a buffer of its length, as every packet longer than 8 bytes: writer.ts)
  let tx = scratch || new Uint8Array(SCRATCH);
  let check = measured(encodeConnect(tx, fields), txSize);
  if (check > SCRATCH) check = encodeConnect((tx = new Uint8Array(check)), fields);
  if (check < 0) throw mqttError(-check);
  if (!transport) throw mqttError(ClientErr.NO_TRANSPORT);
  const s: Session = {
    // Espruino finds a property by walking the object's list of names: the fields read for every message first.
    _state: State.CLOSED,
    _link: null,
    _gen: 0,
    _box: /*@__INLINE__*/ createOutbox(o.outboxBytes || Math.min(2 * txSize, 65535), o.outboxMessages || 16),
    _txMax: txSize,
    _queue: null,
    _flushing: 0,
    _pumping: 0,
    _window: o.window || 8,
    _unflushedSince: 0,
    _lastSent: 0,
    _lastHeard: 0,
    _pingAt: -1,
    _clock: o.clock || defaultClock,
    _subs: [],
    _listeners: {},
    _reqs: [],
    _wantRoom: 0,
    _ending: 0,
    _seq: 0,
    _lastId: 0,
    _q2next: 0,
    _reader: null as unknown as Reader,
    publish: KEEP_HOT_CALLS && typeof BYTE_STRINGS !== 'undefined' && !MQTT5 ? fastPublish : publish,
    connected: false,
    on: on,
    removeListener: removeListener,
    subscribe: subscribe,
    unsubscribe: unsubscribe,
    end: end,
    reconnect: reconnect,
    queued: queued,
    _transport: transport,
    _opts: (o.reconnect !== false ? Opt.RETRY : 0) | (o.overflow === 'reject-new' ? Opt.REJECT_NEW : 0) | (o.offlineQos0 === 'drop' ? Opt.DROP_OFFLINE : 0) | (fields.clean ? Opt.CLEAN : 0),
    _servers: servers,
    _keepalive: fields.keepalive,
    _server: 0,
    _attempt: 0,
    _tried: 0,
    _upAt: 0,
    _timer: null,
    _wake: Wake.OPEN,
  };
  // Options left at their defaults get no field (Default in state.ts).
  if (o.connectTimeout) s._connectTimeout = o.connectTimeout;
  if (o.pendingRequests) s._maxRequests = o.pendingRequests;
  if (o.qos2Ids) s._q2size = o.qos2Ids; // (the ring itself is made by the first QoS 2 message: 7 blocks that most nodes never need)
  if (backoff.min) s._rmin = backoff.min;
  if (backoff.max) s._rmax = backoff.max;
  if (backoff.factor) s._rfactor = backoff.factor;
  if (backoff.jitter != null) s._jitter = backoff.jitter;
  // The CONNECT is encoded once, here, and its bytes written on every connection (its fields as an object
  // cost the board about 25 blocks, its bytes about 6); kept as fields and encoded again for each
  // connection only when it changes: a will made per connection, or 5.0 (the id a server assigns).
  if (willFor || (MQTT5 && v5)) {
    s._fields = fields;
    if (willFor) s._willFor = willFor as () => Bytes;
  } else if (!(s._connect = typeof BYTE_STRINGS !== 'undefined' ? E.toString(tx) : tx)) {
    s._fields = fields; // no room for the bytes on the board: the fields, encoded each time
  }
  if (MQTT5) {
    s._v5 = v5;
    s._userWindow = s._window;
    s._aliasCap = o.topicAliases || 0;
    s._maxQos = 2;
    s._retainOk = true;
    s._maxPacket = 268435460;
    if (v5) s._box._exp = new Float64Array(o.outboxMessages || 16);
  }
  // malformed input closes the connection, then the client reconnects [MQTT-4.8.0-1]
  // (a PUBACK straight to onAck in the library; the firmware, which publishes seldom, has onAck written into
  // onPacket by the compiler, a function expression made for each acknowledgement: a function fewer for good,
  // KEEP_HOT_CALLS)
  s._reader = MQTT5 && v5 ? createReader(o.rxBuffer || 512, onPacket, lose, s, v5) : createReader(o.rxBuffer || 512, onPacket, lose, s, false, KEEP_HOT_CALLS && typeof BYTE_STRINGS !== 'undefined' && !MQTT5 ? fastOnPublish : onPublish, KEEP_HOT_CALLS ? onAck : undefined);
  arm(s, 0, Wake.OPEN); // connect once the caller has had a chance to add listeners
  return s;
}
