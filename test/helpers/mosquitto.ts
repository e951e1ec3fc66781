// A real Mosquitto on 127.0.0.1 for interop tests: a generated config in a temporary directory, ephemeral
// ports, a plain listener (anonymous allowed) and, when asked, a TLS listener with a password file. It can
// be killed and started again on the same ports (with persistence on, it keeps sessions and queued messages
// across that, as a real installation does). Needs the `mosquitto` package (npm test's pretest step installs it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestMosquitto {
  port: number;
  tlsPort: number;
  kill(): Promise<void>; // SIGTERM: it saves its state when persistence is on
  restart(): Promise<void>;
  close(): Promise<void>;
}

function binary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    try {
      execFileSync('test', ['-x', join(dir, name)]);
      return join(dir, name);
    } catch {
      // next
    }
  }
  throw new Error(`${name} is not installed: run \`sudo apt-get install mosquitto\` (npm test's pretest step does when it may); the interop tests need a real Mosquitto`);
}

function dynsecPlugin(): string {
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib', '/usr/local/lib']) {
    try {
      execFileSync('test', ['-f', join(dir, 'mosquitto_dynamic_security.so')]);
      return join(dir, 'mosquitto_dynamic_security.so');
    } catch {
      // next
    }
  }
  throw new Error("Mosquitto's dynamic security plugin (mosquitto_dynamic_security.so, in the mosquitto package) is not installed");
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function reachable(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

// plain: the plain listener's own users (then no anonymous client), ACL (acl_file text) and other settings
// (global ones such as max_inflight_messages, which Mosquitto sends as its MQTT 5.0 Receive Maximum).
export async function startMosquitto(opts: { persistence?: boolean; tls?: { key: string; cert: string; clientCa?: string }; users?: Record<string, string>; plain?: { users?: Record<string, string>; acl?: string; settings?: string[]; denySubscribe?: string[] } } = {}): Promise<TestMosquitto> {
  const exe = binary('mosquitto');
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : 0;
  // Run as root, Mosquitto drops to its own user, which cannot read this private directory: stay root.
  // It keeps at most 1000 messages for an offline subscriber by default; a stream test queues more.
  const plain = opts.plain || {};
  const lines = [...(process.getuid && process.getuid() === 0 ? ['user root'] : []), 'per_listener_settings true', 'max_queued_messages 100000', ...(plain.settings || []), `persistence ${opts.persistence ? 'true' : 'false'}`, `persistence_location ${dir}/`, 'log_dest none', `listener ${port} 127.0.0.1`];
  if (plain.users) {
    const passwords = join(dir, 'plain-passwords');
    writeFileSync(passwords, '');
    for (const [user, password] of Object.entries(plain.users)) execFileSync(binary('mosquitto_passwd'), ['-b', passwords, user, password]);
    lines.push('allow_anonymous false', `password_file ${passwords}`);
  } else lines.push('allow_anonymous true');
  if (plain.denySubscribe) {
    // Mosquitto 2.0's acl_file never refuses a SUBSCRIBE (it filters delivery); its dynamic security plugin
    // does, with SUBACK 0x87, for anonymous clients given a role that denies these filters
    writeFileSync(
      join(dir, 'dynsec.json'),
      JSON.stringify({
        defaultACLAccess: { publishClientSend: true, publishClientReceive: true, subscribe: true, unsubscribe: true },
        clients: [],
        groups: [{ groupname: 'anonymous', roles: [{ rolename: 'limited' }] }],
        roles: [{ rolename: 'limited', acls: plain.denySubscribe.map((topic) => ({ acltype: 'subscribePattern', topic, allow: false })) }],
        anonymousGroup: 'anonymous',
      }),
    );
    lines.push(`plugin ${dynsecPlugin()}`, `plugin_opt_config_file ${dir}/dynsec.json`);
  }
  if (plain.acl) {
    writeFileSync(join(dir, 'acl'), plain.acl);
    lines.push(`acl_file ${dir}/acl`);
  }
  if (opts.tls) {
    writeFileSync(join(dir, 'key.pem'), opts.tls.key);
    writeFileSync(join(dir, 'cert.pem'), opts.tls.cert);
    const passwords = join(dir, 'passwords');
    writeFileSync(passwords, '');
    for (const [user, password] of Object.entries(opts.users || {})) execFileSync(binary('mosquitto_passwd'), ['-b', passwords, user, password]);
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${dir}/cert.pem`, `keyfile ${dir}/key.pem`, `password_file ${passwords}`, 'allow_anonymous false');
    if (opts.tls.clientCa) {
      // mutual TLS: a client certificate signed by this CA is required, and its common name is the username
      writeFileSync(join(dir, 'client-ca.pem'), opts.tls.clientCa);
      lines.push(`cafile ${dir}/client-ca.pem`, 'require_certificate true', 'use_identity_as_username true');
    }
  }
  writeFileSync(join(dir, 'mosquitto.conf'), lines.join('\n') + '\n');
  let child: ChildProcess | null = null;
  const t: TestMosquitto = {
    port,
    tlsPort,
    async restart() {
      child = spawn(exe, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      child.on('exit', (code) => code && !err.includes('terminating') && (err += ` (exit ${code})`));
      await reachable(port, 5000).catch((e) => {
        throw new Error(`${e.message}: ${err}`);
      });
      if (tlsPort) await reachable(tlsPort, 5000);
    },
    async kill() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.on('exit', () => resolve());
        c.kill('SIGTERM');
      });
    },
    // its directory too (config, passwords, persistence): one was left in the temporary directory per broker
    close: () => t.kill().then(() => rmSync(dir, { recursive: true, force: true })),
  };
  await t.restart();
  return t;
}
