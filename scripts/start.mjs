// npm start: the sensor node without hardware. Builds the firmware, starts an Aedes broker on 127.0.0.1
// (Mosquitto for an MQTT 5.0 node: node.json "mqtt": {"version": 5}, or --mqtt5),
// runs the board bundle as a simulated node (in the Espruino sandbox, or on a real interpreter with
// --espruino) with simulated sensors, and shows what a broker sees: availability, Home Assistant discovery,
// readings, a command and its state echo. Ctrl-C ends it cleanly (the node says offline first).
// --format sparkplug makes the same configuration a Sparkplug B edge node (in group --group, "espruino"
// unless given): the view decodes its NBIRTH, NDATA, NDEATH and NCMD payloads, and the demo sends NCMDs.
//
//   npm start [-- --board esp32|esp8266] [--port 1883] [--nodes N] [--config node.json]
//             [--format sparkplug [--group NAME]] [--mqtt5] [--espruino /path/to/espruino] [--real-periods]
//             [--duration SECONDS] [--no-build]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { commandLine } from './args.mjs';
import { configAt, describe, firmwareFile, readConfigFile } from './node-config.mjs';
import { startPlainMosquitto } from './mosquitto.mjs';
import { simulateNode } from './sim-node.mjs';

const { opt, flag } = commandLine();
const board = opt('board', 'esp32');
const nodes = Math.max(1, Math.min(50, Number(opt('nodes', 1)) || 1));
const duration = Number(opt('duration', 0));
const espruino = opt('espruino');
const configFile = opt('config', existsSync('node.json') ? 'node.json' : board === 'esp8266' ? 'node.esp8266.example.json' : 'node.example.json');
const format = opt('format');
const group = opt('group', 'espruino');
const color = process.stdout.isTTY ? (c, s) => `\x1b[${c}m${s}\x1b[0m` : (_c, s) => s;
let t0 = Date.now();
const stamp = () => color(90, `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`);
const say = (s) => console.log(`${stamp()} ${s}`);

if (!['esp32', 'esp8266'].includes(board)) fail(`--board must be esp32 or esp8266, not ${board}`);
if (espruino && !existsSync(espruino)) fail(`--espruino: no such file: ${espruino}`);
if (espruino && nodes > 1) fail('--espruino runs one node (one interpreter); drop --nodes');
if (format !== undefined && format !== 'sparkplug') fail(`--format must be sparkplug (or left out: the file's own format), not ${format}`);
if (opt('group') !== undefined && format !== 'sparkplug') fail('--group needs --format sparkplug');
if (!flag('no-build')) {
  // the build takes a while: say what it is doing, step by step
  try {
    execFileSync(process.execPath, ['scripts/build.mjs', '--steps'], { stdio: 'inherit' });
  } catch (e) {
    fail('the build failed (above)');
  }
}
t0 = Date.now();

// ---- the broker, on the port asked for, or any free one when that is taken: Aedes, or Mosquitto for a node
// whose node.json says "mqtt": {"version": 5} (Aedes speaks MQTT 3.1.1 only)
let v5 = flag('mqtt5');
try {
  v5 = v5 || readConfigFile(configFile).mqtt?.version === 5;
} catch (e) {
  // (the configuration's own errors are reported below)
}
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
let port = await listen(Number(opt('port', 1883)));
let mosquitto = null;
if (v5) {
  await new Promise((r) => server.close(r)); // the port found, for Mosquitto
  try {
    // its own process group: Ctrl-C stops npm start, which ends the node first, then the broker
    mosquitto = await startPlainMosquitto(port, { ownGroup: true });
  } catch (e) {
    fail(`${flag('mqtt5') ? '--mqtt5' : `${configFile} says "mqtt": {"version": 5}`}: MQTT 5.0, which npm start runs against Mosquitto (Aedes speaks 3.1.1 only), but ${e.message}`);
  }
  process.on('exit', () => mosquitto.kill()); // whatever way this ends (fail() exits at once)
  port = mosquitto.port;
}
say(`${color(1, 'broker')} ${v5 ? 'Mosquitto (MQTT 5.0)' : 'Aedes'} on mqtt://127.0.0.1:${port}   (watch it too: mosquitto_sub -p ${port} -t '#' -v, from Debian's mosquitto-clients)`);

