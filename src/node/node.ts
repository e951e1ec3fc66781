import { Client, Options, Payload } from '../client/client';
import { ClientErr, MqttError } from '../client/errors';
import { watchDigital } from '../drivers/digital';
import { Actuator } from '../drivers/driver';
import { drive } from '../drivers/output';
import { readSensor } from '../drivers/sensors';
import { BoardInfo, NodeConfig, NodeSensor } from './config';
import { parseCommand } from './commands';
import { discoveryMessage } from './discovery';
import { nodeId, serialId } from './identity';
import { formatValue, quantities } from './quantities';

// The sensor node: topics under <prefix>/<id>/, availability, readings on a schedule, commands, and
// Home Assistant discovery. It knows the client's API and the drivers' readings, no bytes and no pins.
//   <base>status        retained online / offline (the will)       <base>error   why a reading or command failed
//   <base><sensor>      a reading (json) or <base><sensor>/<quantity> (plain)
//   <base><actuator>    its state, retained                       <base><actuator>/set   commands to it

// One node per board: its state is top-level variables, and every function is top-level. (A closure costs
// about 10 blocks each time it is made; a top-level function stays in flash and costs 4 blocks plus 1 per
// parameter.)
let client: Client;
let config: NodeConfig;
let id: string;
let base: string; // '<prefix>/<id>/'
let model: string;
let nextEntity = 0; // the next discovery message to send
let announcing = 0; // a discovery round is under way (flags are 0/1: a number costs the board one block, a boolean two)
let announced = 0; // since boot
let timers: unknown[] = [];
let dropped = 0; // messages the outbox gave up on (full during an outage), since boot

// The client options of a node: its will is the retained `offline` of its availability topic.
export function nodeOptions(cfg: NodeConfig, board: BoardInfo): Options {
  const m = cfg.mqtt;
  const node = /*@__INLINE__*/ nodeId(cfg); // (here and in runNode, run once: no function of its own)
  const o: Options = {
    host: '',
    servers: m.servers,
    clientId: m.clientId || node,
    username: m.username,
    password: m.password,
    keepalive: m.keepalive,
    clean: m.clean, // false: a persistent session (node-config refuses it for Sparkplug)
    ca: m.ca,
    will: { topic: cfg.prefix + '/' + node + '/status', payload: 'offline', qos: 1, retain: true },
    // A fleet cut off at once (a broker or cluster member lost) comes back spread over 1 to 5 s, not in the
    // same half second: the first wait is 5 s less up to 80% (npm run fleet measured the peak of attempts).
    reconnect: { min: 5000, jitter: 0.8 },
    rxBuffer: board.rxBuffer,
    txBuffer: board.txBuffer,
    outboxBytes: board.outboxBytes,
    outboxMessages: board.outboxMessages,
  };
  // the -mqtt5 firmware: MQTT 5.0 when node.json says so (node-config refuses version 5 for any other)
  if (MQTT5 && m.version) o.protocolVersion = m.version;
  // 5.0: a persistent session lasts this long after a connection ends (with Session Expiry 0 it would not)
  if (MQTT5 && m.sessionExpiry) o.properties = { sessionExpiryInterval: m.sessionExpiry };
  return o;
}

export function runNode(c: Client, cfg: NodeConfig, boardName: string): void {
  client = c;
  config = cfg;
  // nodeOptions has handed the broker's settings to the client, which keeps its own: on an ESP8266 the
  // config's copy is 10 blocks or more for nothing (the Sparkplug node reads them again, and keeps them)
  delete (cfg as { mqtt?: unknown }).mqtt;
  id = /*@__INLINE__*/ nodeId(cfg);
  base = cfg.prefix + '/' + id + '/';
  model = boardName;
  nextEntity = 0;
  announcing = announced = 0;
  timers = [];
  dropped = 0;
  for (let i = 0; i < cfg.actuators.length; i++) drive(cfg.actuators[i]);
  c.on('connect', online);
  // (counted for the readings' "dropped" only: a test's node pays for the closure, every other saves a function)
  if (cfg.seq) c.on('drop', function () { dropped++; });
  c.subscribe(base + '+/set', { qos: 1, handler: command });
  if (cfg.discovery) c.subscribe(cfg.discovery + '/status', { handler: announce });
  for (let i = 0; i < cfg.sensors.length; i++) {
    const s = cfg.sensors[i];
    if (s.type === 'digital') watchDigital(s, reported);
    else if (s.period) timers.push(setInterval(readSensor, s.period * 1000, s, reported));
    readSensor(s, reported);
  }
}

// An orderly goodbye: the retained `offline` (the will covers only abrupt losses), then DISCONNECT. Also the
// board's reset (E.on('kill')), which may come before the node runs.
export function stopNode(done?: () => void): void {
  if (!client) return;
  for (let i = 0; i < timers.length; i++) clearInterval(timers[i]);
  client.publish(base + 'status', 'offline', { qos: 1, retain: true });
  client.end(false, done);
}

