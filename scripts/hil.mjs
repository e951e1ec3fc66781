// npm run hil: a node (a real board, or --simulate) against a local Aedes broker, through scenarios that
// matter before it goes on a roof. Prints a pass/fail table with timings, writes a JSON report beside it,
// exits non-zero when a scenario fails.
//
//   npm run hil -- --board esp32 --port /dev/ttyUSB0 [--flash] [--config node.json] [--modules DIR]
//                  [--broker-host 0.0.0.0] [--broker-port 1883] [--report hil-report.json] [--yes]
//   npm run hil -- --board esp32 --simulate        (the simulated node of npm start stands in for the board)
//
// The node must publish json readings with sequence numbers ("node": {"seq": true}); --flash sets that and
// the broker address for you. Without --simulate, the power-loss scenario asks the operator to unplug the
// node (--yes answers nothing and skips it).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import readline from 'node:readline';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { commandLine } from './args.mjs';
import { configAt } from './node-config.mjs';

const { opt, flag } = commandLine();
const fail = (msg) => {
  console.error(`npm run hil: ${msg}`);
  process.exit(2);
};
const board = opt('board', 'esp32');
const simulate = flag('simulate');
const host = opt('broker-host', simulate ? '127.0.0.1' : '0.0.0.0');
const reportFile = opt('report', 'hil-report.json');
const configFile = opt('config', existsSync('node.json') ? 'node.json' : board === 'esp8266' ? 'node.esp8266.example.json' : 'node.example.json');
if (!simulate && !opt('port')) fail('--port is missing (the board\'s serial port), or use --simulate');

// ---- the broker, restartable with its sessions and retained messages kept (as a persistent broker would)
const aedes = await Aedes.createBroker();
let server;
const sockets = new Set();
async function listen(port) {
  server = net.createServer(aedes.handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server.address().port;
}
const brokerDown = () => {
  server.close();
  for (const s of sockets) s.destroy();
};
const port = await listen(Number(opt('broker-port', simulate ? 0 : 1883)));
const lanAddress = simulate ? '127.0.0.1' : lan();
console.log(`broker: Aedes on ${host}:${port}; the node must use mqtt://${lanAddress}:${port}`);

// ---- the node's configuration, pointed at this broker, with sequence numbers on
let config, errors, raw, fileBoard;
try {
  ({ config, errors, raw, fileBoard } = configAt(configFile, board, `mqtt://${lanAddress}:${port}`, { format: 'json', seq: true, qos: 1 }));
} catch (e) {
  fail(e.message); // names the file, and the line and column of a syntax error
}
if (fileBoard !== undefined && fileBoard !== board) console.log(`note: ${configFile} names the board ${JSON.stringify(fileBoard)}; running it as --board ${board}`);
if (errors.length) fail(`${configFile}:\n  ${errors.join('\n  ')}`);
// its broker restarts and what it accepted are Aedes's, which speaks MQTT 3.1.1 only
if (config.mqtt.version === 5) fail(`${configFile} says "mqtt": {"version": 5}: npm run hil runs its node against Aedes, which speaks MQTT 3.1.1 only; run it with a copy of the file without "version" (the node's topics and readings are the same in 3.1.1)`);
if (simulate) {
  // a simulation need not wait real periods and keep-alives
  for (const s of config.sensors) if (s.period) s.period = Math.min(s.period, 2);
  config.mqtt.keepalive = 2;
}
const keepalive = config.mqtt.keepalive ?? 60;

// ---- watching everything the node says
const watch = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, clientId: 'hil-watch', reconnectPeriod: 200, clean: false });
const seen = [];
watch.on('message', (topic, payload, packet) => seen.push({ at: Date.now(), topic, payload: payload.toString('utf8'), retain: packet.retain }));
// What the broker itself accepted from clients: whether the node delivered a reading does not depend on the
// watcher's own session getting through the broker's restarts.
const accepted = [];
aedes.on('publish', (packet, client) => {
  if (client && client.id !== 'hil-watch') accepted.push({ at: Date.now(), topic: packet.topic, payload: packet.payload.toString('utf8') });
});
await watch.subscribeAsync('#', { qos: 1 });

let node;
let id = config.id;
if (simulate) {
  const { simulateNode } = await import('./sim-node.mjs');
  node = simulateNode(board, config, '3c71bf0a1b99');
  id = node.id;
} else if (flag('flash')) {
  const dir = mkdtempSync(join(os.tmpdir(), 'hil-'));
  writeFileSync(join(dir, 'node.json'), JSON.stringify({ ...raw, node: { ...raw.node } }));
  console.log('flashing the node with this broker address...');
  try {
    execFileSync(process.execPath, ['scripts/flash.mjs', '--board', board, '--port', opt('port'), '--config', join(dir, 'node.json'), ...(opt('modules') ? ['--modules', opt('modules')] : []), ...(opt('baud') ? ['--baud', opt('baud')] : []), ...(flag('no-build') ? ['--no-build'] : [])], { stdio: 'inherit' });
  } catch (e) {
    // flash.mjs has said what went wrong above; one line here, no stack trace
    brokerDown();
    fail(`flashing failed (npm run flash exited ${e.status ?? e.signal ?? e.message}): no node to test`);
  }
}
const base = `${config.prefix}/${id || '+'}/`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = cond();
    if (v) return v;
    await sleep(20);
  }
  return null;
}
const from = (t) => seen.filter((m) => m.at >= t);
// The node's own word that it is back: its online as the broker accepted it (the watcher may be shown the
// retained online again by its own reconnection, long before the node returns).
const onlineAccepted = (t) => accepted.find((m) => m.at >= t && m.topic === `${b}status` && m.payload === 'online');
const statusOf = (t) => from(t).filter((m) => m.topic.endsWith('/status') && m.topic.startsWith(config.prefix));

