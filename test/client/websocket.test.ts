// MQTT over WebSocket (src/transport/websocket.ts, RFC 6455 and MQTT 3.1.1 section 6) under the real client,
// over a mock inner link whose server end is played by the `ws` package's own framing (test/helpers/ws-peer.ts).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Options } from '../../src/client/client';
import { sha1 as sha1Bytes } from '../../src/transport/sha1';
import { websocket } from '../../src/transport/websocket';
import { fakeClock } from '../helpers/clock';
import { mqttBytes, serverFrame, wsPeers, type WsPeer } from '../helpers/ws-peer';

const sha1 = (s: string) => createHash('sha1').update(s, 'latin1').digest('base64');
const CONNACK = { cmd: 'connack', returnCode: 0, sessionPresent: false };

function setup(opts: Partial<Options> = {}) {
  const clock = fakeClock();
  const peers = wsPeers();
  const client = createClient(
    { url: 'ws://broker.lan:8080/mqtt', clientId: 'ws', reconnect: { min: 1000, max: 8000, factor: 2, jitter: 0 }, ...opts, clock, transport: websocket(peers.transport, sha1) } as Options,
  );
  const events: { event: string; args: unknown[] }[] = [];
  for (const event of ['connect', 'message', 'close', 'error', 'reconnect']) client.on(event, (...args: unknown[]) => events.push({ event, args }));
  const of = (event: string) => events.filter((e) => e.event === event);
  const errors = () => of('error').map((e) => (e.args[0] as Error).message);
  // the socket opens and the upgrade is answered as a server would
  const upgrade = (): WsPeer => {
    clock.advance(0);
    const peer = peers.last();
    peer.open();
    peer.receive(peer.response());
    return peer;
  };
  const online = (): WsPeer => {
    const peer = upgrade();
    peer.receive(serverFrame(2, mqttBytes(CONNACK)));
    return peer;
  };
  return { client, clock, peers, events, of, errors, upgrade, online };
}

// Runs fn as the board build runs: BYTE_STRINGS set, E as given, and set() taking a byte string's bytes as the
// interpreter's does (V8's makes each character NaN, 0); everything restored after.
function onTheBoard(E: object, fn: () => void): void {
  const g = globalThis as Record<string, unknown>;
  const set = Uint8Array.prototype.set;
  g.BYTE_STRINGS = true;
  g.E = E;
  Uint8Array.prototype.set = function (this: Uint8Array, a: ArrayLike<number> | string, at = 0) {
    if (typeof a !== 'string') return set.call(this, a, at);
    for (let i = 0; i < a.length && at + i < this.length; i++) this[at + i] = a.charCodeAt(i);
  } as typeof set;
  try {
    fn();
  } finally {
    Uint8Array.prototype.set = set;
    delete g.BYTE_STRINGS;
    delete g.E;
  }
}

// E as the interpreter's, for the client's reader on the board
const BOARD_E = { toUint8Array: (x: string) => new Uint8Array(Buffer.from(x, 'latin1')), toString: (u: Uint8Array) => Buffer.from(u).toString('latin1') };

