// npm run reliability [-- --quick]: the client (dist/host.cjs) against faults injected on loopback, with an
// Aedes broker and MQTT.js as the subscriber, and one table of figures: sent, delivered, duplicated, lost per
// fault; detection times against keep-alive; attempts under bad credentials and a broker that never answers.
// --quick runs smaller numbers (npm test runs it so).
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { fuzz } from './fuzz.mjs';

const host = createRequire(import.meta.url)('../dist/host.cjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

// A broker that can be killed and restarted with its state, and a proxy in front of it that can go silent
// or cut every connection after a given number of bytes in one direction (in the middle of a packet).
// With `ws`, the broker is served over WebSocket (the proxy then cuts in the middle of a frame).
async function rig(authenticate, ws = false) {
  const aedes = await Aedes.createBroker(authenticate ? { authenticate } : {});
  let server;
  const socks = new Set();
  const listen = async (port = 0) => {
    if (ws) {
      server = http.createServer();
      new WebSocketServer({ server }).on('connection', (sock) => aedes.handle(createWebSocketStream(sock)));
    } else {
      server = net.createServer(aedes.handle);
    }
    server.on('connection', (s) => {
      socks.add(s);
      s.on('close', () => socks.delete(s));
    });
    await new Promise((r) => server.listen(port, '127.0.0.1', r));
    return server.address().port;
  };
  const port = await listen();
  const proxy = { silent: false, cutAfter: null, pairs: new Set() };
  const pserver = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    const pair = [down, up];
    proxy.pairs.add(pair);
    const pass = (from, to, dir) => (d) => {
      if (proxy.silent) return;
      const cut = proxy.cutAfter && proxy.cutAfter.dir === dir ? proxy.cutAfter : null;
      if (cut) {
        const room = cut.bytes - cut.seen;
        if (d.length >= room) {
          to.write(d.subarray(0, room)); // part of a packet, then the line dies
          proxy.cutAfter = null;
          setImmediate(() => (down.destroy(), up.destroy()));
          return;
        }
        cut.seen += d.length;
      }
      to.write(d);
    };
    down.on('data', pass(down, up, 'up'));
    up.on('data', pass(up, down, 'down'));
    const end = () => {
      proxy.pairs.delete(pair);
      if (!proxy.silent) (down.destroy(), up.destroy());
    };
    down.on('close', end).on('error', () => {});
    up.on('close', end).on('error', () => {});
  });
  await new Promise((r) => pserver.listen(0, '127.0.0.1', r));
  // The watching subscriber has a listener of its own that no fault touches: were it cut off too, Aedes would
  // replay its stored messages interleaved with live ones when it came back (moscajs/aedes#649), and the
  // order column would measure the broker, not the client.
  const watch = net.createServer(aedes.handle);
  await new Promise((r) => watch.listen(0, '127.0.0.1', r));
  return {
    port,
    watchPort: watch.address().port,
    proxyPort: pserver.address().port,
    proxy,
    kill: () => (server.close(), socks.forEach((s) => s.destroy())),
    restart: () => listen(port),
    async close() {
      proxy.silent = false;
      for (const [a, b] of proxy.pairs) (a.destroy(), b.destroy());
      pserver.close();
      watch.close();
      server.close();
      socks.forEach((s) => s.destroy());
      await new Promise((r) => aedes.close(r));
    },
  };
}

