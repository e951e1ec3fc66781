// npm run fleet: a fleet of simulated sensor nodes against a broker, and what became of every reading.
// Each node is the real board bundle in the Espruino sandbox (scripts/sim-node.mjs) with one analog sensor
// read every --period seconds and published at QoS 1 with its "seq", a persistent session ("clean": false)
// and every broker address in its mqtt.urls. One persistent QoS 1 subscriber (MQTT.js, clean session off,
// the same addresses) collects the readings. With --kill, midway through the run the broker loses a member:
//   cluster    a RabbitMQ cluster of three on 127.0.0.1 (scripts/cluster.mjs); its first member, where the
//              fleet and the collector are connected, is killed (SIGKILL) and restarted at three quarters
//   mosquitto  Mosquitto with persistence, stopped (SIGTERM: it saves its sessions) and restarted --down s later
//   aedes      Aedes: its listener closed and every connection cut, then listening again --down s later (its
//              sessions stay in its memory)
// At the end, once every node is back online (up to a minute later), every node stops as it does on the
// board (E.on('kill'): "offline", then DISCONNECT once its outbox is empty), the collector waits for what is due, and a table says: readings sent, delivered,
// duplicates, lost (sent, neither delivered nor reported given up: must be 0), given up and reported by the
// nodes (the "dropped" count in their readings), the time until every node cut off by the kill was back
// (its "online" seen), and the reconnect spread: connection attempts per second after the kill.
//
//   npm run fleet -- [--nodes 20] [--broker cluster|aedes|mosquitto] [--duration 60] [--kill] [--period 5]
//                    [--down 5] [--board esp32|esp8266] [--keepalive 30] [--json] [--no-build]
//
// Needs, for --broker cluster, Debian's rabbitmq-server; for mosquitto, mosquitto. Neither is installed from
// here: the command says what is missing and how to get it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { commandLine } from './args.mjs';
import { RABBITMQ_MISSING, rabbitmqInstalled, startCluster } from './cluster.mjs';
import { startPlainMosquitto } from './mosquitto.mjs';
import { checkConfig } from './node-config.mjs';
import { simulateNode } from './sim-node.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PREFIX = 'fleet';

// ---- the brokers: urls, kill() (a member or the broker lost), restart(), stop()

async function clusterBroker(log, startTimeout) {
  const c = await startCluster({ log, startTimeout });
  return {
    name: 'RabbitMQ 3.10 cluster of 3 (MQTT plugin, sessions mirrored)',
    urls: c.urls,
    what: 'member 1 killed (SIGKILL)',
    kill: () => c.kill(0),
    restart: () => c.restart(0),
    stop: () => c.stop(),
  };
}

async function aedesBroker() {
  const aedes = await Aedes.createBroker();
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    name: 'Aedes (sessions in memory)',
    urls: [`mqtt://127.0.0.1:${port}`],
    what: 'listener closed and every connection cut',
    async kill() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    restart: () => new Promise((r) => server.listen(port, '127.0.0.1', r)),
    async stop() {
      server.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => aedes.close(r));
    },
  };
}