describe('the opening handshake (RFC 6455 4.1)', () => {
  it('asks to upgrade with a fresh key and the mqtt subprotocol [MQTT-6.0.0-4], then sends CONNECT in a frame', () => {
    const t = setup();
    t.clock.advance(0);
    const peer = t.peers.last();
    expect(peer.to).toMatchObject({ host: 'broker.lan', port: 8080, protocol: 'mqtt' });
    expect(peer.writes).toEqual([]); // nothing before the socket is open
    peer.open();
    const lines = peer.request.split('\r\n');
    expect(lines[0]).toBe('GET /mqtt HTTP/1.1');
    expect(lines).toContain('Host: broker.lan:8080');
    expect(lines).toContain('Upgrade: websocket');
    expect(lines).toContain('Connection: Upgrade');
    expect(lines).toContain('Sec-WebSocket-Version: 13');
    expect(lines).toContain('Sec-WebSocket-Protocol: mqtt');
    expect(Buffer.from(peer.key(), 'base64')).toHaveLength(16);
    expect(t.of('connect')).toHaveLength(0);
    expect(peer.packets).toEqual([]); // CONNECT waits for the upgrade
    peer.receive(peer.response());
    expect(peer.packets.map((p) => p.cmd)).toEqual(['connect']);
    expect(peer.frames.map((f) => f.kind)).toEqual(['binary']);
    expect(peer.errors).toEqual([]);
    peer.receive(serverFrame(2, mqttBytes(CONNACK)));
    expect(t.of('connect')).toHaveLength(1);
  });

  it('uses a new key on each connection, the path and port of the URL, and TLS underneath for wss://', () => {
    const t = setup({ url: 'wss://[::1]/broker/ws?x=1' });
    t.clock.advance(0);
    const first = t.peers.last();
    expect(first.to).toMatchObject({ host: '::1', port: 443, protocol: 'mqtts' });
    first.open();
    expect(first.request.split('\r\n')[0]).toBe('GET /broker/ws?x=1 HTTP/1.1');
    expect(first.request).toContain('\r\nHost: [::1]:443\r\n');
    first.close();
    t.clock.advance(1000);
    const second = t.peers.last();
    expect(second).not.toBe(first);
    second.open();
    expect(second.key()).not.toBe(first.key());
  });

  it('reads a response split anywhere, with frames in the same chunk as its end, as bytes or as byte strings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1200), { maxLength: 8 }), fc.integer({ min: 0, max: 700 }), fc.boolean(), (splits, size, asString) => {
        const t = setup({ rxBuffer: 1024 });
        t.clock.advance(0);
        const peer = t.peers.last();
        peer.open();
        const bytes = Buffer.concat([
          Buffer.from(peer.response({ Server: 'test', 'X-Extra': 'a'.repeat(100) }), 'latin1'),
          serverFrame(2, mqttBytes(CONNACK)),
          serverFrame(2, mqttBytes({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(size, 7), qos: 0 })),
        ]);
        // (a string over 512 bytes is read 512 at a time from where the response ends)
        peer.receive(bytes, splits, asString);
        expect(t.errors()).toEqual([]);
        expect(t.of('connect')).toHaveLength(1);
        expect(t.of('message').map((m) => [m.args[0], (m.args[1] as Uint8Array).length])).toEqual([['a/b', size]]);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts header names in any case and Connection with more than one token', () => {
    const t = setup();
    t.clock.advance(0);
    const peer = t.peers.last();
    peer.open();
    const accept = /Sec-WebSocket-Accept: ([^\r]*)/.exec(peer.response())![1];
    peer.receive(`HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nCONNECTION: keep-alive, Upgrade\r\nsec-websocket-accept:${accept}\r\nsec-websocket-protocol: mqtt\r\n\r\n`);
    expect(t.errors()).toEqual([]);
    expect(peer.packets.map((p) => p.cmd)).toEqual(['connect']);
  });

  // each refusal: a named error, the socket closed at once, a reconnect after the backoff
  const refusals: [string, (p: WsPeer) => string, RegExp][] = [
    ['a status other than 101', (p) => p.response({}, '404 Not Found'), /^socket error: ws: upgrade refused: HTTP\/1\.1 404 Not Found$/],
    ['a 200', (p) => p.response({}, '200 OK'), /upgrade refused: HTTP\/1\.1 200 OK/],
    ['no Upgrade header', (p) => p.response({ Upgrade: null }), /no "Upgrade: websocket"/],
    ['another Upgrade', (p) => p.response({ Upgrade: 'h2c' }), /no "Upgrade: websocket"/],
    ['no Connection header', (p) => p.response({ Connection: null }), /no "Connection: Upgrade"/],
    ['a wrong Sec-WebSocket-Accept', (p) => p.response({ 'Sec-WebSocket-Accept': Buffer.alloc(20).toString('base64') }), /wrong Sec-WebSocket-Accept/],
    ['no Sec-WebSocket-Accept', (p) => p.response({ 'Sec-WebSocket-Accept': null }), /wrong Sec-WebSocket-Accept/],
    ['no subprotocol', (p) => p.response({ 'Sec-WebSocket-Protocol': null }), /did not accept the "mqtt" subprotocol/],
    ['another subprotocol', (p) => p.response({ 'Sec-WebSocket-Protocol': 'mqttv3.1' }), /did not accept the "mqtt" subprotocol/],
    ['an extension not asked for', (p) => p.response({ 'Sec-WebSocket-Extensions': 'permessage-deflate' }), /extension not asked for/],
    ['a head with no end', () => 'HTTP/1.1 101 OK\r\n' + 'X: y\r\n'.repeat(400), /upgrade response too long/],
  ];
  for (const [what, response, message] of refusals) {
    it(`refuses ${what}`, () => {
      const t = setup();
      t.clock.advance(0);
      const peer = t.peers.last();
      peer.open();
      peer.receive(response(peer));
      expect(t.errors()).toHaveLength(1);
      expect(t.errors()[0]).toMatch(message);
      expect(peer.ended && peer.forced).toBe(true);
      expect(peer.packets).toEqual([]); // no CONNECT was sent
      expect(t.of('connect')).toHaveLength(0);
      t.clock.advance(999);
      expect(t.peers.links).toHaveLength(1);
      t.clock.advance(1);
      expect(t.peers.links).toHaveLength(2); // the backoff's first wait
    });
  }

  it('says when the connection closed before the upgrade was answered', () => {
    const t = setup();
    t.clock.advance(0);
    t.peers.last().open();
    t.peers.last().close();
    expect(t.errors()).toEqual(['socket error: ws: closed during the upgrade']);
  });
});