// A stream of numbered QoS 1 messages from our client to an MQTT.js subscriber while `fault` strikes;
// payloads carry their number and a check, so a corrupt delivery is counted, not just a missing one.
async function stream(r, { total, port, fault, opts = {}, pace = 0, ws = false }) {
  const sub = await mqtt.connectAsync({ host: '127.0.0.1', port: r.watchPort, protocolVersion: 4, clientId: `sub-${Math.random()}`, clean: false, reconnectPeriod: 50 });
  await sub.subscribeAsync('stream', { qos: 1 });
  const seen = new Map();
  let corrupt = 0;
  let outOfOrder = 0;
  let last = -1;
  sub.on('message', (_t, payload) => {
    const [n, check] = String(payload).split(':');
    if (check !== String((Number(n) * 7919) % 65521)) return corrupt++;
    const k = Number(n);
    if (k < last && !seen.has(k)) outOfOrder++; // a first delivery behind a later one (a resend is not)
    last = Math.max(last, k);
    seen.set(k, (seen.get(k) || 0) + 1);
  });
  const pub = host.connect({ url: `${ws ? 'ws' : 'mqtt'}://127.0.0.1:${port}`, clientId: `pub-${Math.random()}`, keepalive: 2, outboxMessages: 64, outboxBytes: 8192, overflow: 'reject-new', reconnect: { min: 50, max: 500, jitter: 0 }, ...opts });
  pub.on('error', () => {});
  await until(() => pub.connected, 5000);
  let acked = 0;
  let dropped = 0;
  for (let i = 0; i < total; i++) {
    while (pub.queued() >= 60) await sleep(1);
    await fault(i);
    if (pace) await sleep(pace);
    // every message gets its callback: an error for one given up or refused (false alone may also mean
    // "taken, and the outbox is now full")
    pub.publish('stream', `${i}:${(i * 7919) % 65521}`, { qos: 1 }, (err) => (err ? dropped++ : acked++));
  }
  await until(() => acked + dropped >= total, 60000);
  await until(() => seen.size >= acked, 10000);
  await new Promise((res) => pub.end(true, res));
  await sub.endAsync(true);
  const dup = [...seen.values()].reduce((a, n) => a + n - 1, 0);
  return { sent: total, delivered: seen.size, duplicates: dup, lost: total - seen.size - dropped, dropped, corrupt, outOfOrder };
}

