// A RabbitMQ cluster on 127.0.0.1 for the fleet runner (scripts/fleet.mjs) and the failover test: three
// members (or `size`) with the MQTT plugin, each its own node name, ports and data in a temporary directory,
// joined into one cluster, with the policy that keeps an MQTT session alive when a member is lost.
//
// - Everything listens on 127.0.0.1 only: each member's MQTT listener, its Erlang distribution port, and an
//   epmd this script starts itself on an ephemeral port (ERL_EPMD_PORT), so no system epmd or RabbitMQ is
//   touched, and no AMQP listener is opened at all.
// - A member runs in a process group of its own: kill(i) ends it at once (SIGKILL, as a crash or a power cut
//   would), restart(i) starts it again on its data (it rejoins the cluster), stop() ends everything started
//   here, by PID, and removes the directory.
// - Sessions: RabbitMQ 3.10 keeps an MQTT client's QoS 1 subscriptions in a classic queue named
//   mqtt-subscription-<client id>qos1, held by the member the client was connected to when it was declared.
//   The policy `ha-mode: all` mirrors those queues on every member, so a persistent session survives the loss
//   of any one member; without it the session is unavailable while its member is down.
//
// Needs Debian's rabbitmq-server (3.10 here); it is looked for, never installed from here.
//
//   node scripts/cluster.mjs [--size 3]    starts one and prints its MQTT URLs; Ctrl-C stops it
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandLine } from './args.mjs';

const SBIN = process.env.RABBITMQ_SBIN || '/usr/lib/rabbitmq/bin';
const EPMD = ['/usr/bin/epmd', '/usr/lib/erlang/bin/epmd'];
export const RABBITMQ_MISSING =
  'RabbitMQ is not installed (the cluster runs Debian\'s rabbitmq-server with its MQTT plugin).\n' +
  '  Install it once, then run this again:\n\n    sudo apt-get install --no-install-recommends rabbitmq-server\n\n' +
  '  (npm test installs it when it may: scripts/pretest.mjs)';

