// Runs before `npm test` (npm's pretest): makes sure what the tests need beyond npm ci is here. That is
// Mosquitto, the second real broker of the interoperability tests. Missing, it is installed from Debian's
// packages when this user may install them (root, or sudo without a password); otherwise this stops at once
// with the one command to run, rather than letting the interop tests fail one by one.
//
// MOSQUITTO_DIRS (':'-separated) replaces the directories searched, and PRETEST_ROOT=0|1 replaces the
// check for who may install: both for this script's own tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const DIRS = (process.env.MOSQUITTO_DIRS || '/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin').split(':');
const INSTALL = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'mosquitto'];
const found = () => DIRS.some((d) => existsSync(join(d, 'mosquitto')));

if (found()) process.exit(0);

const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const root = process.env.PRETEST_ROOT !== undefined ? process.env.PRETEST_ROOT === '1' : process.getuid?.() === 0;
const sudo = !root && process.env.PRETEST_ROOT === undefined && ok('sudo', ['-n', 'true']);
const apt = ok('sh', ['-c', 'command -v apt-get']);

if (!apt || (!root && !sudo)) {
  console.error(
    'npm test: Mosquitto is not installed; the interoperability tests run against it.\n' +
      (apt ? '  Install it once, then run npm test again:\n\n    sudo apt-get install mosquitto\n' : '  Install the mosquitto package of your system (Debian/Ubuntu: sudo apt-get install mosquitto), then run npm test again.\n'),
  );
  process.exit(1);
}

console.log(`npm test: installing Debian's mosquitto package (${sudo ? 'with sudo' : 'as root'}), needed by the interoperability tests...`);
const run = (args) => execFileSync(sudo ? 'sudo' : args[0], sudo ? ['-n', ...args] : args.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
try {
  run(['apt-get', 'update', '-qq']);
  run(INSTALL);
} catch (e) {
  console.error(`npm test: installing mosquitto failed (${e.message.split('\n')[0]}); install it by hand: sudo apt-get install mosquitto`);
  process.exit(1);
}
if (!found()) {
  console.error('npm test: apt-get finished but no mosquitto binary was found; install it by hand: sudo apt-get install mosquitto');
  process.exit(1);
}
console.log('npm test: mosquitto installed');