describe('frames', () => {
  it('sends every write as one masked binary frame with a fresh key (RFC 6455 5.1, 5.3) [MQTT-6.0.0-1]', () => {
    const t = setup({ txBuffer: 65535, outboxBytes: 65535 });
    const peer = t.online();
    const sizes = [0, 1, 3, 100, 200, 5000, 65000];
    for (const n of sizes) t.client.publish('t', Buffer.alloc(n, n & 255), { qos: 0 });
    peer.drain();
    const publishes = peer.packets.filter((p) => p.cmd === 'publish') as { payload: Buffer }[];
    expect(publishes.map((p) => p.payload.length)).toEqual(sizes);
    publishes.forEach((p, i) => expect(p.payload.equals(Buffer.alloc(sizes[i], sizes[i] & 255))).toBe(true));
    expect(peer.errors).toEqual([]); // ws's Receiver refuses an unmasked client frame
    const frames = peer.writes.slice(1); // after the request
    expect(frames.every((f) => f[0] === 0x82 && (f[1] & 0x80) === 0x80)).toBe(true); // FIN, binary, MASK
    const keys = new Set(frames.map((f) => f.subarray((f[1] & 127) === 126 ? 4 : 2, (f[1] & 127) === 126 ? 8 : 6).toString('hex')));
    expect(keys.size).toBe(frames.length);
  }, 30000);

  it('delivers whatever the server frames, split into chunks anywhere, as bytes or as byte strings, and as the board reads them', () => {
    const publish = (topic: string, n: number) => ({ cmd: 'publish', topic, payload: Buffer.alloc(n, 7), qos: 0 });
    const E = { toUint8Array: (x: string) => new Uint8Array(Buffer.from(x, 'latin1')), toString: (u: Uint8Array) => Buffer.from(u).toString('latin1') };
    fc.assert(
      fc.property(
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 700 }), frags: fc.integer({ min: 1, max: 3 }), ping: fc.boolean() }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(3000), { maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (messages, splits, together, asString, board) => {
          const t = setup({ rxBuffer: 1024 });
          const peer = t.online();
          // the packets as one stream, cut into frames at arbitrary places, fragmented messages among them,
          // pings (answered with their payload) between fragments
          const stream = mqttBytes(...messages.map((m, i) => publish('t/' + i, m.n)));
          const parts: Buffer[] = [];
          const pings: string[] = [];
          let at = 0;
          messages.forEach((m, i) => {
            const end = i === messages.length - 1 ? stream.length : Math.min(stream.length, at + 1 + ((m.n * 7) % 400));
            const body = stream.subarray(at, end);
            at = end;
            const step = Math.ceil(body.length / m.frags) || 1;
            for (let k = 0, first = true; first || k < body.length; k += step, first = false) {
              const last = k + step >= body.length;
              parts.push(serverFrame(first ? 2 : 0, body.subarray(k, k + step), { fin: last }));
              if (m.ping && !last) {
                parts.push(serverFrame(9, 'p' + i));
                pings.push('p' + i);
              }
            }
          });
          const bytes = Buffer.concat(parts);
          // board: the board build's paths, byte strings as its socket gives them
          const deliver = () => {
            if (together) peer.receive(bytes, splits, asString || board);
            else parts.forEach((p) => peer.receive(p, [], asString || board));
          };
          if (board) onTheBoard(E, deliver);
          else deliver();
          expect(t.errors()).toEqual([]);
          expect(t.of('message').map((m) => [m.args[0], (m.args[1] as Uint8Array).length])).toEqual(messages.map((m, i) => ['t/' + i, m.n]));
          expect(peer.frames.filter((f) => f.kind === 'pong').map((f) => f.data.toString())).toEqual(pings);
          expect(peer.errors).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('takes 16- and 64-bit lengths from the server', () => {
    const t = setup({ rxBuffer: 65535 });
    const peer = t.online();
    const two = mqttBytes(...[40000, 30000].map((n) => ({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(n, 1), qos: 0 })));
    const frame = serverFrame(2, two);
    expect(frame[1]).toBe(127);
    peer.receive(frame, [1, 5, 9, 10, 11, 3000, 40005]);
    peer.receive(serverFrame(2, mqttBytes({ cmd: 'publish', topic: 'mid', payload: Buffer.alloc(300, 1), qos: 0 })), [2, 3]);
    expect(t.of('message').map((m) => (m.args[1] as Uint8Array).length)).toEqual([40000, 30000, 300]);
    expect(t.errors()).toEqual([]);
  });

  it('on the board passes on pieces of the byte string, never a copy of the chunk: with no run of free blocks to copy it into, nothing fails', () => {
    const t = setup();
    const peer = t.online();
    // E.toUint8Array gives undefined when no run of free blocks is long enough for the copy (with a copy of
    // every chunk the 12-byte ESP8266 build ran out of memory, some 500 blocks free)
    const E = { toUint8Array: () => undefined, toString: (u: Uint8Array) => Buffer.from(u).toString('latin1') };
    onTheBoard(E, () => {
      // whole packets in each frame, the usual case, frames and a ping in one chunk and in two (a packet cut by
      // a chunk or a frame is read by the reader's general path, which copies it)
      const pub = (x: string) => ({ cmd: 'publish', topic: 't/' + x, payload: Buffer.from(x + x), qos: 0 });
      const first = serverFrame(2, mqttBytes(pub('a'), pub('b')));
      peer.receive(Buffer.concat([first, serverFrame(9, 'hi'), serverFrame(2, mqttBytes(pub('c')))]), [], true);
      peer.receive(Buffer.concat([first, serverFrame(9, 'ho'), serverFrame(2, mqttBytes(pub('c')))]), [first.length], true);
    });
    expect(t.errors()).toEqual([]);
    expect(t.of('message').map((m) => [m.args[0], String(m.args[1])])).toEqual([['t/a', 'aa'], ['t/b', 'bb'], ['t/c', 'cc'], ['t/a', 'aa'], ['t/b', 'bb'], ['t/c', 'cc']]);
    expect(peer.frames.filter((f) => f.kind === 'pong').map((f) => f.data.toString())).toEqual(['hi', 'ho']);
  });

  it('on the board, a piece it has no memory to cut fails the connection by name (never passed on as undefined, the end of the stream)', () => {
    const t = setup();
    const peer = t.online();
    const g = globalThis as Record<string, unknown>;
    const substr = String.prototype.substr;
    g.BYTE_STRINGS = true;
    // (Espruino's substr gives undefined when it cannot allocate the new string)
    String.prototype.substr = function () {
      return undefined;
    } as unknown as typeof substr;
    try {
      peer.receive(serverFrame(2, mqttBytes({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0 })), [], true);
    } finally {
      String.prototype.substr = substr;
      delete g.BYTE_STRINGS;
    }
    expect(t.errors()).toEqual(['socket error: ws: out of memory']);
    expect(t.of('message')).toEqual([]);
    expect(t.client.connected).toBe(false);
  });

  it('answers a ping with a pong of the same payload, and ignores a pong (RFC 6455 5.5.2, 5.5.3)', () => {
    const t = setup();
    const peer = t.online();
    peer.receive(Buffer.concat([serverFrame(9, 'x'.repeat(125)), serverFrame(10, 'ignored'), serverFrame(9, '')]), [3, 60, 129]);
    expect(peer.frames.filter((f) => f.kind !== 'binary').map((f) => [f.kind, f.data.toString()])).toEqual([
      ['pong', 'x'.repeat(125)],
      ['pong', ''],
    ]);
    expect(peer.errors).toEqual([]);
    expect(t.errors()).toEqual([]);
  });

  // what no server may send: a named error, the connection closed at once, reconnection by the backoff
  const bad: [string, () => Buffer, RegExp][] = [
    ['a masked frame', () => serverFrame(2, mqttBytes({ cmd: 'pingresp' }), { mask: true }), /ws: masked frame from the server/],
    ['a text frame', () => serverFrame(1, 'hello'), /ws: text frame/],
    ['reserved bits', () => serverFrame(2, mqttBytes({ cmd: 'pingresp' }), { rsv1: true }), /ws: reserved bits set/],
    ['a continuation of nothing', () => serverFrame(0, 'x'), /ws: continuation of nothing/],
    ['a new message inside a fragmented one', () => Buffer.concat([serverFrame(2, Buffer.from([0xd0]), { fin: false }), serverFrame(2, Buffer.from([0]))]), /ws: new message inside a fragmented one/],
    ['a fragmented control frame', () => serverFrame(9, 'x', { fin: false }), /ws: fragmented or long control frame/],
    ['a control frame over 125 bytes', () => Buffer.from([0x89, 126, 0, 126, ...Buffer.alloc(126)]), /ws: fragmented or long control frame/],
    ['a 64-bit length past 2^53', () => Buffer.from([0x82, 127, 0, 0x20, 0, 0, 0, 0, 0, 1]), /ws: frame too long/],
    ['a 64-bit length with its top bit set', () => Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]), /ws: frame too long/],
  ];
  for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) bad.push([`opcode ${op}`, () => Buffer.from([0x80 | op, 0]), new RegExp(`ws: reserved opcode ${op}$`)]);
  // (on the board too, byte strings as its socket gives them: the usual frame's one-step way in piece() must
  // leave each of these to the checks)
  for (const [what, bytes, message] of bad) for (const board of [false, true]) {
    it(`fails the connection on ${what}${board ? ', on the board' : ''}`, () => {
      const t = setup();
      const peer = t.online();
      const chunk = Buffer.concat([bytes(), serverFrame(2, mqttBytes({ cmd: 'publish', topic: 'late', payload: Buffer.from('x'), qos: 0 }))]);
      if (board) onTheBoard(BOARD_E, () => peer.receive(chunk, [], true));
      else peer.receive(chunk);
      expect(t.errors()).toHaveLength(1);
      expect(t.errors()[0]).toMatch(message);
      expect(peer.ended && peer.forced).toBe(true);
      expect(t.of('message')).toHaveLength(0); // nothing after the bad frame is read
      expect(t.of('close')).toHaveLength(1);
      t.clock.advance(1000);
      expect(t.peers.links).toHaveLength(2);
      t.online();
      expect(t.of('connect')).toHaveLength(2);
    });
  }
});

