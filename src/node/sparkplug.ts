import { Client, Options, Payload } from '../client/client';
import { reconnectNext } from '../client/hooks';
import { watchDigital } from '../drivers/digital';
import { drive } from '../drivers/output';
import { readSensor } from '../drivers/sensors';
import { BoardInfo, NodeConfig, NodeSensor } from './config';
import { nodeId } from './identity';
import { nodeOptions as plainOptions } from './node';
import { quantities, quantityCount, roundValue } from './quantities';
import { DataType, MetricIn, putHead, putMetric, readMetrics } from './sparkplug-payload';

// The sensor node as a Sparkplug B 3.0 edge node (node.json "format": "sparkplug"): the same drivers and
// client as the Home Assistant node (node.ts), which this file replaces in the -sparkplug board bundles.
//   spBv1.0/<group>/NBIRTH/<id>   every metric, after each connect (and on a host's rebirth request)
//   spBv1.0/<group>/NDATA/<id>    the metrics that changed (report by exception)
//   spBv1.0/<group>/NDEATH/<id>   the will, and said before an orderly end
//   spBv1.0/<group>/NCMD/<id>     writes to actuators, Node Control/Rebirth
//   spBv1.0/STATE/<host>          the primary host's state, when one is configured
// Metrics, in alias order from 1: each quantity of each sensor (<sensor>/<quantity>), each actuator
// (<actuator>/state, and a dimmer's <actuator>/brightness), 'Node Info/Error'. bdSeq and
// 'Node Control/Rebirth' have no alias [tck-id-operational-behavior-data-commands-rebirth-name-aliases].
// Like node.ts, one node per board: its state is top-level variables, its functions top-level.

let client: Client;
let config: NodeConfig;
let buf: Uint8Array; // every payload is laid out here, then copied into its PUBLISH (client/outbound.ts)
let ns: string; // 'spBv1.0/<group>/'
let id: string;
let dataTopic: string;
let bdSeq = 255; // of the will of the last CONNECT written (255: none yet, the first will be 0)
let seq = 0; // of the next NDATA
let born = 0; // NBIRTH sent on this connection: NDATA may follow [tck-id-payloads-ndata-order]
let hostUp = 0; // no primary host is configured, or it said online on this connection
let hostSeen = -1; // the timestamp of the last STATE taken from the primary host on this connection
let clockWaits = 0; // seconds the first NBIRTH waited for the clock
let waiting = 0; // for the clock, a timer pending (flags are 0/1: a number costs the board one block, a boolean two)
let lastError = '';
let errorAt = 0; // when it happened
let actuatorsAt = 0; // the index of the first actuator metric (after every sensor quantity)
let errorIndex = 0; // the index of 'Node Info/Error' (the last metric)
let timers: unknown[] = [];

// The metric being looked at (metricAt): its name, datatype, value (undefined: none yet, is_null) and time.
let mName: string;
let mType: DataType;
let mValue: unknown;
let mTime: number;

// Clean session, as Sparkplug requires of an MQTT 3.1.1 edge node; the will is the NDEATH, made anew for
// each CONNECT (its payload the function death), QoS 1, not retained [tck-id-message-flow-edge-node-birth-publish-will-message-qos].
// QoS 0 messages are never carried over to the next connection, where the NBIRTH must come first; a full
// outbox refuses a new message rather than give up a queued one (which could be the NBIRTH): a refused
// NDATA leaves a gap in seq, on which a host asks for a rebirth.
export function nodeOptions(cfg: NodeConfig, board: BoardInfo): Options {
  const o = plainOptions(cfg, board);
  buf = new Uint8Array(cfg.sparkplug!.bytes);
  ns = 'spBv1.0/' + cfg.sparkplug!.group + '/';
  // made again for each CONNECT, with the next bdSeq
  o.will = { topic: ns + 'NDEATH/' + /*@__INLINE__*/ nodeId(cfg), payload: death, qos: 1, retain: false };
  o.clean = true; // 5.0: Clean Start, and no Session Expiry Interval (0) [tck-id-principles-persistence-clean-session-50]
  o.offlineQos0 = 'drop';
  o.overflow = 'reject-new';
  return o;
}