export function rabbitmqInstalled() {
  return existsSync(join(SBIN, 'rabbitmq-server')) && existsSync(join(SBIN, 'rabbitmqctl')) && EPMD.some(existsSync);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

const listening = (port) =>
  new Promise((r) => {
    const c = net.connect(port, '127.0.0.1', () => (c.destroy(), r(true)));
    c.on('error', () => r(false));
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// options: size (3); log (a function for progress lines); startTimeout (ms per member, 90 s)
export async function startCluster({ size = 3, log = () => {}, startTimeout = 90000 } = {}) {
  if (!rabbitmqInstalled()) throw new Error(RABBITMQ_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-cluster-'));
  const tag = 'em' + process.pid.toString(36);
  const epmdPort = await freePort();
  // One cookie for the members and rabbitmqctl (read from $HOME/.erlang.cookie, owner-only).
  writeFileSync(join(dir, '.erlang.cookie'), 'EM' + Math.random().toString(36).slice(2).toUpperCase(), { mode: 0o400 });
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
  const baseEnv = { ...process.env, HOME: dir, ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: '127.0.0.1' };
  const epmd = spawn(EPMD.find(existsSync), ['-port', String(epmdPort), '-address', '127.0.0.1'], { stdio: 'ignore', env: baseEnv, detached: true });
  const alive = (child) => child && child.exitCode === null && child.signalCode === null;
  const members = [];
  for (let i = 0; i < size; i++) {
    const name = `${tag}-${i + 1}@localhost`;
    const home = join(dir, `member${i + 1}`);
    mkdirSync(home);
    members.push({ index: i, name, home, port: await freePort(), distPort: await freePort(), child: null });
  }
  const seeds = members.map((m, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${m.name}`);
  for (const m of members) {
    writeFileSync(
      join(m.home, 'rabbitmq.conf'),
      [
        'listeners.tcp = none', // no AMQP listener: MQTT only
        `mqtt.listeners.tcp.default = 127.0.0.1:${m.port}`,
        'mqtt.allow_anonymous = true',
        'log.console = false',
        'log.file.level = warning',
        // the first member forms the cluster; the others join it as they boot
        'cluster_formation.peer_discovery_backend = classic_config',
        ...seeds,
      ].join('\n') + '\n',
    );
  }
  const env = (m) => ({
    ...baseEnv,
    RABBITMQ_NODENAME: m.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_DIST_PORT: String(m.distPort),
    RABBITMQ_CONFIG_FILE: join(m.home, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: join(m.home, 'mnesia'),
    RABBITMQ_LOG_BASE: join(m.home, 'log'),
    RABBITMQ_PID_FILE: join(m.home, 'pid'),
    RABBITMQ_QUORUM_DIR: join(m.home, 'quorum'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(m.home, 'feature_flags'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(m.home, 'plugins-expand'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    RABBITMQ_CTL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}', // rabbitmqctl's own VM too
  });
  const ctl = (m, args, timeout = 60000) =>
    new Promise((resolve, reject) =>
      execFile(join(SBIN, 'rabbitmqctl'), ['-n', m.name, ...args], { env: env(m), timeout }, (err, out, errOut) =>
        err ? reject(new Error(`rabbitmqctl ${args[0]} on ${m.name}: ${(errOut || err.message).trim().split('\n').slice(-3).join(' ')}`)) : resolve(out),
      ),
    );
  const launch = (m) => {
    m.child = spawn(join(SBIN, 'rabbitmq-server'), [], { env: env(m), stdio: 'ignore', detached: true });
    m.child.on('exit', () => (m.child = null));
  };
  const up = async (m) => {
    for (const end = Date.now() + startTimeout; ; ) {
      if (!m.child) throw new Error(`RabbitMQ member ${m.name} exited while starting; its log: ${join(m.home, 'log')}`);
      if (await listening(m.port)) return;
      if (Date.now() > end) throw new Error(`RabbitMQ member ${m.name} did not listen on 127.0.0.1:${m.port} within ${startTimeout / 1000} s`);
      await sleep(100);
    }
  };
  const killGroup = (m, signal = 'SIGKILL') => {
    if (!m.child) return Promise.resolve();
    const exited = new Promise((r) => m.child.once('exit', r));
    try {
      process.kill(-m.child.pid, signal); // the script, its Erlang VM and the VM's helpers
    } catch {
      // already gone
    }
    return exited;
  };
  // Whatever ends this process (an error, Ctrl-C in a caller that exits), nothing started here outlives it.
  const killAll = () => {
    for (const m of members) if (m.child) try { process.kill(-m.child.pid, 'SIGKILL'); } catch { /* gone */ }
    if (alive(epmd)) try { process.kill(-epmd.pid, 'SIGKILL'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  const stop = async () => {
    await Promise.all(members.map((m) => killGroup(m)));
    if (alive(epmd)) {
      const gone = new Promise((r) => epmd.once('exit', r));
      epmd.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', killAll);
  };
  try {
    const t0 = Date.now();
    // the first member alone (it forms the cluster), then the rest at once
    launch(members[0]);
    await up(members[0]);
    members.slice(1).forEach(launch);
    await Promise.all(members.slice(1).map(up));
    const running = async () => (await ctl(members[0], ['cluster_status', '--formatter', 'json']).then(JSON.parse)).running_nodes || [];
    for (const end = Date.now() + startTimeout; (await running()).length < size; ) {
      if (Date.now() > end) throw new Error(`the RabbitMQ cluster did not form: ${(await running()).join(', ')} running`);
      await sleep(250);
    }
    await ctl(members[0], ['set_policy', '--apply-to', 'queues', 'mqtt-sessions', '^mqtt-subscription-', '{"ha-mode":"all","ha-sync-mode":"automatic"}']);
    log(`RabbitMQ cluster of ${size} up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${members.map((m) => `127.0.0.1:${m.port}`).join(', ')}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    members: members.map((m) => ({ name: m.name, port: m.port, url: `mqtt://127.0.0.1:${m.port}` })),
    urls: members.map((m) => `mqtt://127.0.0.1:${m.port}`),
    running: (i) => !!members[i].child,
    pid: (i) => {
      try {
        return Number(readFileSync(join(members[i].home, 'pid'), 'utf8'));
      } catch {
        return 0;
      }
    },
    // a member lost at once (its VM killed), as in a crash
    kill: (i) => killGroup(members[i]),
    // back on its own data: it rejoins the cluster; resolves when it listens again
    async restart(i) {
      if (members[i].child) return;
      launch(members[i]);
      await up(members[i]);
    },
    ctl: (i, args) => ctl(members[i], args),
    stop,
  };
}

async function main() {
  const cli = commandLine();
  if (!rabbitmqInstalled()) {
    console.error(RABBITMQ_MISSING);
    process.exit(1);
  }
  // Ctrl-C while it starts: exit, and the exit handler stops what was started
  const early = () => process.exit(130);
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  const cluster = await startCluster({ size: Number(cli.opt('size', 3)), log: console.log });
  process.removeListener('SIGINT', early);
  process.removeListener('SIGTERM', early);
  console.log(cluster.members.map((m) => `  ${m.name}  ${m.url}`).join('\n'));
  console.log('Ctrl-C stops it.');
  let stopping = false;
  const quit = () => {
    if (stopping) return;
    stopping = true;
    cluster.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