describe('closing', () => {
  it('end(): DISCONNECT, then a close frame with 1000, then the socket ends once sent (RFC 6455 5.5.1)', () => {
    const t = setup();
    const peer = t.online();
    t.client.end();
    peer.drain();
    expect(peer.packets.map((p) => p.cmd)).toEqual(['connect', 'disconnect']);
    expect(peer.frames.map((f) => f.kind)).toEqual(['binary', 'binary', 'close']);
    expect(peer.frames[2].code).toBe(1000);
    expect(peer.ended).toBe(true);
    expect(peer.forced).toBe(false);
    peer.close();
    expect(t.of('close')).toHaveLength(1);
    expect(t.errors()).toEqual([]);
  });

  it('answers a server close with a close of the same code; 1000 and 1001 are no error', () => {
    for (const code of [1000, 1001]) {
      const t = setup();
      const peer = t.online();
      peer.receive(serverFrame(8, Buffer.from([code >> 8, code & 255])));
      expect(peer.frames.map((f) => [f.kind, f.code])).toEqual([['binary', undefined], ['close', code]]);
      expect(peer.ended).toBe(true);
      peer.close();
      expect(t.errors()).toEqual([]);
      expect(t.of('close')).toHaveLength(1);
      t.clock.advance(1000);
      expect(t.peers.links).toHaveLength(2);
    }
  });

  it('reports any other close code with its reason, and a close with no code as a plain close', () => {
    const t = setup();
    const peer = t.online();
    peer.receive(serverFrame(8, Buffer.concat([Buffer.from([1008 >> 8, 1008 & 255]), Buffer.from('not authorized')])), [1, 3]);
    expect(peer.frames.map((f) => f.code).filter(Boolean)).toEqual([1008]);
    peer.close();
    expect(t.errors()).toEqual(['socket error: ws: closed by the server: 1008 not authorized']);
    t.clock.advance(1000);
    const next = t.online();
    next.receive(serverFrame(8, ''));
    expect(next.frames.map((f) => [f.kind, f.code])).toEqual([['binary', undefined], ['close', 1005]]); // ws reports "no code" as 1005
    next.close();
    expect(t.errors()).toHaveLength(1);
  });

  it('end(true) does not wait for the outbox: DISCONNECT and the close frame go at once', () => {
    const t = setup();
    const peer = t.online();
    t.client.publish('t', 'x', { qos: 1 }); // never acknowledged
    t.client.end(true);
    expect(peer.packets.map((p) => p.cmd)).toEqual(['connect', 'publish', 'disconnect']);
    expect(peer.frames.map((f) => f.kind)).toEqual(['binary', 'binary', 'binary', 'close']);
    expect(peer.ended).toBe(true);
  });

  it('a lost connection (no CONNACK in time) is closed at once, with no close frame', () => {
    const t = setup({ connectTimeout: 5000 });
    const peer = t.upgrade();
    t.clock.advance(5000);
    expect(t.errors()).toEqual(['no CONNACK in time']);
    expect(peer.forced).toBe(true);
    expect(peer.frames.map((f) => f.kind)).toEqual(['binary']);
  });

  it('answers a close received after its own with nothing, and sends nothing once ended', () => {
    const t = setup();
    const peer = t.online();
    t.client.end();
    peer.drain();
    expect(peer.frames.map((f) => f.kind)).toEqual(['binary', 'binary', 'close']);
    peer.receive(Buffer.concat([serverFrame(8, Buffer.from([3, 232])), serverFrame(9, 'late ping')]));
    expect(peer.frames.map((f) => f.kind)).toEqual(['binary', 'binary', 'close']); // no second close, no pong
    expect(peer.late).toEqual([]);
    expect(t.errors()).toEqual([]);
  });

  it('a close frame that is not one (RFC 6455 5.5.1, 7.4) fails the connection', () => {
    for (const body of [[3], [0, 999], [3, 236], [3, 237], [3, 238], [3, 247], [7, 208], [19, 136]]) {
      // 1-byte body; codes 999, 1004, 1005, 1006, 1015, 2000, 5000
      const t = setup();
      const peer = t.online();
      peer.receive(serverFrame(8, Buffer.from(body)));
      expect(t.errors(), String(body)).toEqual(['socket error: ws: bad close frame']);
      expect(peer.forced).toBe(true);
      expect(peer.frames.map((f) => f.kind)).toEqual(['binary']); // nothing echoed
    }
  });
});

