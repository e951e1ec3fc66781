// A plain Mosquitto on 127.0.0.1 and an ephemeral port (or `port`), anonymous, for the scripts that need an
// MQTT 5.0 broker (Aedes speaks 3.1.1 only): the real-interpreter scenarios, the memory bench, npm start for a
// 5.0 node. The tests have a fuller one (test/helpers/mosquitto.ts). Needs the mosquitto package (npm test's
// pretest step installs it).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// ownGroup: in a process group of its own, so that a Ctrl-C in the terminal reaches only its parent, which
// then ends it after its clients (npm start); the parent must kill() it on exit.
// persistence: a directory of the caller's where it keeps sessions and queued messages (saved when it is
// stopped with close(), SIGTERM), so that one started again on it carries on with them.
export async function startPlainMosquitto(wanted = 0, { ownGroup = false, persistence } = {}) {
  const exe = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto'].find((f) => {
    try {
      execFileSync('test', ['-x', f]);
      return true;
    } catch {
      return false;
    }
  });
  if (!exe) throw new Error('mosquitto is not installed: sudo apt-get install mosquitto (npm test installs it: scripts/pretest.mjs)');
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const port = wanted || await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  // run as root, Mosquitto would drop to a user that cannot read this private directory
  const root = process.getuid && process.getuid() === 0 ? ['user root'] : [];
  writeFileSync(join(dir, 'mosquitto.conf'), [...root, 'log_dest none', 'max_queued_messages 100000', `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'set_tcp_nodelay true', ...(persistence ? ['persistence true', `persistence_location ${persistence}/`] : [])].join('\n') + '\n');
  const child = spawn(exe, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore', detached: ownGroup });
  for (const end = Date.now() + 5000; ; ) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto exited (code ${child.exitCode}) instead of listening on 127.0.0.1:${port}`);
    }
    const up = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), r(true)));
      c.on('error', () => r(false));
    });
    if (up) break;
    if (Date.now() > end) {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not listen on ${port}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return {
    port,
    // at once, for a process on its way out
    kill() {
      if (child.exitCode === null) child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
    close: () =>
      new Promise((resolve) => {
        child.on('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        if (child.exitCode !== null) child.emit('exit');
        else child.kill();
      }),
  };
}