// ---- the node's configuration, pointed at this broker; --format sparkplug: the same node as a Sparkplug B
// edge node, without what it does not have (its topics are spBv1.0/<group>/..., data at QoS 0, no discovery)
const sparkplugNode = (raw) => {
  for (const k of ['prefix', 'qos', 'seq']) delete raw.node[k];
  delete raw.discovery;
  raw.sparkplug = { group };
};
let config, errors;
try {
  // --mqtt5: the same node in MQTT 5.0
  const version = (raw) => flag('mqtt5') && (raw.mqtt.version = 5);
  ({ config, errors } = format === 'sparkplug'
    ? configAt(configFile, board, `mqtt://127.0.0.1:${port}`, { format: 'sparkplug' }, (raw) => (sparkplugNode(raw), version(raw)))
    : configAt(configFile, board, `mqtt://127.0.0.1:${port}`, {}, version));
} catch (e) {
  fail(e.message); // names the file, and the line and column of a syntax error
}
if (errors.length) fail(`${configFile}${format ? ` as a ${format} node` : ''}${flag('mqtt5') ? ' in MQTT 5.0' : ''} for ${board}:\n  ${errors.join('\n  ')}`);
if (!flag('real-periods')) config.sensors.forEach((s, i) => s.period && (s.period = Math.min(s.period, 3 + i)));
say(`${color(1, 'config')} ${configFile}: ${describe(config, board).join('; ')}`);
if (!flag('real-periods')) say(`${color(1, 'config')} sensor periods shortened to 3-${2 + config.sensors.length} s for the demo (--real-periods keeps them)`);

// ---- the live view: everything the broker carries
const view = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, clientId: 'npm-start-view' });
await view.subscribeAsync('#', { qos: 1 });
view.on('message', (topic, payload, packet) => {
  if (topic.startsWith('spBv1.0/')) return sparkplugLine(topic, payload);
  const text = payload.toString('utf8');
  let kind = 'reading';
  if (topic.endsWith('/config')) kind = 'discovery';
  else if (topic.endsWith('/status')) kind = 'availability';
  else if (topic.endsWith('/error')) kind = 'error';
  else if (topic.endsWith('/set')) kind = 'command';
  else if (config.actuators.some((a) => topic.endsWith(`/${a.name}`))) kind = 'state';
  const colors = { discovery: 36, availability: 33, error: 31, command: 35, state: 32, reading: 0 };
  const shown = kind === 'discovery' ? `${JSON.parse(text).name} (${payload.length} B)` : text.length > 90 ? `${text.slice(0, 87)}...` : text;
  // what the actuator's pin did, where the simulation can see it
  const a = kind === 'state' && config.actuators.find((x) => topic.endsWith(`/${x.name}`));
  const sim = a && sims.find((x) => topic.startsWith(base(x.id)));
  const pin = sim ? pinEcho(a, sim) : '';
  say(`${color(colors[kind], kind.padEnd(12))} ${topic} ${color(1, shown)}${color(90, pin + (packet.retain ? ' retained' : ''))}`);
});
const pinEcho = (a, sim) => (a.type === 'pwm' ? ` (pin ${a.pin} duty ${(sim.box.pins.pwm[a.pin] || { duty: 0 }).duty.toFixed(2)})` : ` (pin ${a.pin} = ${sim.box.pins.level[a.pin] || 0})`);