describe('beside TCP', () => {
  it('hands mqtt:// and mqtts:// servers to the inner transport untouched', () => {
    const t = setup({ url: undefined, servers: [{ url: 'mqtt://a:1' }, { url: 'mqtts://c:3' }, { url: 'ws://b:2/x' }], ca: 'CA', cert: 'C', key: 'K' });
    for (const [i, protocol] of [[0, 'mqtt'], [1, 'mqtts']] as const) {
      t.clock.advance(2000);
      const tcp = t.peers.links[i];
      expect(tcp.to).toEqual({ host: protocol === 'mqtt' ? 'a' : 'c', port: i ? 3 : 1, protocol, ca: 'CA', cert: 'C', key: 'K' });
      tcp.open();
      expect(tcp.writes).toHaveLength(1);
      expect(tcp.writes[0][0]).toBe(0x10); // CONNECT itself, no HTTP
      tcp.close();
    }
    t.clock.advance(4000);
    // a wss:// one: TLS underneath, with the same certificates
    expect(t.peers.links[2].to).toEqual({ host: 'b', port: 2, protocol: 'mqtt', path: '/x', ca: 'CA', cert: 'C', key: 'K' });
  });

  it('passes drain on, so that the client writes at the pace of the socket', () => {
    const t = setup({ txBuffer: 64 });
    t.clock.advance(0);
    const peer = t.peers.last();
    peer.open();
    peer.receive(peer.response());
    peer.receive(serverFrame(2, mqttBytes(CONNACK)));
    for (let i = 0; i < 5; i++) t.client.publish('t', 'x'.repeat(40));
    const before = peer.packets.length;
    peer.drain();
    expect(peer.packets.length).toBeGreaterThan(before);
  });
});

