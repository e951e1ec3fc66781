import { Client, Options, Payload } from '../client/client';
import { reconnectNext, willPerConnect } from '../client/hooks';
import { watchDigital } from '../drivers/digital';
import { drive } from '../drivers/output';
import { readSensor } from '../drivers/sensors';
import { BoardInfo, NodeConfig, NodeSensor } from './config';
import { nodeId } from './identity';
import { nodeOptions as plainOptions } from './node';
import { quantities, roundValue } from './quantities';
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
let buf: Uint8Array; // every payload is laid out here, then copied into the client's transmit buffer
let ns: string; // 'spBv1.0/<group>/'
let id: string;
let bdSeq = -1; // of the will of the last CONNECT written
let seq = 0; // of the next NDATA
let born = false; // NBIRTH sent on this connection: NDATA may follow [tck-id-payloads-ndata-order]
let hostSeen = -1; // the timestamp of the last STATE taken from the primary host
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
// each CONNECT (runNode), QoS 1, not retained [tck-id-message-flow-edge-node-birth-publish-will-message-qos];
// QoS 0 messages are never carried over to the next connection, where the NBIRTH must come first.
export function nodeOptions(cfg: NodeConfig, board: BoardInfo): Options {
  const o = plainOptions(cfg, board);
  buf = new Uint8Array(cfg.sparkplug!.bytes);
  ns = 'spBv1.0/' + cfg.sparkplug!.group + '/';
  o.will = { topic: ns + 'NDEATH/' + nodeId(cfg), payload: '', qos: 1, retain: false };
  o.clean = true;
  o.offlineQos0 = 'drop';
  return o;
}

export function runNode(c: Client, cfg: NodeConfig): void {
  client = c;
  config = cfg;
  id = nodeId(cfg);
  bdSeq = -1;
  born = false;
  hostSeen = -1;
  lastError = '';
  timers = [];
  actuatorsAt = errorIndex = 0;
  for (let i = 0; i < cfg.sensors.length; i++) actuatorsAt += quantities(cfg.sensors[i]).length;
  errorIndex = actuatorsAt;
  for (let i = 0; i < cfg.actuators.length; i++) {
    errorIndex += cfg.actuators[i].type === 'pwm' ? 2 : 1;
    drive(cfg.actuators[i]);
  }
  // kept a call: inlined, terser makes it a function expression at the head of the `for` below, which
  // Espruino's parser refuses (`for(function(){}(),...`)
  /*#__NOINLINE__*/ willPerConnect(c, death);
  c.on('connect', connection);
  c.on('close', connection);
  // before any NBIRTH: the client sends its subscriptions first on every connection
  // [tck-id-message-flow-edge-node-ncmd-subscribe]
  c.subscribe(ns + 'NCMD/' + id, { qos: 1, handler: command });
  if (cfg.sparkplug!.host) c.subscribe('spBv1.0/STATE/' + cfg.sparkplug!.host, { qos: 1, handler: hostState });
  for (let i = 0; i < cfg.sensors.length; i++) {
    const s = cfg.sensors[i];
    if (s.type === 'digital') watchDigital(s, reported);
    else if (s.period) timers.push(setInterval(readSensor, s.period * 1000, s, reported));
    readSensor(s, reported);
  }
}

// An orderly end: the NDEATH first [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath],
// then DISCONNECT once it is acknowledged.
export function stopNode(done?: () => void): void {
  for (let i = 0; i < timers.length; i++) clearInterval(timers[i]);
  born = false;
  // (never connected: no will was ever registered, no NDEATH is owed)
  if (client.connected) client.publish(ns + 'NDEATH/' + id, death(true), { qos: 1 });
  client.end(false, done);
}

// ---- the session: bdSeq, birth, death

// An NDEATH payload: the bdSeq metric alone [tck-id-topics-ndeath-payload], no seq, in a copy of its own
// (the client keeps the will's bytes). For each CONNECT (called with no argument, just before it is
// written) bdSeq goes up by one, 0 for the first, back to 0 after 255
// [tck-id-message-flow-edge-node-birth-publish-will-message-payload-bdSeq]; `same`: this connection's.
function death(same?: boolean): Uint8Array {
  if (!same) bdSeq = (bdSeq + 1) % 256;
  // (a copy by the constructor: Espruino's typed-array slice() gives a plain Array)
  return new Uint8Array(buf.subarray(0, putMetric(buf, 0, 'bdSeq', 0, -1, DataType.Int64, bdSeq)));
}

// Connected or not: no NBIRTH yet. Once connected it is born at once, unless it must wait for its primary
// host's STATE online [tck-id-message-flow-edge-node-birth-publish-phid-wait].
function connection(): void {
  born = false;
  if (client.connected && !config.sparkplug!.host) birth();
}