export function runNode(c: Client, cfg: NodeConfig, boardName: string): void {
  client = c;
  config = cfg;
  id = /*@__INLINE__*/ nodeId(cfg);
  dataTopic = ns + 'NDATA/' + id;
  born = 0;
  lastError = '';
  timers = [];
  actuatorsAt = errorIndex = 0;
  for (let i = 0; i < cfg.sensors.length; i++) actuatorsAt += quantityCount(cfg.sensors[i]);
  errorIndex = actuatorsAt;
  for (let i = 0; i < cfg.actuators.length; i++) {
    errorIndex += cfg.actuators[i].type === 'pwm' ? 2 : 1;
    drive(cfg.actuators[i]);
  }
  // UTC for the timestamps [tck-id-payloads-timestamp-in-UTC]: a board's clock starts at 1970. The zone is
  // a TZ string on the ESP32 and hours on the ESP8266 (each throws on the other's, in 2v29's source).
  try {
    require('Wifi').setSNTP(cfg.sparkplug!.ntp || 'pool.ntp.org', boardName === 'ESP32' ? 'UTC0' : 0);
  } catch (e) {
    // no Wi-Fi module (the Linux interpreter): its clock is the host's
  }
  c.on('connect', connection);
  c.on('close', connection);
  // before any NBIRTH: the client sends its subscriptions first on every connection
  // [tck-id-message-flow-edge-node-ncmd-subscribe]
  c.subscribe(ns + 'NCMD/' + id, { qos: 1, handler: command });
  if (cfg.sparkplug!.host) c.subscribe('spBv1.0/STATE/' + cfg.sparkplug!.host, { qos: 1, handler: hostState });
  // the sensors started as node.ts starts them (its loop, not a shared function: that would cost both
  // firmwares a function's blocks)
  for (let i = 0; i < cfg.sensors.length; i++) {
    const s = cfg.sensors[i];
    if (s.type === 'digital') watchDigital(s, reported);
    else if (s.period) timers.push(setInterval(readSensor, s.period * 1000, s, reported));
    readSensor(s, reported);
  }
}

// An orderly end: the NDEATH first [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]
// [tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt311], then DISCONNECT once it is acknowledged;
// never connected: no will was ever registered, no NDEATH is owed. MQTT 5.0: that DISCONNECT has reason 0x04,
// Disconnect with Will Message [tck-id-payloads-ndeath-will-message-publisher-disconnect-mqtt50], so the
// server publishes the NDEATH will as well: a host sees the NDEATH twice, with the same bdSeq, the second for
// a node already offline.
export function stopNode(done?: () => void): void {
  if (!client) return; // the board's reset (E.on('kill')) before the node ran
  for (let i = 0; i < timers.length; i++) clearInterval(timers[i]);
  born = 0;
  if (client.connected) client.publish(ns + 'NDEATH/' + id, death(true), { qos: 1 });
  if (MQTT5 && config.mqtt.version) client.end(false, { reasonCode: 4 }, done);
  else client.end(false, done);
}

// ---- the session: bdSeq, birth, death

// An NDEATH payload: the bdSeq metric alone [tck-id-topics-ndeath-payload], no seq, in a copy of its own
// (the client keeps the will's bytes). For each CONNECT (called with no argument, just before it is
// written) bdSeq goes up by one, 0 for the first, back to 0 after 255
// [tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq]; `same`: this connection's.
// bdSeq moves only once the payload is made: a CONNECT whose will could not be made (no memory) goes with
// the previous one, and its NBIRTH with the same bdSeq, so that the two always agree.
function death(same?: boolean): Uint8Array {
  const n = same ? bdSeq : (bdSeq + 1) % 256;
  // (a copy by the constructor: Espruino's typed-array slice() gives a plain Array)
  const payload = new Uint8Array(buf.subarray(0, putMetric(buf, 0, 'bdSeq', 0, -1, DataType.Int64, n)));
  bdSeq = n;
  return payload;
}

// A new connection, or none: not born. Once connected, born at once unless a primary host is configured:
// then once its STATE says online [tck-id-message-flow-edge-node-birth-publish-phid-wait]. Its last STATE
// timestamp is that server's (a host's STATE on another server may be older).
function connection(): void {
  born = 0;
  hostUp = +!config.sparkplug!.host;
  hostSeen = -1;
  birth();
}

// Every metric with its current value, seq 0, and the bdSeq of this connection's will
// [tck-id-topics-nbirth-bdseq-matching]: due when connected, not born yet (why 1: a rebirth request) and the
// primary host, if any, online. The first one after boot waits for the clock to be set (SNTP, runNode), a
// second at a time (why 2), 30 at most: then it goes, and says so in Node Info/Error.
function birth(why?: number): void {
  if (why === 2) waiting = 0;
  if (!client.connected || !hostUp || (born && why !== 1)) return;
  let t = Date.now();
  if (t < Clock.SET && clockWaits < 30) {
    if (why === 2) clockWaits++; // seconds waited
    if (!waiting) setTimeout(birth, 1000, 2);
    waiting = 1;
    return;
  }
  if (t < Clock.SET) {
    fault('clock not set: no time from ' + (config.sparkplug!.ntp || 'pool.ntp.org'));
    t = Date.now();
  }
  let p = putHead(buf, t, 0);
  p = putMetric(buf, p, 'bdSeq', 0, t, DataType.Int64, bdSeq);
  p = putMetric(buf, p, 'Node Control/Rebirth', 0, t, DataType.Boolean, false); // [tck-id-topics-nbirth-rebirth-metric]
  for (let i = 0; metricAt(i, t, true); i++) p = putMetric(buf, p, mName, i + 1, mTime, mType, mValue);
  sendPayload(p, true);
}