describe("with Espruino 2v29's String indexOf, which also reports a match running off the end of the string", () => {
  const real = String.prototype.indexOf;
  beforeAll(() => {
    String.prototype.indexOf = function (this: string, sought: string, from?: number) {
      const at = real.call(this, sought, from);
      if (at >= 0 || sought.length < 2) return at;
      for (let i = Math.max(from || 0, this.length - sought.length + 1, 0); i < this.length; i++) if (sought.startsWith(this.substring(i))) return i;
      return -1;
    };
    expect('abcd'.indexOf('cdX')).toBe(2); // as measured on the interpreter
  });
  afterAll(() => {
    String.prototype.indexOf = real;
  });

  it('waits for the whole head however it is split, finds no header that is absent, and refuses a Connection without upgrade', () => {
    const length = (() => {
      const t = setup();
      t.clock.advance(0);
      t.peers.last().open();
      return t.peers.last().response().length;
    })();
    for (let cut = 1; cut < length; cut++) {
      const t = setup();
      t.clock.advance(0);
      const peer = t.peers.last();
      peer.open();
      peer.receive(peer.response(), [cut]);
      expect(t.errors(), `cut at ${cut}`).toEqual([]);
      expect(peer.packets.map((p) => p.cmd)).toEqual(['connect']);
    }
    const t = setup();
    t.clock.advance(0);
    const peer = t.peers.last();
    peer.open();
    peer.receive(peer.response({ Connection: 'keep-alive, upgrad' }));
    expect(t.errors()).toEqual(['socket error: ws: no "Connection: Upgrade" in the response']);
  });
});

