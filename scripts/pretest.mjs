// Runs before `npm test` (npm's pretest): makes sure what the tests need beyond npm ci is here. That is
// Mosquitto, the second real broker of the interoperability tests, and RabbitMQ, the cluster of the fleet's
// failover test (scripts/cluster.mjs). What is missing is installed from Debian's packages, in one apt-get
// run, when this user may install them (root, or sudo without a password); otherwise this stops at once with
// the one command to run, rather than letting the tests that need them fail one by one.
//
// MOSQUITTO_DIRS (':'-separated) replaces the directories searched for mosquitto, RABBITMQ_SBIN the one of
// RabbitMQ's scripts (as in scripts/cluster.mjs), and PRETEST_ROOT=0|1 the check for who may install: all for
// this script's own tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DIRS = (process.env.MOSQUITTO_DIRS || '/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin').split(':');
const RABBITMQ = process.env.RABBITMQ_SBIN || '/usr/lib/rabbitmq/bin';
const NEEDS = [
  { pkg: 'mosquitto', name: 'Mosquitto', why: 'the interoperability tests run against it', found: () => DIRS.some((d) => existsSync(join(d, 'mosquitto'))) },
  {
    pkg: 'rabbitmq-server',
    name: 'RabbitMQ',
    why: 'the fleet failover test runs a cluster of it',
    found: () => ['rabbitmq-server', 'rabbitmqctl'].every((f) => existsSync(join(RABBITMQ, f))),
  },
];

const missing = NEEDS.filter((n) => !n.found());
if (!missing.length) process.exit(0);
const names = missing.map((n) => n.name).join(' and ');
const pkgs = missing.map((n) => n.pkg);

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const root = process.env.PRETEST_ROOT !== undefined ? process.env.PRETEST_ROOT === '1' : process.getuid?.() === 0;
const sudo = !root && process.env.PRETEST_ROOT === undefined && ok('sudo', ['-n', 'true']);
const apt = ok('sh', ['-c', 'command -v apt-get']);
const command = `sudo apt-get install --no-install-recommends ${pkgs.join(' ')}`;

if (!apt || (!root && !sudo)) {
  console.error(
    missing.map((n) => `npm test: ${n.name} is not installed; ${n.why}.`).join('\n') +
      '\n' +
      (apt ? `  Install ${missing.length > 1 ? 'them' : 'it'} once, then run npm test again:\n\n    ${command}\n` : `  Install the ${pkgs.join(' and ')} package${missing.length > 1 ? 's' : ''} of your system (Debian/Ubuntu: ${command}), then run npm test again.\n`),
  );
  process.exit(1);
}

console.log(`npm test: installing Debian's ${pkgs.join(' and ')} (${sudo ? 'with sudo' : 'as root'}), needed by the tests...`);
const t0 = Date.now();
const run = (args) => execFileSync(sudo ? 'sudo' : args[0], sudo ? ['-n', ...args] : args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
try {
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs]);
} catch (e) {
  console.error(`npm test: installing ${names} failed (${e.message.split('\n')[0]}); install by hand: ${command}`);
  process.exit(1);
}
// Debian's package enables and starts a system RabbitMQ where systemd runs (listening on every interface);
// the tests start their own on 127.0.0.1, so that one is stopped and disabled (best effort).
if (pkgs.includes('rabbitmq-server')) spawnSync('sh', ['-c', `command -v systemctl >/dev/null && ${sudo ? 'sudo -n ' : ''}systemctl disable --now rabbitmq-server`], { stdio: 'ignore' });
const still = missing.filter((n) => !n.found());
if (still.length) {
  console.error(`npm test: apt-get finished but ${still.map((n) => n.name).join(' and ')} was not found; install by hand: ${command}`);
  process.exit(1);
}
console.log(`npm test: ${pkgs.join(' and ')} installed in ${Math.round((Date.now() - t0) / 1000)} s`);