// An NBIRTH (seq 0) or an NDATA (seq one more each time, 255 then 0
// [tck-id-payloads-sequence-num-incrementing]) laid out up to p, at QoS 0, not retained
// [tck-id-topics-nbirth-mqtt] [tck-id-topics-ndata-mqtt]. One larger than the buffer (node-config sized it
// for this node's NBIRTH) is never sent half.
function sendPayload(p: number, isBirth?: boolean): void {
  if (p > buf.length) return fault('payload too large');
  // taken: publish() says so, or says "no more room" with the message queued; refused by a full outbox
  // (overflow 'reject-new'), an NBIRTH leaves the node unborn (a host's next rebirth request tries again)
  const before = client.queued();
  if (!client.publish(isBirth ? ns + 'NBIRTH/' + id : dataTopic, buf.subarray(0, p)) && client.queued() === before) return;
  if (isBirth) born = 1;
  seq = isBirth ? 1 : (seq + 1) % 256;
}

// A clock past this (2017) has been set; one before it counts from the board's boot.
const enum Clock {
  SET = 1.5e12,
}

// Metric i (alias i + 1) into mType, mValue, mTime, and its name into mName when `named` (an NBIRTH, a
// command naming one): NDATA go by alias, and make no string.
function metricAt(i: number, now: number, named?: boolean): boolean {
  const sensors = config.sensors;
  // one count for both loops, declared before them: terser merges two into a `var` in the second, which the
  // interpreter (no hoisting) has not declared when the first runs
  let n = 0;
  for (let k = 0; k < sensors.length; k++) {
    const s = sensors[k];
    n = quantityCount(s);
    if (i < n) {
      const digital = s.type === 'digital';
      if (named) mName = s.name + '/' + quantities(s)[i];
      mType = digital ? DataType.Boolean : DataType.Double;
      mValue = s._v ? (digital ? !!s._v[i] : roundValue(s, s._v[i])) : undefined;
      mTime = (s._t as number) > Clock.SET ? s._t! : now; // `now` for one taken before the clock was set
      return true;
    }
    i -= n;
  }
  const acts = config.actuators;
  for (let k = 0; k < acts.length; k++) {
    const a = acts[k];
    n = a.type === 'pwm' ? 2 : 1;
    if (i < n) {
      if (named) mName = a.name + (i ? '/brightness' : '/state');
      mType = i ? DataType.Int32 : DataType.Boolean;
      mValue = i ? a.level : !!a.active;
      mTime = (a._t as number) > Clock.SET ? a._t! : now;
      return true;
    }
    i -= n;
  }
  if (i) return false;
  mName = 'Node Info/Error';
  mType = DataType.String;
  mValue = lastError;
  mTime = errorAt > Clock.SET ? errorAt : now;
  return true;
}

// ---- data: a reading, by exception [tck-id-topics-ndata-payload]

function reported(s: NodeSensor, error: string | null, values?: number[]): void {
  const was = s._v;
  const now = (s._v = error || !values ? undefined : values);
  s._t = Date.now();
  let first = 0; // the sensor's first metric
  for (let k = 0; config.sensors[k] !== s; k++) first += quantityCount(config.sensors[k]);
  let p = putHead(buf, s._t, seq);
  const start = p;
  for (let i = 0; born && i < quantityCount(s); i++) {
    metricAt(first + i, s._t);
    // a change: a value from none or to none, or one that rounds to another
    if (!was || !now ? !was !== !now : s.type === 'digital' ? !was[i] !== !now[i] : roundValue(s, was[i]) !== mValue) {
      p = putMetric(buf, p, null, first + i + 1, mTime, mType, mValue);
    }
  }
  if (p > start) sendPayload(p);
  if (!now) fault(s.name + ': ' + (error || 'no value'));
}

// Says why something failed in 'Node Info/Error', in an NDATA of its own once born: when it is news, or
// `always` (every refused command is answered, a sensor failing again the same way is not news).
function fault(why: string, always?: boolean): void {
  why = why.substr(0, 64); // node-config sized the NBIRTH for 64 bytes of it
  if (why === lastError && !always) return;
  lastError = why;
  errorAt = Date.now();
  if (!born) return;
  metricAt(errorIndex, errorAt);
  sendPayload(putMetric(buf, putHead(buf, errorAt, seq), null, errorIndex + 1, mTime, mType, mValue));
}