describe('SHA-1 of our own (src/transport/sha1.ts), for interpreters without the crypto module', () => {
  it("agrees with Node's crypto on any byte string, across the padding boundaries", () => {
    const latin1 = (bytes: number[]) => String.fromCharCode(...bytes);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }), (bytes) => {
        const s = latin1(bytes);
        expect(Buffer.from(sha1Bytes(s), 'latin1').toString('base64')).toBe(sha1(s));
      }),
      { numRuns: 500 },
    );
    for (let n = 50; n < 140; n++) expect(Buffer.from(sha1Bytes('k'.repeat(n)), 'latin1').toString('base64')).toBe(sha1('k'.repeat(n)));
    // RFC 6455 1.3's own example
    expect(Buffer.from(sha1Bytes('dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11'), 'latin1').toString('base64')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('the link alone, under a listener that ends it', () => {
  // the WebSocket layer without the client, whose own checks would hide a delivery after end()
  function link() {
    const peers = wsPeers();
    const seen: string[] = [];
    const got: Buffer[] = [];
    let l: ReturnType<ReturnType<typeof websocket>>;
    const on = {
      notify(event: number, arg?: Uint8Array | string | { message?: string }) {
        seen.push(event === 1 ? `data ${(arg as Uint8Array).length}` : ['connect', '', 'drain', 'close'][event] + (event === 3 && arg ? ' ' + (arg as { message: string }).message : ''));
        if (event === 1) got.push(typeof arg === 'string' ? Buffer.from(arg, 'latin1') : Buffer.from(arg as Uint8Array));
        if (event === 1 && end) l.end(force);
      },
    };
    let end = false;
    let force = false;
    l = websocket(peers.transport, sha1)({ host: 'h', port: 1, protocol: 'ws', path: '/mqtt' }, on);
    const peer = peers.last();
    return { peer, seen, got, l, endOnData: (f: boolean) => ((end = true), (force = f)) };
  }
  // the board build's paths (chunks are then given as byte strings)
  const onBoard = (fn: () => void) => onTheBoard(BOARD_E, fn);

  it('delivers nothing more of a chunk once ended from a DATA listener, gracefully or forced (on the board too)', () => {
    for (const [force, board] of [[false, false], [true, false], [false, true], [true, true]]) {
      const k = link();
      k.peer.open();
      k.peer.receive(k.peer.response());
      k.endOnData(force);
      const chunk = Buffer.concat([serverFrame(2, 'ab'), serverFrame(2, 'cd'), serverFrame(9, 'x')]);
      if (board) onBoard(() => k.peer.receive(chunk, [], true));
      else k.peer.receive(chunk);
      expect(k.seen).toEqual(['connect', 'data 2']);
      expect(k.peer.ended).toBe(true);
      expect(k.peer.forced).toBe(force);
      expect(k.peer.frames.map((f) => f.kind)).toEqual(force ? [] : ['close']); // no pong after the end
    }
  });

  it('on the board, passes a long payload on as byte strings of at most 512 bytes, as the reader takes them', () => {
    const k = link();
    k.peer.open();
    k.peer.receive(k.peer.response());
    const g = globalThis as Record<string, unknown>;
    g.BYTE_STRINGS = true;
    try {
      const body = Buffer.alloc(1300, 'x');
      // one chunk, as a busy board reads a burst: a 1300-byte frame, then a short one
      k.peer.receive(Buffer.concat([serverFrame(2, body), serverFrame(2, 'ab')]), [], true);
    } finally {
      delete g.BYTE_STRINGS;
    }
    expect(k.seen).toEqual(['connect', 'data 512', 'data 512', 'data 276', 'data 2']);
  });

  it('ended before the upgrade was answered: no request, or nothing read of the answer, and no graceful close', () => {
    const before = link();
    before.l.end();
    before.peer.open();
    expect(before.peer.writes).toEqual([]);
    expect(before.peer.late).toEqual([]);
    expect(before.peer.forced).toBe(true);
    const during = link();
    during.peer.open();
    during.l.end();
    during.peer.receive(during.peer.response() + serverFrame(2, 'ab').toString('latin1'));
    expect(during.seen).toEqual([]);
    expect(during.peer.forced).toBe(true);
    expect(during.peer.late).toEqual([]);
  });

  it('frames writes at the length boundaries (125, 126, 65535) as ws reads them, a write past 65524 bytes in two frames', () => {
    const k = link();
    k.peer.open();
    k.peer.receive(k.peer.response());
    const sizes = [0, 1, 3, 4, 5, 124, 125, 126, 127, 65524, 65525, 65535, 7];
    const data = new Uint8Array(65535).map((_, i) => (i * 7) & 255);
    for (const n of sizes) k.l.write(data, 0, n);
    const frames = k.peer.frames.map((f) => f.data);
    expect(frames.map((f) => f.length)).toEqual(sizes.flatMap((n) => (n > 65524 ? [65524, n - 65524] : [n])));
    expect(Buffer.concat(frames).equals(Buffer.concat(sizes.map((n) => Buffer.from(data.subarray(0, n)))))).toBe(true);
    expect(k.peer.errors).toEqual([]);
    expect(k.peer.writes.length - 1).toBe(frames.length); // one inner write a frame, after the request
  });

  it('reports only its own reason once a close frame came, however the connection then ends', () => {
    const k = link();
    k.peer.open();
    k.peer.receive(k.peer.response());
    k.peer.receive(serverFrame(8, Buffer.from([3, 232])));
    k.peer.close({ message: 'ECONNRESET' });
    expect(k.seen).toEqual(['connect', 'close']);
    const ended = link();
    ended.peer.open();
    ended.l.end(); // before the upgrade was answered: closed at once, and told once
    ended.peer.close();
    expect(ended.seen).toEqual(['close']);
  });

  it('delivers nothing after a close frame, in the same chunk (on the board too)', () => {
    for (const board of [false, true]) {
      const k = link();
      k.peer.open();
      k.peer.receive(k.peer.response());
      const chunk = Buffer.concat([serverFrame(2, 'ab'), serverFrame(8, Buffer.from([3, 232])), serverFrame(2, 'cd')]);
      if (board) onBoard(() => k.peer.receive(chunk, [], true));
      else k.peer.receive(chunk);
      expect(k.seen).toEqual(['connect', 'data 2']);
      expect(k.peer.frames.map((f) => [f.kind, f.code])).toEqual([['close', 1000]]);
      expect(k.peer.ended).toBe(true);
    }
  });

  it('on the board, takes the usual frame whole in one step, and leaves to the frame reader a header or a payload cut by a chunk, an empty frame and a longer one', () => {
    // a payload whose bytes look like the usual frame's header (0x82, then a length under 126), then an empty
    // frame, a short one, one with a 16-bit length and another short one; cut by chunks at each place named
    const looks = Buffer.from([0x30, 0x82, 0x01, 0x82, 0x05, 1, 2, 3]);
    const payloads = [looks, Buffer.alloc(0), Buffer.from('ab'), Buffer.alloc(200, 9), Buffer.from('cd')];
    const stream = Buffer.concat(payloads.map((p) => serverFrame(2, p)));
    const cuts: [string, number[]][] = [
      ['none', []],
      ['between a header\'s two bytes', [1]],
      ['in a payload, just before bytes that look like a header', [3]],
      ['there, and before the next such bytes', [3, 5]],
      ['in the middle of the short frame', [13]],
      ['in the longer frame\'s header and payload', [16, 17, 100]],
      ['at every byte', Array.from({ length: stream.length - 1 }, (_, i) => i + 1)],
    ];
    // and each place alone (a frame whose last byte is in the next chunk, its header in this one)
    for (let c = 1; c < stream.length; c++) cuts.push([`at ${c} alone`, [c]]);
    for (const [, at] of cuts) {
      const k = link();
      k.peer.open();
      k.peer.receive(k.peer.response());
      onBoard(() => k.peer.receive(stream, at, true));
      expect(k.seen.filter((e) => !e.startsWith('data'))).toEqual(['connect']);
      expect(Buffer.concat(k.got).equals(Buffer.concat(payloads))).toBe(true);
      expect(k.peer.errors).toEqual([]);
    }
    // whole, each usual frame in one piece; the empty one none
    const k = link();
    k.peer.open();
    k.peer.receive(k.peer.response());
    onBoard(() => k.peer.receive(stream, [], true));
    expect(k.seen).toEqual(['connect', 'data 8', 'data 2', 'data 200', 'data 2']);
  });
});

describe('over WebSocket as over TCP', () => {
  it('acknowledges an oversized PUBLISH and reports it as drop, and reads on', () => {
    const t = setup({ rxBuffer: 64 });
    const drops: unknown[] = [];
    t.client.on('drop', (d: unknown) => drops.push(d));
    const peer = t.online();
    const big = mqttBytes({ cmd: 'publish', topic: 'big', payload: Buffer.alloc(500, 1), qos: 1, messageId: 7 });
    const small = mqttBytes({ cmd: 'publish', topic: 'small', payload: Buffer.from('ok'), qos: 0 });
    peer.receive(Buffer.concat([serverFrame(2, big.subarray(0, 300), { fin: false }), serverFrame(0, big.subarray(300)), serverFrame(2, small)]), [100, 400]);
    expect(drops).toEqual([expect.objectContaining({ topic: 'big', size: big.length - 3 })]);
    expect(peer.packets.filter((p) => p.cmd === 'puback').map((p) => p.messageId)).toEqual([7]);
    expect(t.of('message').map((m) => m.args[0])).toEqual(['small']);
    expect(t.errors()).toEqual([]);
  });
});

describe('random bytes from a server', () => {
  it('never throw out of the socket callback: each either reads or fails the connection by name, then reconnects', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(...[0x82, 0x80, 0x02, 0x89, 0x88, 0x8a, 0x00].map((b) => new Uint8Array([b])))), { maxLength: 30 }),
        (pieces) => {
          const t = setup();
          const peer = t.online();
          for (const p of pieces) expect(() => peer.receive(p)).not.toThrow();
          // each a named error: a code and its reason (the WebSocket layer's under code 28, socket error), never
          // an exception of its own caught on the way ("ws: TypeError: ...")
          for (const e of t.of('error')) {
            expect(e.args[0]).toMatchObject({ code: expect.any(Number), message: expect.stringMatching(/^[a-zA-Z]/) });
            expect((e.args[0] as Error).message).not.toMatch(/Error/);
          }
          expect(peer.late).toEqual([]);
          t.clock.advance(1000); // the backoff's first wait
          expect(t.peers.links.length).toBe(t.errors().length ? 2 : 1);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
