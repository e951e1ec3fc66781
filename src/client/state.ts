import { Properties } from '../codec/properties';
import { Reader } from '../codec/reader';
import { Bytes, ConnectFields } from '../codec/writer';
import { Endpoint, Link, LinkEvents, Transport } from '../transport/transport';
import { Client, Clock, Handler, Listener, SubscribeDone } from './client';
import { Outbox } from './outbox';

// The client's whole state, shared by the files of src/client/. Its behaviour is top-level functions over
// this object, never functions defined per client: on Espruino a nested function is a new closure (about
// 10 blocks; under require() its text is copied into RAM too) each time its outer function runs, while a
// top-level one run from flash costs 4 blocks plus 1 per parameter, whatever its length. Fields are named
// _x: the board bundles mangle them to a letter or two (rollup.config.mjs). The session's flags are 0 or 1, not
// booleans: on the board a number field costs one block, a boolean two.

export const enum State {
  CLOSED, // no connection; a reconnect may be scheduled
  CONNECTING, // socket opening or CONNECT sent, waiting for CONNACK
  CONNECTED,
  ENDED,
}

// What the one timer is waiting for.
export const enum Wake {
  NONE = -1, // no timer (arm with it clears the one set)
  OPEN, // the first connection, once the caller has added listeners
  CONNACK, // the connect timeout
  PING, // the keep-alive
  RETRY, // the backoff before a reconnect
}

export interface Subscription {
  _filter: string; // bytes
  _qos: number;
  _handler?: Handler;
  _props?: Properties | null; // 5.0: the SUBSCRIBE's properties (a Subscription Identifier), renewed with it
}

// A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement, sent again (same id) on every new connection
// until then.
export interface Request {
  _id: number;
  _filters: string[]; // bytes
  _qos: number[] | null; // SUBSCRIBE: the QoS asked for each filter; UNSUBSCRIBE: null
  _done?: SubscribeDone;
  _after: number; // sent only once every publish the application made before it was written
  _sent: boolean; // on this connection
  _renewal: boolean; // made by the client to renew subscriptions, not counted against `pendingRequests`
  _props?: Properties | null; // 5.0: its properties
}

// Session._opts: reconnect at all; overflow 'reject-new'; offlineQos0 'drop'; Clean Session (5.0: Clean Start);
// and one that is not an option, kept here for the block a field of its own would cost.
export const enum Opt {
  RETRY = 1,
  REJECT_NEW = 2,
  DROP_OFFLINE = 4,
  CLEAN = 8,
  HANDLERS = 16, // a subscription has been given a handler: dispatch looks for them (not cleared)
}

// The defaults of the options the session keeps a field for only when given (on the board each field is a
// block for good): read where used, as `s._x || Default.X`.
export const enum Default {
  CONNECT_TIMEOUT = 30000,
  RETRY_MIN = 1000,
  RETRY_MAX = 60000,
  RETRY_FACTOR = 2,
  JITTER = 0.5,
  REQUESTS = 8, // pendingRequests
  QOS2_IDS = 16,
}

export interface Session extends Client {
  _clock: Clock;
  _transport: Transport;
  _connectTimeout?: number; // these five and _maxRequests, _q2size: only when given (Default)
  _opts: number; // the options that are yes or no, as Opt bits: one number, one block on the board (four fields, four)
  _rmin?: number;
  _rmax?: number;
  _rfactor?: number;
  _jitter?: number;
  _txMax: number; // the txBuffer option: the longest packet the client writes (writer.ts), and how far its writes
  // may run ahead of the socket
  _box: Outbox;
  _window: number;
  _maxRequests?: number;
  _q2?: Uint16Array; // a ring of inbound QoS 2 packet ids, made by the first QoS 2 message; 0 is never an id
  _q2size?: number;
  _q2next: number;
  _servers: Endpoint[];
  _keepalive: number; // seconds, as the CONNECT says
  _connect?: Bytes; // the CONNECT's bytes, encoded once (on the board a byte string), or else:
  _fields?: ConnectFields; // its fields, encoded again for each connection (client.ts)
  _willFor?: () => Bytes; // the will's payload, made for each connection
  _reader: Reader;
  // an event's listener, or its listeners when there are several (events.ts)
  _listeners: { [event: string]: Listener | Listener[] };
  // events and callbacks waiting to run, four entries each: an event name or a function, then its arguments;
  // null when none (on the board a field tested costs half what an empty array's first element does, 1.5 us
  // against 3.7, three or four times a message)
  _queue: unknown[] | null;
  // 0; 1 while listeners run (flush, or a message's only listener); 2 while a drop report or a given-up
  // message's callback runs: a publish from it then never gives up another message to make room
  _flushing: number;
  _subs: Subscription[];
  _reqs: Request[];
  _seq: number; // the order of the application's publishes and requests
  _wantRoom: number; // bytes a publish found no room for after it returned false; 'drain' when they fit
  _endDone?: (() => void)[];
  _state: State;
  _ending: number;
  _link: Link | null;
  _gen: number; // bumped whenever a link is dropped, so its late events are ignored
  _server: number;
  _attempt: number;
  _tried: number; // servers tried in vain since the last backoff (session.ts lose)
  _upAt: number; // when the current connection was accepted
  _timer: unknown;
  _wake: Wake;
  _lastSent: number;
  _lastHeard: number;
  _pingAt: number; // when the unanswered PINGREQ went out, -1 when none is
  _unflushedSince: number; // when the oldest of the bytes written and not yet sent was written (_link._unsent)
  _lastId: number; // the last packet id given, plus 65535 once they have gone round 65535 (nextId)
  _pumping: number; // 0, 1 in pump, 2 in pump and called again meanwhile (one more pass)
  // MQTT 5.0 (the v5 builds only; set by createClient, then by each CONNACK: v5.ts)
  _v5?: boolean;
  _userWindow?: number; // the window asked for; the server's Receive Maximum may lower it
  _maxQos?: number;
  _retainOk?: boolean;
  _maxPacket?: number;
  _subNo?: number; // what the server's CONNACK said it cannot take: 1 wildcard filters, 2 shared ones, 4 Subscription Identifiers
  _serverKeepalive?: number;
  _aliasCap?: number; // topicAliases: outbound aliases the client may use
  _aliasMax?: number; // on this connection: the smaller of that and the server's Topic Alias Maximum
  _aliasOut?: string[]; // outbound: the topic of alias i + 1
  _aliasIn?: string[]; // inbound: the topic of alias i + 1
  _byeCode?: number; // end()'s DISCONNECT reason code and properties, when it was given them
  _byeProps?: Properties | null;
}

// The events of one link: the client, and the generation the link belongs to.
export interface Events extends LinkEvents {
  _client: Session;
  _gen: number;
}