// ---- commands (NCMD): checked whole first, then done; one bad metric and nothing changes, and why is said

let applying = false; // take(): checking a command, or doing it
let refusal = '';
let wantRebirth = false;

function command(_topic: string, payload: Payload): void {
  const b = typeof payload === 'string' ? E.toUint8Array(payload) : payload;
  refusal = '';
  applying = wantRebirth = false;
  if (!readMetrics(b, take)) return fault('NCMD: ' + (refusal || 'not a Sparkplug B payload'), true);
  applying = true;
  readMetrics(b, take);
  const t = Date.now();
  let p = putHead(buf, t, seq);
  const start = p;
  const acts = config.actuators;
  for (let k = 0, i = actuatorsAt; k < acts.length; i += acts[k].type === 'pwm' ? 2 : 1, k++) {
    const a = acts[k];
    if (!a._new) continue;
    a._new = 0;
    a._t = t;
    drive(a);
    // its state and (a dimmer) its brightness, as they are now
    for (let j = 0; j < (a.type === 'pwm' ? 2 : 1); j++) {
      metricAt(i + j, t);
      p = putMetric(buf, p, null, i + j + 1, mTime, mType, mValue);
    }
  }
  // the whole state anew, seq from 0 [tck-id-operational-behavior-data-commands-rebirth-action-2]
  if (wantRebirth && born) birth(1);
  else if (born && p > start) sendPayload(p);
}

// One metric of a command: checked (false, with the refusal, when it may not be done), or done. It names its
// metric by alias, or by name [tck-id-payloads-alias-data-cmd-requirement]; only actuators take writes.
function take(m: MetricIn): boolean {
  const bool = m.field === 14 && (!m.type || m.type === DataType.Boolean);
  if (!m.alias && m.name === 'Node Control/Rebirth') {
    if (applying) wantRebirth = wantRebirth || !!m.value;
    return bool || !(refusal = 'Node Control/Rebirth takes a Boolean');
  }
  let i = 0;
  while (metricAt(i, 0, !m.alias) && (m.alias ? m.alias !== i + 1 : m.name !== mName)) i++;
  const label = (m.name || 'alias ' + m.alias) + ': ';
  if (i < actuatorsAt || i >= errorIndex) return !(refusal = label + (i > errorIndex ? 'no such metric' : 'read-only'));
  const v = m.value as number;
  // a state takes a Boolean, a brightness a whole number 0-100 of any integer datatype
  if (mType === DataType.Boolean ? !bool : !((m.field === 10 || m.field === 11) && (!m.type || m.type <= DataType.UInt64) && v >= 0 && v <= 100)) {
    return !(refusal = label + (mType === DataType.Boolean ? 'takes a Boolean' : 'takes 0-100'));
  }
  if (!applying) return true;
  // the actuator of metric i, and whether it is its brightness
  let k = 0;
  i -= actuatorsAt;
  while (i >= (config.actuators[k].type === 'pwm' ? 2 : 1)) i -= config.actuators[k++].type === 'pwm' ? 2 : 1;
  const a = config.actuators[k];
  a.active = i ? v > 0 : !!v;
  if (i && v) a.level = v;
  a._new = 1;
  return true;
}

// ---- the primary host: its STATE, JSON {"online": true|false, "timestamp": ms}, retained

function hostState(_topic: string, payload: Payload): void {
  let o: { online?: unknown; timestamp?: unknown };
  try {
    o = JSON.parse(String(payload));
  } catch (e) {
    return;
  }
  if (!o || typeof o.online !== 'boolean' || typeof o.timestamp !== 'number') return;
  // an older STATE than the last one taken changes nothing [tck-id-operational-behavior-edge-node-termination-host-offline-timestamp]
  if (o.timestamp < hostSeen) return;
  hostSeen = o.timestamp;
  hostUp = +o.online;
  if (o.online) birth();
  else if (born || config.mqtt.servers.length > 1) {
    // NDEATH now, and over to the next server [tck-id-operational-behavior-edge-node-termination-host-offline]
    // (one not born yet moves on too, where there is another server to find the host on; with one it waits),
    // once the NDEATH has left (a dropped link cuts what it has not sent). Until then no STATE is taken
    // (an online one would be born only to be cut): connection() takes them again.
    hostSeen = Infinity;
    const was = born;
    born = 0;
    setTimeout(reconnectNext, 200, client);
    if (was) client.publish(ns + 'NDEATH/' + id, death(true));
  }
}