// Every metric with its current value, seq 0, and the bdSeq of this connection's will
// [tck-id-topics-nbirth-bdseq-matching]; sent again, whole, on a rebirth request.
function birth(): void {
  const t = Date.now();
  let p = putHead(buf, t, 0);
  p = putMetric(buf, p, 'bdSeq', 0, t, DataType.Int64, bdSeq);
  p = putMetric(buf, p, 'Node Control/Rebirth', 0, t, DataType.Boolean, false); // [tck-id-topics-nbirth-rebirth-metric]
  for (let i = 0; metricAt(i, t); i++) p = putMetric(buf, p, mName, i + 1, mTime, mType, mValue);
  send(p, true);
}

// An NBIRTH (seq 0) or an NDATA (seq one more each time, 255 then 0
// [tck-id-payloads-sequence-num-incrementing]) laid out up to p, at QoS 0, not retained
// [tck-id-topics-nbirth-mqtt] [tck-id-topics-ndata-mqtt]. One larger than the buffer (node-config sized it
// for this node's NBIRTH) is never sent half.
function send(p: number, isBirth?: boolean): void {
  if (p > buf.length) return fault('payload too large');
  client.publish(ns + (isBirth ? 'NBIRTH/' : 'NDATA/') + id, buf.subarray(0, p));
  if (isBirth) born = true;
  seq = isBirth ? 1 : (seq + 1) % 256;
}

// Metric i (alias i + 1) into mName, mType, mValue, mTime; false past the last.
function metricAt(i: number, now: number): boolean {
  const sensors = config.sensors;
  for (let k = 0; k < sensors.length; k++) {
    const s = sensors[k];
    const qs = quantities(s);
    if (i < qs.length) {
      const digital = s.type === 'digital';
      mName = s.name + '/' + qs[i];
      mType = digital ? DataType.Boolean : DataType.Double;
      mValue = s._v ? (digital ? !!s._v[i] : roundValue(s, s._v[i])) : undefined;
      mTime = s._t || now;
      return true;
    }
    i -= qs.length;
  }
  const acts = config.actuators;
  for (let k = 0; k < acts.length; k++) {
    const a = acts[k];
    const n = a.type === 'pwm' ? 2 : 1;
    if (i < n) {
      mName = a.name + (i ? '/brightness' : '/state');
      mType = i ? DataType.Int32 : DataType.Boolean;
      mValue = i ? a.level : !!a.active;
      mTime = a._t || now;
      return true;
    }
    i -= n;
  }
  if (i) return false;
  mName = 'Node Info/Error';
  mType = DataType.String;
  mValue = lastError;
  mTime = errorAt || now;
  return true;
}

// ---- data: a reading, by exception [tck-id-topics-ndata-payload]

function reported(s: NodeSensor, error: string | null, values?: number[]): void {
  const was = s._v;
  const now = (s._v = error || !values ? undefined : values);
  s._t = Date.now();
  let first = 0; // the sensor's first metric
  for (let k = 0; config.sensors[k] !== s; k++) first += quantities(config.sensors[k]).length;
  let p = putHead(buf, s._t, seq);
  const start = p;
  for (let i = 0; born && i < quantities(s).length; i++) {
    metricAt(first + i, s._t);
    // a change: a value from none or to none, or one that rounds to another
    if (!was || !now ? !was !== !now : s.type === 'digital' ? !was[i] !== !now[i] : roundValue(s, was[i]) !== mValue) {
      p = putMetric(buf, p, null, first + i + 1, mTime, mType, mValue);
    }
  }
  if (p > start) send(p);
  if (!now) fault(s.name + ': ' + (error || 'no value'));
}

// Says why something failed in 'Node Info/Error', in an NDATA of its own once born (when it is news).
function fault(why: string): void {
  why = why.substr(0, 64); // node-config sized the NBIRTH for 64 bytes of it
  if (why === lastError) return;
  lastError = why;
  errorAt = Date.now();
  if (!born) return;
  metricAt(errorIndex, errorAt);
  send(putMetric(buf, putHead(buf, errorAt, seq), null, errorIndex + 1, mTime, mType, mValue));
}

// ---- commands (NCMD): checked whole first, then done; one bad metric and nothing changes, and why is said

let applying = false; // take(): checking a command, or doing it
let refusal = '';
let wantRebirth = false;

function command(_topic: string, payload: Payload): void {
  const b = typeof payload === 'string' ? E.toUint8Array(payload) : payload;
  refusal = '';
  applying = wantRebirth = false;
  if (!readMetrics(b, take)) return fault('NCMD: ' + (refusal || 'not a Sparkplug B payload'));
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
  if (wantRebirth && born) birth();
  else if (born && p > start) send(p);
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
  while (metricAt(i, 0) && (m.alias ? m.alias !== i + 1 : m.name !== mName)) i++;
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
  if (o.online) {
    if (!born && client.connected) birth();
  } else if (born) {
    // NDEATH now, and over to the next server [tck-id-operational-behavior-edge-node-termination-host-offline]
    born = false;
    client.publish(ns + 'NDEATH/' + id, death(true));
    reconnectNext(client);
  }
}