// Sparkplug B: protobuf payloads, whose NDATA and NCMD name metrics by the aliases of the node's last NBIRTH
const require = createRequire(import.meta.url);
const sparkplugPayload = require('sparkplug-payload').get('spBv1.0');
const { quantities } = require('../dist/host.cjs'); // a sensor's metrics, as the firmware names them
const aliases = new Map(); // '<group>/<edge node id>' -> Map alias -> metric name
const number = (x) => (x && typeof x.toNumber === 'function' ? x.toNumber() : x); // 64-bit values are Longs
function sparkplugLine(topic, payload) {
  const [, grp, type, edge] = topic.split('/');
  const kinds = { NBIRTH: 'birth', NDATA: 'data', NDEATH: 'death', NCMD: 'command' };
  const colors = { birth: 36, death: 33, error: 31, command: 35, data: 0 };
  let p;
  try {
    p = sparkplugPayload.decodePayload(payload);
  } catch (e) {
    return say(`${color(31, 'error'.padEnd(12))} ${topic} ${color(1, `not a Sparkplug B payload (${payload.length} B): ${e.message}`)}`);
  }
  if (!kinds[type]) return say(`${''.padEnd(12)} ${topic} ${color(1, payload.length > 90 ? `${payload.length} B` : payload.toString('utf8'))}`); // a host's STATE
  const metrics = p.metrics || [];
  if (type === 'NBIRTH') aliases.set(`${grp}/${edge}`, new Map(metrics.filter((m) => number(m.alias)).map((m) => [number(m.alias), m.name])));
  const names = aliases.get(`${grp}/${edge}`) || new Map();
  const nameOf = (m) => m.name || names.get(number(m.alias)) || `alias ${number(m.alias)}`;
  const bdSeq = metrics.find((m) => m.name === 'bdSeq');
  // name=value, a name's first level left out while it repeats: climate/temperature=21.5 humidity=40
  let level = '';
  const list = (ms) =>
    ms
      .map((m) => {
        const name = nameOf(m);
        const k = name.lastIndexOf('/');
        const shown = k > 0 && name.slice(0, k) === level ? name.slice(k + 1) : name;
        level = k > 0 ? name.slice(0, k) : '';
        const v = m.isNull || m.value == null ? 'null' : typeof m.value === 'string' ? JSON.stringify(m.value) : number(m.value);
        return `${shown}=${v}`;
      })
      .join(' ');
  const kind = type === 'NDATA' && metrics.some((m) => nameOf(m) === 'Node Info/Error') ? 'error' : kinds[type];
  const shown = {
    NBIRTH: () => `bdSeq ${bdSeq ? number(bdSeq.value) : '?'}, ${metrics.length} metrics: ${list(metrics.filter((m) => m !== bdSeq))}`,
    NDATA: () => `seq ${number(p.seq)}: ${list(metrics)}`,
    NDEATH: () => `bdSeq ${bdSeq ? number(bdSeq.value) : '?'}`,
    NCMD: () => list(metrics),
  }[type]();
  // what the actuators' pins did, where the simulation can see it
  const sim = type === 'NDATA' && sims.find((x) => x.id === edge);
  const pins = sim ? config.actuators.filter((a) => metrics.some((m) => nameOf(m).startsWith(`${a.name}/`))).map((a) => pinEcho(a, sim)).join('') : '';
  say(`${color(colors[kind], kind.padEnd(12))} ${topic} ${color(1, shown)}${color(90, pins)}`);
}

// ---- the node(s)
const ids = [];
const sims = [];
let interpreter;
for (let i = 0; i < nodes; i++) {
  const cfg = structuredClone(config);
  if (nodes > 1 && cfg.id) cfg.id = `${cfg.id}-${i + 1}`;
  if (nodes > 1) cfg.name = `${cfg.name} ${i + 1}`; // each its own device name in Home Assistant
  const serial = `3c71bf0a1b${(0x2c + i).toString(16).padStart(2, '0')}`;
  ids.push(cfg.id || `esp${serial}`);
  if (espruino) interpreter = await runOnInterpreter(cfg);
  else sims.push(simulateNode(board, cfg, serial));
}
say(`${color(1, 'node')} ${nodes} simulated ${board.toUpperCase()} node${nodes > 1 ? 's' : ''} (${espruino ? `real interpreter ${espruino}` : 'Espruino sandbox'}): ${ids.join(', ')}`);

async function runOnInterpreter(cfg) {
  const { run, scratch } = await import('./espruino.mjs');
  const { nodeLines } = await import('./espruino-node.mjs');
  const dir = scratch();
  const lines = nodeLines(readFileSync(firmwareFile(cfg, board), 'latin1'), cfg);
  const control = {};
  const done = run(espruino, dir.dir, lines, 24 * 3600 * 1000, () => {}, control);
  done.then((r) => {
    if (!stopping) say(color(31, `the interpreter ended: ${r.why}${r.why === 'exit' ? `\n${r.output.slice(-500)}` : ''}`));
    dir.remove();
  });
  return { control, done };
}