// On every connection: availability and actuator states. Discovery goes out on the first connection after
// boot, and whenever Home Assistant says it is online (it does after every reconnection of its own, e.g.
// to a restarted broker): re-announcing on every reconnection of ours would crowd the queued readings out
// of a small outbox.
function online(): void {
  client.publish(base + 'status', 'online', { qos: 1, retain: true }, onlineSent);
  for (let i = 0; i < config.actuators.length; i++) report(config.actuators[i]);
  if (!announced) announce(0, 'online');
  announced = 1;
}

// Availability must get through: when a full outbox (every message in flight just after a reconnection)
// refuses it, it is tried again, with the actuator states, half a second later.
function onlineSent(err?: Error): void {
  if (err && (err as MqttError).code === ClientErr.OUTBOX_FULL) setTimeout(online, 500);
}

// ---- readings

function reported(s: NodeSensor, error: string | null, values?: number[]): void {
  if (error || !values) return fault(s.name, error || 'no value');
  const qs = quantities(s);
  const json = config.format === 'json';
  const opts = { qos: config.qos, retain: true };
  let body = '';
  for (let i = 0; i < qs.length; i++) {
    const v = /*@__INLINE__*/ formatValue(s, values[i]);
    if (json) body += (i ? ',"' : '{"') + qs[i] + '":' + (s.type === 'digital' ? '"' + v + '"' : v);
    else client.publish(base + s.name + (qs.length > 1 ? '/' + qs[i] : ''), v, opts);
  }
  // a per-sensor sequence number lets a tester see a reading that never arrived, and the count of messages
  // given up tells a gap the node reported from one it did not
  if (config.seq) body += ',"seq":' + (s._seq = (s._seq || 0) + 1) + ',"dropped":' + dropped;
  if (json) client.publish(base + s.name, body + '}', opts);
}

// Why something failed, on <base>error: never a number that is not a reading. The source can be a topic
// level anyone may publish to (<base>a"b/set), so the whole message is built by JSON.stringify (which
// leaves out an undefined payload).
function fault(source: string, error: string, payload?: string): void {
  client.publish(base + 'error', JSON.stringify({ source: source, error: error, payload: payload && payload.substr(0, 40) }));
}

// ---- commands

function command(topic: string, payload: Payload): void {
  const name = topic.substring(base.length, topic.length - 4);
  const text = typeof payload === 'string' ? payload : String(payload);
  let a: Actuator | undefined;
  for (let i = 0; i < config.actuators.length; i++) if (config.actuators[i].name === name) a = config.actuators[i];
  if (!a) return fault(name, 'unknown actuator', text);
  if (!parseCommand(a, text)) return fault(name, 'invalid command', text);
  drive(a);
  report(a);
}

function report(a: Actuator): void {
  const state = a.active ? 'ON' : 'OFF';
  client.publish(base + a.name, a.type === 'pwm' ? '{"state":"' + state + '","brightness":' + a.level + '}' : state, { qos: 1, retain: true });
}

// ---- discovery, one message at a time and at the lowest priority: each waits until the outbox is empty
// (so it never pushes a reading out) and is sent when the previous one is acknowledged (or given up).

// A round starts on the first connection after boot, and whenever Home Assistant says it is online (its
// status topic's handler: one function, not two, for 4 blocks of the board's RAM).
function announce(_topic: unknown, payload: Payload): void {
  if (!config.discovery || String(payload) !== 'online') return;
  nextEntity = 0;
  if (!announcing) announceNext();
}

function announceNext(err?: Error, now?: boolean): void {
  // Each message is built on a fresh stack: called back by its PUBACK, this runs deep inside the socket's
  // data callback, whose frames and received chunk are still held (in 12-byte blocks a five-part ESP8266
  // node ran out of memory there, building the next message; from a timer it does not).
  if (!now) {
    announcing = 1; // from here: an announce() meanwhile restarts this round, never starts a second
    setTimeout(announceNext, 0, err, true);
    return;
  }
  if (err) {
    announcing = 0;
    if ((err as MqttError).code !== ClientErr.OUTBOX_FULL) return; // the client was ended: the round is over
    if (nextEntity) nextEntity--; // pushed out after all: the same one again (unless a new round began)
  }
  const m = discoveryMessage(config, id, model, /*@__INLINE__*/ serialId(), nextEntity);
  announcing = +!!m;
  if (!m) return;
  if (client.queued() || !client.connected) {
    setTimeout(announceNext, 500);
    return;
  }
  nextEntity++;
  client.publish(m[0], m[1], { qos: 1, retain: true }, announceNext);
}