// The birth: the node's retained online (its id, when it was derived from the serial, is learnt here).
const birthStart = Date.now();
const birth = await until(() => seen.find((m) => m.topic.startsWith(`${config.prefix}/`) && m.topic.endsWith('/status') && m.payload === 'online' && (!id || m.topic === `${base}status`)), simulate ? 15000 : 120000);
if (!birth) fail(`no birth message (${config.prefix}/<id>/status online) within ${simulate ? 15 : 120} s: is the node powered, on Wi-Fi, and pointed at mqtt://${lanAddress}:${port}?`);
id = birth.topic.slice(config.prefix.length + 1, -'/status'.length);
const b = `${config.prefix}/${id}/`;
console.log(`node ${id} is online (${Date.now() - birthStart} ms after the broker started)\n`);

// ---- the scenarios
const periodic = config.sensors.filter((s) => s.period);
const relay = config.actuators.find((a) => a.type === 'relay') || config.actuators[0];
const readingsOf = (s, t = 0) =>
  accepted
    .filter((m) => m.at >= t && m.topic === `${b}${s.name}`)
    .map((m) => {
      const r = JSON.parse(m.payload);
      return { ...m, seq: r.seq, dropped: r.dropped || 0 };
    });
const results = [];
async function scenario(name, fn) {
  const t = Date.now();
  let r;
  try {
    r = await fn();
  } catch (e) {
    r = { ok: false, detail: String(e.message || e) };
  }
  results.push({ name, ...r, ms: Date.now() - t });
  console.log(`${r.skipped ? 'skip' : r.ok ? 'pass' : 'FAIL'}  ${name.padEnd(66)} ${String(Date.now() - t).padStart(7)} ms  ${r.detail || ''}`);
}

await scenario('readings arrive on schedule', async () => {
  if (!periodic.length) return { skipped: true, ok: true, detail: 'no periodic sensors' };
  const t = Date.now();
  const longest = Math.max(...periodic.map((s) => s.period)) * 1000;
  const ok = await until(() => periodic.every((s) => readingsOf(s, t).length >= 2), longest * 2.5 + 2000);
  const gaps = periodic.map((s) => {
    const r = readingsOf(s, t);
    return r.length >= 2 ? `${s.name} every ${((r[r.length - 1].at - r[0].at) / (r.length - 1) / 1000).toFixed(1)} s (set ${s.period} s)` : `${s.name}: ${r.length} reading(s)`;
  });
  const late = periodic.some((s) => {
    const r = readingsOf(s, t);
    return r.length >= 2 && (r[r.length - 1].at - r[0].at) / (r.length - 1) > s.period * 1500;
  });
  return { ok: !!ok && !late, detail: gaps.join('; ') };
});

await scenario('a command round trip echoes the new state', async () => {
  if (!relay) return { skipped: true, ok: true, detail: 'no actuators' };
  const times = [];
  for (const cmd of ['ON', 'OFF']) {
    const t = Date.now();
    const want = relay.type === 'pwm' ? `{"state":"${cmd}"` : cmd;
    watch.publish(`${b}${relay.name}/set`, cmd, { qos: 1 });
    const echo = await until(() => from(t).find((m) => m.topic === `${b}${relay.name}` && m.payload.startsWith(want)), 5000);
    if (!echo) return { ok: false, detail: `no ${cmd} echo on ${b}${relay.name} within 5 s` };
    times.push(echo.at - t);
  }
  return { ok: true, detail: `${relay.name}: ON in ${times[0]} ms, OFF in ${times[1]} ms` };
});