async function mosquittoBroker() {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-mosquitto-'));
  let m = await startPlainMosquitto(0, { persistence: dir });
  const port = m.port;
  return {
    name: 'Mosquitto (persistence on)',
    urls: [`mqtt://127.0.0.1:${port}`],
    what: 'stopped (SIGTERM, sessions saved)',
    kill: () => m.close(),
    async restart() {
      m = await startPlainMosquitto(port, { persistence: dir });
    },
    async stop() {
      await m.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- the collector: a persistent QoS 1 subscriber to every node's readings and availability

function startCollector(urls, nodes, log) {
  const servers = urls.map((u) => ({ host: '127.0.0.1', port: Number(u.split(':')[2]) }));
  const c = mqtt.connect({ servers, clientId: 'fleet-collector', clean: false, reconnectPeriod: 250, connectTimeout: 5000, keepalive: 10 });
  const byId = new Map(nodes.map((n) => [n.id, n]));
  c.on('connect', (ack) => log(`collector connected to 127.0.0.1:${c.options.port}, session present: ${ack.sessionPresent}`));
  c.on('error', () => {}); // reconnects; what it missed is in its session
  c.on('message', (topic, payload) => {
    const [, id, what] = topic.split('/');
    const n = byId.get(id);
    if (!n) return;
    if (what === 'status') {
      if (String(payload) === 'online') n.online.push(Date.now());
      return;
    }
    let r;
    try {
      r = JSON.parse(String(payload));
    } catch {
      n.malformed++;
      return;
    }
    if (n.seen.has(r.seq)) n.duplicates++;
    else n.seen.add(r.seq);
    if (r.dropped > n.reportedDropped) n.reportedDropped = r.dropped;
  });
  return {
    client: c,
    ready: new Promise((resolve, reject) => {
      c.once('connect', () =>
        c.subscribe({ [`${PREFIX}/+/level`]: { qos: 1 }, [`${PREFIX}/+/status`]: { qos: 1 } }, (err) => (err ? reject(err) : resolve())),
      );
    }),
  };
}

// ---- one node: its configuration, the sandbox, and what it did

// n: the node's record ({ id }), which the collector already fills in
function startNode(n, i, opts) {
  const id = n.id;
  const raw = {
    board: opts.board,
    mqtt: { urls: opts.urls, keepalive: opts.keepalive, clean: false },
    node: { id, prefix: PREFIX, format: 'json', qos: 1, seq: true },
    discovery: false,
    sensors: [{ type: 'analog', name: 'level', pin: opts.board === 'esp8266' ? 'A0' : 35, period: opts.period }],
  };
  const { config, errors } = checkConfig(raw);
  if (errors.length) throw new Error(`node ${id}: ${errors.join('; ')}`);
  Object.assign(n, { sent: 0, duplicates: 0, malformed: 0, reportedDropped: 0, attempts: [], closed: [], sim: null }); // (seen, online: the record's own)
  n.sim = simulateNode(opts.board, config, (0x3c71bf000000 + i).toString(16), {
    beforeLoad(box) {
      // every reading is one analogRead: the count of readings the node took
      const read = box.context.analogRead;
      box.context.analogRead = (p) => (n.sent++, read(p));
      // every connection attempt, and when each connection ended
      const netModule = box.require('net');
      const connect = netModule.connect;
      netModule.connect = (o, cb) => {
        n.attempts.push(Date.now());
        const s = connect.call(netModule, o, cb);
        s.real.on('close', () => n.closed.push(Date.now()));
        return s;
      };
    },
  });
  return n;
}

// ---- the run

// (startTimeout: ms a cluster member may take to start, startCluster's 90 s unless given)
export async function runFleet({ nodes = 20, broker = 'cluster', duration = 60, kill = false, period = 5, down = 5, board = 'esp32', keepalive = 30, log = () => {}, startTimeout = 90000 } = {}) {
  if (broker === 'cluster' && !rabbitmqInstalled()) throw new Error(RABBITMQ_MISSING);
  const b = broker === 'cluster' ? await clusterBroker(log, startTimeout) : broker === 'aedes' ? await aedesBroker() : await mosquittoBroker();
  const fleet = [];
  let collector;
  try {
    const records = Array.from({ length: nodes }, (_, i) => ({ id: 'n' + String(i + 1).padStart(4, '0'), seen: new Set(), online: [] }));
    // the collector's session first, so that it holds every reading from the first one on
    const col = startCollector(b.urls, records, log);
    collector = col.client;
    await col.ready;
    const t0 = Date.now();
    for (let i = 0; i < nodes; i++) {
      startNode(records[i], i, { board, urls: b.urls, keepalive, period });
      fleet.push(records[i]);
      if (i % 25 === 24) await sleep(0); // let the started ones connect meanwhile
    }
    const allOnline = () => fleet.every((n) => n.online.length > 0);
    for (const end = Date.now() + 60000 + nodes * 200; !allOnline(); await sleep(100))
      if (Date.now() > end) throw new Error(`only ${fleet.filter((n) => n.online.length).length} of ${nodes} nodes came online`);
    const startup = Date.now() - t0;
    log(`${nodes} nodes online in ${(startup / 1000).toFixed(1)} s; running ${duration} s${kill ? `, ${b.what} at ${duration / 2} s` : ''}`);
    const runStart = Date.now();
    let killAt = 0;
    let restartAt = 0;
    if (kill) {
      await sleep((duration * 1000) / 2);
      killAt = Date.now();
      await b.kill();
      log(`${b.what}`);
      const restartIn = broker === 'cluster' ? runStart + (duration * 1000 * 3) / 4 - Date.now() : down * 1000;
      await sleep(restartIn);
      restartAt = Date.now();
      await b.restart();
      log(`restarted`);
    }
    await sleep(Math.max(0, runStart + duration * 1000 - Date.now()));
    // The end: every node back online first (up to a minute more), since one stopped while offline gives its
    // outbox up unsent (end() has no connection to send it on) and the count would blame the broker; then
    // every node stops as on the board, and what is due is waited for.
    const back = (n) => n.online.some((t) => t > (n.closed.length ? n.closed[n.closed.length - 1] : 0));
    for (const end = Date.now() + 60000; !fleet.every(back) && Date.now() < end; ) await sleep(250);
    const offlineAtEnd = fleet.filter((n) => !back(n)).length;
    const stopAt = Date.now();
    for (const n of fleet) n.sim.shutdown();
    const settled = () => fleet.every((n) => n.seen.size + n.reportedDropped >= n.sent);
    for (const end = Date.now() + 60000; !settled() && Date.now() < end; ) await sleep(250);
    await sleep(1000); // late duplicates
    const drained = Date.now() - stopAt;
    // cut off by the kill: a node whose connection ended then; back: its next "online"
    const cut = kill ? fleet.filter((n) => n.closed.some((t) => t >= killAt && t < Math.min(killAt + 5000, stopAt))) : [];
    const backs = cut.map((n) => {
      const closedAt = n.closed.find((t) => t >= killAt);
      const on = n.online.find((t) => t > closedAt);
      return on ? on - killAt : Infinity;
    });
    // each cut node's first attempt after the kill: how far apart the fleet came back
    const firsts = cut.map((n) => n.attempts.find((t) => t >= killAt)).filter((t) => t !== undefined);
    const attempts = kill ? fleet.flatMap((n) => n.attempts.filter((t) => t >= killAt && t < stopAt)) : [];
    const perSecond = new Map();
    for (const t of attempts) {
      const s = Math.floor((t - killAt) / 1000);
      perSecond.set(s, (perSecond.get(s) || 0) + 1);
    }
    const sum = (f) => fleet.reduce((a, n) => a + f(n), 0);
    const result = {
      broker: b.name,
      event: kill ? b.what : 'none',
      nodes,
      duration,
      period,
      startup: startup / 1000,
      sent: sum((n) => n.sent),
      delivered: sum((n) => n.seen.size),
      duplicates: sum((n) => n.duplicates),
      lost: sum((n) => Math.max(0, n.sent - n.seen.size - n.reportedDropped)),
      givenUp: sum((n) => n.reportedDropped),
      malformed: sum((n) => n.malformed),
      cut: cut.length,
      allBack: backs.length ? Math.max(...backs) / 1000 : null,
      medianBack: backs.length ? backs.sort((a, c) => a - c)[backs.length >> 1] / 1000 : null,
      attempts: attempts.length,
      firstAttemptsSpread: firsts.length ? (Math.max(...firsts) - Math.min(...firsts)) / 1000 : null,
      peakAttemptsPerSecond: perSecond.size ? Math.max(...perSecond.values()) : 0,
      attemptsPerSecond: [...perSecond.entries()].sort((a, c) => a[0] - c[0]).slice(0, 20),
      restartedAfter: restartAt ? (restartAt - killAt) / 1000 : null,
      drained: drained / 1000,
      offlineAtEnd,
    };
    return result;
  } finally {
    for (const n of fleet) n.sim.close();
    if (collector) await new Promise((r) => collector.end(true, {}, r));
    await b.stop();
  }
}

export function formatResult(r) {
  const row = (cells) => `| ${cells.join(' | ')} |`;
  return [
    `${r.broker}; ${r.nodes} nodes, a reading every ${r.period} s each, ${r.duration} s; event: ${r.event}`,
    '',
    row(['nodes', 'readings sent', 'delivered', 'duplicates', 'lost', 'given up (reported)', 'cut off', 'all back after', 'attempts/s after the kill (peak)']),
    row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    row([r.nodes, r.sent, r.delivered, r.duplicates, r.lost, r.givenUp, r.cut, r.allBack === null ? '-' : `${r.allBack.toFixed(1)} s`, r.event === 'none' ? '-' : r.peakAttemptsPerSecond]),
    '',
    r.event === 'none'
      ? `startup ${r.startup.toFixed(1)} s; the end drained in ${r.drained.toFixed(1)} s`
      : `${r.offlineAtEnd ? `${r.offlineAtEnd} nodes still offline a minute after the end (stopped so: their outboxes were given up unsent, counted lost); ` : ''}startup ${r.startup.toFixed(1)} s; median node back after ${r.medianBack === null ? '-' : r.medianBack.toFixed(1)} s; the cut nodes' first attempts spread over ${r.firstAttemptsSpread === null ? '-' : r.firstAttemptsSpread.toFixed(1)} s; ${r.attempts} connection attempts after the kill, per second: ${r.attemptsPerSecond.map(([s, k]) => `${s}s:${k}`).join(' ')}${r.restartedAfter !== null ? `; restarted after ${r.restartedAfter.toFixed(1)} s` : ''}; the end drained in ${r.drained.toFixed(1)} s`,
  ].join('\n');
}

async function main() {
  const { opt, flag } = commandLine();
  const fail = (m) => {
    console.error(`npm run fleet: ${m}`);
    process.exit(1);
  };
  const int = (name, def, min, max) => {
    const v = Number(opt(name, def));
    if (!Number.isInteger(v) || v < min || v > max) fail(`--${name} must be a whole number from ${min} to ${max}`);
    return v;
  };
  const broker = opt('broker', 'cluster');
  if (!['cluster', 'aedes', 'mosquitto'].includes(broker)) fail(`--broker must be cluster, aedes or mosquitto, not ${broker}`);
  const board = opt('board', 'esp32');
  if (!['esp32', 'esp8266'].includes(board)) fail(`--board must be esp32 or esp8266, not ${board}`);
  const o = { nodes: int('nodes', 20, 1, 2000), broker, duration: int('duration', 60, 4, 86400), kill: flag('kill'), period: int('period', 5, 1, 3600), down: int('down', 5, 0, 3600), board, keepalive: int('keepalive', 30, 0, 65535) };
  if (broker === 'cluster' && !rabbitmqInstalled()) fail(RABBITMQ_MISSING);
  if (!flag('no-build')) execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale', '--quiet'], { stdio: 'inherit' });
  const json = flag('json');
  // Ctrl-C: exit at once; the cluster's exit handler stops its members (scripts/cluster.mjs)
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  const r = await runFleet({ ...o, log: json ? () => {} : (s) => console.log(s) });
  console.log(json ? JSON.stringify(r) : formatResult(r));
  process.exit(r.lost ? 1 : 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`npm run fleet: ${e.message}`);
    process.exit(1);
  });
}