// ---- the demo script: what a user would do from Home Assistant
const base = (id) => `${config.prefix}/${id}/`;
const relay = config.actuators.find((a) => a.type === 'relay');
const dimmer = config.actuators.find((a) => a.type === 'pwm');
const motion = config.sensors.find((s) => s.type === 'digital');
const sensor = config.sensors.find((s) => s.type !== 'digital');
const demo = config.sparkplug
  ? [
      // what a Sparkplug host does: writes by the aliases of the node's NBIRTH
      [4000, () => relay && ncmd(`${relay.name}/state`, 'Boolean', true, true)],
      [6000, () => dimmer && ncmd(`${dimmer.name}/brightness`, 'Int32', 40, true)],
      [7000, () => motion && sims.forEach((s) => s.box.setPin(motion.pin, motion.inverted ? 0 : 1))],
      // a reading is read-only: refused, and said in 'Node Info/Error'
      [8000, () => sensor && ncmd(`${sensor.name}/${quantities(sensor)[0]}`, 'Double', 99)],
      [9500, () => motion && sims.forEach((s) => s.box.setPin(motion.pin, motion.inverted ? 1 : 0))],
      [10000, () => ncmd('Node Control/Rebirth', 'Boolean', true)],
      [11000, () => relay && ncmd(`${relay.name}/state`, 'Boolean', false, true)],
    ]
  : [
      [4000, () => relay && command(relay.name, 'ON')],
      [6000, () => dimmer && command(dimmer.name, '{"state":"ON","brightness":40}')],
      [7000, () => motion && sims.forEach((s) => s.box.setPin(motion.pin, motion.inverted ? 0 : 1))],
      [8000, () => relay && command(relay.name, 'FLIP')],
      [9500, () => motion && sims.forEach((s) => s.box.setPin(motion.pin, motion.inverted ? 1 : 0))],
      [11000, () => relay && command(relay.name, 'OFF')],
    ];
const demoTimers = demo.map(([ms, fn]) => setTimeout(fn, ms));
function command(name, payload) {
  for (const id of ids) {
    say(`${color(35, 'send'.padEnd(12))} ${base(id)}${name}/set ${color(1, payload)}`);
    view.publish(`${base(id)}${name}/set`, payload, { qos: 1 });
  }
}
// an NCMD writing one metric, by its alias when asked and the node's NBIRTH gave one, else by name; QoS 0
function ncmd(name, type, value, byAlias) {
  for (const id of ids) {
    const topic = `spBv1.0/${config.sparkplug.group}/NCMD/${id}`;
    const names = aliases.get(`${config.sparkplug.group}/${id}`);
    const alias = byAlias && names && [...names].find(([, n]) => n === name)?.[0];
    say(`${color(35, 'send'.padEnd(12))} ${topic} ${color(1, `${name}=${value}`)}${color(90, alias ? ` (as alias ${alias})` : ' (by name)')}`);
    view.publish(topic, Buffer.from(sparkplugPayload.encodePayload({ timestamp: Date.now(), metrics: [alias ? { alias, type, value } : { name, type, value }] })), { qos: 0 });
  }
}

// ---- the end: Ctrl-C, or --duration
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  say(`${color(1, 'stop')} ${interpreter ? 'the interpreter is killed: the broker sends its will' : `the node${nodes > 1 ? 's' : ''} shut${nodes > 1 ? '' : 's'} down (E.on('kill'))`}: expect ${config.sparkplug ? 'an NDEATH' : 'a retained offline'}`);
  demoTimers.forEach(clearTimeout);
  for (const s of sims) s.shutdown();
  await new Promise((r) => setTimeout(r, 500));
  for (const s of sims) s.close();
  if (interpreter) {
    // the interpreter is killed outright: no goodbye, so the broker publishes the will (retained offline)
    interpreter.control.stop();
    await interpreter.done;
    await new Promise((r) => setTimeout(r, 300));
  }
  await view.endAsync();
  await new Promise((r) => broker.close(r));
  if (mosquitto) await mosquitto.close();
  else server.close();
  say('done');
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (duration) setTimeout(stop, duration * 1000);
else say(color(90, 'Ctrl-C to stop'));

async function listen(wanted) {
  for (const p of wanted ? [wanted, 0] : [0]) {
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(p, '127.0.0.1', resolve);
      });
      return server.address().port;
    } catch (e) {
      if (e.code !== 'EADDRINUSE' || p === 0) fail(`cannot listen on 127.0.0.1:${p}: ${e.message}`);
      say(`port ${wanted} is taken (another broker running?): choosing a free port instead (--port N picks one)`);
    }
  }
}

function fail(msg) {
  console.error(`npm start: ${msg}`);
  process.exit(1);
}