await scenario('QoS 1 readings survive a broker restart (no gaps)', async () => {
  if (!periodic.length) return { skipped: true, ok: true, detail: 'no periodic sensors' };
  const s = periodic[0];
  const t = Date.now();
  const before = await until(() => readingsOf(s, t)[0], s.period * 2000 + 2000);
  if (!before) return { ok: false, detail: `no reading from ${s.name}` };
  brokerDown();
  await sleep(Math.max(s.period * 2500, 3000)); // readings are taken, and queued, while the broker is away
  await listen(port);
  let after = await until(() => {
    const r = readingsOf(s, t);
    return r.length && r[r.length - 1].seq >= before.seq + 4 ? r : null;
  }, 30000);
  if (!after) return { ok: false, detail: `${s.name}: no readings after the restart` };
  // Aedes publishes the messages of one read chunk concurrently: the last may be seen accepted a moment before
  // the one before it
  await sleep(500);
  const lastSeq = after[after.length - 1].seq;
  after = readingsOf(s, t).filter((r) => r.seq <= lastSeq);
  // A reading carries the count of messages given up before it was taken: one taken after the gap says
  // what the gap was (a message can be given up after later readings were taken, e.g. to make room for
  // the node's availability when it reconnects).
  const later = await until(() => readingsOf(s, t).find((r) => r.seq > lastSeq), s.period * 2000 + 2000);
  const seqs = [...new Set(after.map((r) => r.seq))].sort((x, y) => x - y);
  const missing = [];
  for (let q = seqs[0]; q <= seqs[seqs.length - 1]; q++) if (!seqs.includes(q)) missing.push(q);
  const dups = after.length - seqs.length;
  // A bounded outbox may give up readings in a long outage; the node counts what it gave up ("dropped").
  // A gap it reported is shown; a gap larger than what it reported is a loss.
  const reported = (later || after[after.length - 1]).dropped - after[0].dropped;
  const gaps = missing.length ? `missing ${missing.join(',')} (${Math.min(reported, missing.length)} given up by a full outbox and reported)` : 'missing none';
  return { ok: missing.length <= reported, detail: `${s.name} seq ${seqs[0]}..${seqs[seqs.length - 1]}, ${gaps}, duplicates ${dups}` };
});

await scenario(`reconnects after the broker is down longer than its keep-alive (${keepalive} s)`, async () => {
  const downFor = keepalive * 1500 + 1000;
  const t = Date.now();
  brokerDown();
  await sleep(downFor);
  const up = Date.now();
  await listen(port);
  const back = await until(() => onlineAccepted(up), 90000);
  return back ? { ok: true, detail: `down ${Math.round((up - t) / 1000)} s, online again ${back.at - up} ms after the broker returned` } : { ok: false, detail: 'not back within 90 s' };
});

await scenario('malformed commands change nothing', async () => {
  if (!relay) return { skipped: true, ok: true, detail: 'no actuators' };
  // after a reconnection (its backoff may still be running), let the node renew its subscription and publish
  // its states before judging
  await until(() => onlineAccepted(0) && aedes.clients[id] && aedes.clients[id].connected, 90000);
  await sleep(1500);
  const t = Date.now();
  const bad = ['on', 'MAYBE', '{"state":', ''];
  for (const p of bad) watch.publish(`${b}${relay.name}/set`, p, { qos: 1 });
  const errors = await until(() => {
    const e = from(t).filter((m) => m.topic === `${b}error`);
    return e.length >= bad.length ? e : null;
  }, 5000);
  await sleep(300);
  const changed = from(t).filter((m) => m.topic === `${b}${relay.name}`);
  return { ok: !!errors && !changed.length, detail: `${errors ? errors.length : 0} errors answered, ${changed.length} state changes` };
});

await scenario('a retained offline appears when the node loses power or network', async () => {
  const t = Date.now();
  if (simulate) node.cut();
  else if (flag('yes') || !process.stdin.isTTY) return { skipped: true, ok: true, detail: 'needs an operator (run without --yes, in a terminal)' };
  else {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    console.log(`      >>> unplug the node (power or Wi-Fi) now; waiting up to ${Math.round(keepalive * 1.5 + 60)} s`);
    rl.close();
  }
  const off = await until(() => statusOf(t).find((m) => m.topic === `${b}status` && m.payload === 'offline'), (keepalive * 1.5 + 60) * 1000);
  if (!off) return { ok: false, detail: 'no offline' };
  const late = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4 });
  const retained = await new Promise((resolve) => {
    late.on('message', (topic, payload, packet) => topic === `${b}status` && resolve(packet.retain && payload.toString() === 'offline'));
    late.subscribe(`${b}status`);
    setTimeout(() => resolve(false), 3000);
  });
  await late.endAsync(true);
  return { ok: !!retained, detail: `offline ${off.at - t} ms after the loss (keep-alive ${keepalive} s)${retained ? ', retained' : ', NOT retained'}` };
});

// ---- the report
const failed = results.filter((r) => !r.ok).length;
const report = { board, node: id, simulated: simulate, broker: `mqtt://${lanAddress}:${port}`, when: new Date().toISOString(), passed: results.filter((r) => r.ok && !r.skipped).length, failed, skipped: results.filter((r) => r.skipped).length, scenarios: results };
writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
console.log(`\n${report.passed} passed, ${failed} failed, ${report.skipped} skipped; report in ${reportFile}`);
if (node) node.close();
await watch.endAsync(true);
brokerDown();
await new Promise((r) => aedes.close(r));
process.exit(failed ? 1 : 0);

// The first non-internal IPv4 address: what a board on the same network reaches this machine at.
function lan() {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}