// progress(row, n) is told as each of the SCENARIOS ends.
export const SCENARIOS = 10;
export async function reliability({ quick = false, progress } = {}) {
  const rows = [];
  const report = (r) => {
    rows.push(r);
    if (progress) progress(r, rows.length);
  };
  const N = quick ? 1000 : 10000;
  const KILLS = quick ? 3 : 20;

  // 1, 2: over TCP, then again over WebSocket
  for (const ws of [false, true]) {
    const over = ws ? ', over WebSocket' : '';
    // 1. Broker killed and restarted KILLS times during N QoS 1 messages.
    {
      const r = await rig(undefined, ws);
      const every = Math.floor(N / (KILLS + 1));
      const res = await stream(r, {
        ws,
        total: N,
        port: r.port,
        fault: async (i) => {
          if (i && i % every === 0 && i / every <= KILLS) {
            r.kill();
            await sleep(100);
            await r.restart();
          }
        },
      });
      report({ fault: `broker killed and restarted ${KILLS}x${over}`, ...res });
      await r.close();
    }

    // 2. The line cut in the middle of a packet (of a frame, over WebSocket), client to broker and broker to
    // client, again and again.
    {
      const r = await rig(undefined, ws);
      let cuts = 0;
      const res = await stream(r, {
        ws,
        total: N,
        port: r.proxyPort,
        fault: async (i) => {
          if (i && i % Math.floor(N / 10) === 0) {
            r.proxy.cutAfter = { dir: cuts++ % 2 ? 'down' : 'up', bytes: 7 + (i % 13), seen: 0 };
            await sleep(20);
          }
        },
      });
      report({ fault: `line cut mid-${ws ? 'frame' : 'packet'} ${cuts}x (both directions)${over}`, ...res });
      await r.close();
    }
  }

  // 3. A long outage while publishing goes on: the outbox keeps its bound, every give-up is reported.
  {
    const r = await rig();
    let heapBefore = 0;
    const res = await stream(r, {
      total: N,
      port: r.port,
      opts: { outboxMessages: 32, outboxBytes: 2048, overflow: 'drop-oldest' },
      pace: 1, // a message every millisecond or so: the outage lasts a while
      fault: async (i) => {
        if (i === Math.floor(N / 4)) {
          if (globalThis.gc) globalThis.gc();
          heapBefore = process.memoryUsage().heapUsed;
          r.kill();
        }
        if (i === Math.floor(N / 2)) await r.restart(); // (the client comes back within its 500 ms backoff)
      },
    });
    if (globalThis.gc) globalThis.gc();
    const heap = globalThis.gc ? `heap ${((process.memoryUsage().heapUsed - heapBefore) / 1048576).toFixed(1)} MiB from the outage's start to the end` : '';
    report({ fault: 'outage for half the stream (drop-oldest, outbox 32)', ...res, note: heap });
    await r.close();
  }

  // 4. The link goes silent without closing: detection against keep-alive (2 s).
  {
    const r = await rig();
    const c = host.connect({ host: '127.0.0.1', port: r.proxyPort, keepalive: 2, reconnect: { min: 50, max: 500, jitter: 0 } });
    c.on('error', () => {});
    await until(() => c.connected, 5000);
    const times = [];
    for (let k = 0; k < (quick ? 2 : 5); k++) {
      const t = Date.now();
      r.proxy.silent = true;
      await until(() => !c.connected, 10000);
      times.push(Date.now() - t);
      r.proxy.silent = false;
      for (const [a, b] of r.proxy.pairs) (a.destroy(), b.destroy());
      await until(() => c.connected, 10000);
    }
    await new Promise((res) => c.end(true, res));
    report({ fault: 'silent link, keep-alive 2 s', note: `detected in ${Math.min(...times)}-${Math.max(...times)} ms after the line went silent (1.5x keep-alive = 3000 ms from the last packet heard)`, detectMs: Math.max(...times) });
    await r.close();
  }

  // 5. A broker that accepts TCP and never answers (or trickles a byte now and then): connect timeout, backoff.
  {
    const conns = [];
    const slow = net.createServer((s) => {
      conns.push(s);
      s.on('error', () => {});
      const t = setInterval(() => !s.destroyed && s.write(Buffer.from([0x20])), 700); // a CONNACK that never completes
      s.on('close', () => clearInterval(t));
    });
    await new Promise((res) => slow.listen(0, '127.0.0.1', res));
    const ms = quick ? 4000 : 20000;
    if (globalThis.gc) globalThis.gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const c = host.connect({ host: '127.0.0.1', port: slow.address().port, connectTimeout: 1000, reconnect: { min: 500, max: 2000, jitter: 0 } });
    let timeouts = 0;
    c.on('error', (e) => e.code === 26 && timeouts++);
    await sleep(ms);
    await new Promise((res) => c.end(true, res));
    conns.forEach((s) => s.destroy());
    slow.close();
    if (globalThis.gc) globalThis.gc();
    const heap = globalThis.gc ? `, heap ${((process.memoryUsage().heapUsed - heapBefore) / 1048576).toFixed(1)} MiB change` : '';
    report({ fault: `slow broker (never a whole CONNACK) for ${ms / 1000} s`, note: `${conns.length} connections, ${timeouts} connect timeouts (1 s timeout, backoff 0.5-2 s)${heap}`, attempts: conns.length });
  }

  // 6. Wrong credentials: attempts stay within the backoff schedule (refusals wait the backoff maximum).
  {
    const r = await rig((_c, u, p, done) => done(Object.assign(new Error('no'), { returnCode: 4 }), false));
    const ms = quick ? 6000 : 60000;
    let attempts = 0;
    const c = host.connect({ host: '127.0.0.1', port: r.port, username: 'node', password: 'wrong', reconnect: { min: 100, max: 2000, jitter: 0 } });
    c.on('error', (e) => e.code === 24 && attempts++);
    await sleep(ms);
    await new Promise((res) => c.end(true, res));
    report({ fault: `wrong credentials for ${ms / 1000} s`, note: `${attempts} attempts (schedule: one per 2 s backoff maximum, at most ${Math.floor(ms / 2000) + 1})`, attempts, maxAttempts: Math.floor(ms / 2000) + 1 });
    await r.close();
  }
  // 7. A broker that answers with malformed packets: bad flags, a bad length, an ill-formed UTF-8 topic, an ack
  // for an id never used, a second CONNACK. Each must close the connection cleanly; then a sound one works.
  {
    const BAD = [
      [0x41, 0x02, 0x00, 0x01], // PUBACK with reserved flags set
      [0x30, 0xff, 0xff, 0xff, 0xff, 0x7f], // a remaining length past the limit
      [0x30, 0x05, 0x00, 0x02, 0xc0, 0x80, 0x78], // PUBLISH whose topic is ill-formed UTF-8 (an overlong NUL)
      [0x40, 0x02, 0x12, 0x34], // PUBACK for a packet id never sent
      [0x20, 0x02, 0x00, 0x00], // a second CONNACK
    ];
    let n = 0;
    const conns = [];
    const bad = net.createServer((sock) => {
      conns.push(sock);
      const k = n++;
      sock.on('error', () => {});
      sock.once('data', () => {
        sock.write(Buffer.from([0x20, 0x02, 0x00, 0x00])); // CONNACK, accepted
        if (k < BAD.length) setTimeout(() => !sock.destroyed && sock.write(Buffer.from(BAD[k])), 20);
      });
    });
    await new Promise((res) => bad.listen(0, '127.0.0.1', res));
    const c = host.connect({ host: '127.0.0.1', port: bad.address().port, reconnect: { min: 20, max: 100, jitter: 0 } });
    const codes = [];
    c.on('error', (e) => codes.push(e.code));
    let threw = 0;
    const caught = () => threw++;
    process.on('uncaughtException', caught);
    await until(() => n > BAD.length && c.connected, 10000);
    await sleep(200);
    const sound = c.connected;
    process.off('uncaughtException', caught);
    await new Promise((res) => c.end(true, res));
    conns.forEach((x) => x.destroy());
    bad.close();
    report({ fault: 'malformed packets from the broker (5 kinds)', note: `${BAD.length} closed cleanly (error codes ${codes.join(', ')}), ${threw} exceptions, then ${sound ? 'a sound connection stayed up' : 'NO sound connection'}`, malformedClosed: codes.length, sound, threw });
  }

  // 8. Random and mutated frames through the decoder and a client (npm run fuzz runs more).
  {
    const count = quick ? 5000 : 100000;
    const f = fuzz({ count, seed: 7 });
    report({ fault: `fuzz: ${count} random and mutated frames`, note: `${f.escaped.length} exceptions escaped; ${f.decodeErrors} malformed inputs reported; ${f.reconnects} reconnections`, escaped: f.escaped.length });
  }
  return rows;
}

function table(rows) {
  const out = ['| fault | sent | delivered | duplicates | lost | given up (reported) | corrupt | out of order | notes |', '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) out.push(`| ${r.fault} | ${r.sent ?? ''} | ${r.delivered ?? ''} | ${r.duplicates ?? ''} | ${r.lost ?? ''} | ${r.dropped ?? ''} | ${r.corrupt ?? ''} | ${r.outOfOrder ?? ''} | ${r.note || ''} |`);
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const t = Date.now();
  console.log(`${SCENARIOS} fault scenarios on loopback${quick ? ' (quick)' : ', about two minutes'}; each is listed as it ends:`);
  const rows = await reliability({ quick, progress: (r, n) => console.log(`  [${n}/${SCENARIOS}] ${r.fault} (${((Date.now() - t) / 1000).toFixed(0)} s)`) });
  console.log('');
  console.log(table(rows));
  console.log(`\n(npm run reliability${quick ? ' -- --quick' : ''}, ${((Date.now() - t) / 1000).toFixed(0)} s; fuzzing: npm run fuzz)`);
  process.exit(0);
}
