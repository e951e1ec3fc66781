// Connecting: CONNECT first, CONNACK in time, refusals with their names, backoff.
import { describe, expect, it } from 'vitest';
import { ClientErr } from '../../src/client/errors';
import { createClient, type Options } from '../../src/client/client';
import { Err } from '../../src/codec/constants';
import { fakeClock } from '../helpers/clock';
import { mockTransport } from '../helpers/mock-transport';
import { setup } from './setup';

describe('connecting', () => {
  it('sends CONNECT as the first packet, with the options given [MQTT-3.1.0-1]', () => {
    const t = setup({ keepalive: 30, clean: false, username: 'u', password: 'p', will: { topic: 'n/status', payload: 'gone', qos: 1, retain: true } });
    t.clock.advance(0);
    const link = t.mock.last();
    expect(link.sent).toEqual([]);
    link.open();
    expect(link.sent.length).toBe(1);
    expect(link.sent[0]).toMatchObject({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'test',
      keepalive: 30,
      clean: false,
      username: 'u',
      will: { topic: 'n/status', qos: 1, retain: true },
    });
    expect(String((link.sent[0] as { password: Buffer }).password)).toBe('p');
    expect(String((link.sent[0] as { will: { payload: Buffer } }).will.payload)).toBe('gone');
  });

  it('does not open a socket before the caller can add listeners', () => {
    const t = setup();
    expect(t.mock.links.length).toBe(0);
    t.clock.advance(0);
    expect(t.mock.links.length).toBe(1);
  });

  it('emits connect with sessionPresent once CONNACK accepts', () => {
    const t = setup({ clean: false });
    t.online(true);
    expect(t.of('connect').map((e) => e.args[0])).toEqual([true]);
    expect(t.client.connected).toBe(true);
  });

  it('gives up on a CONNACK that does not come within connectTimeout, then reconnects', () => {
    const t = setup({ connectTimeout: 5000 });
    t.clock.advance(0);
    t.mock.last().open();
    t.clock.advance(4999);
    expect(t.errors()).toEqual([]);
    t.clock.advance(1);
    expect(t.errors()).toEqual([ClientErr.CONNECT_TIMEOUT]);
    expect(t.mock.last().ended).toBe(true);
    t.clock.advance(1000);
    expect(t.mock.links.length).toBe(2);
    expect(t.of('reconnect').length).toBe(1);
  });

  it('also times out a socket that never connects', () => {
    const t = setup({ connectTimeout: 3000 });
    t.clock.advance(3000);
    expect(t.errors()).toEqual([ClientErr.CONNECT_TIMEOUT]);
  });

  it.each([
    [1, 'unacceptable protocol version'],
    [2, 'identifier rejected'],
    [3, 'server unavailable'],
    [4, 'bad user name or password'],
    [5, 'not authorized'],
  ])('turns CONNACK return code %i into an error named "%s"', (code, name) => {
    const t = setup();
    t.clock.advance(0);
    t.mock.last().connack(code);
    const err = t.of('error')[0].args[0] as { code: number; message: string };
    expect(err.code).toBe(ClientErr.REFUSED + code);
    expect(err.message).toContain(name);
    expect(t.client.connected).toBe(false);
    expect(t.of('connect')).toEqual([]);
    expect(t.mock.last().ended).toBe(true);
  });

  it('backs off exponentially between failed attempts, up to the maximum', () => {
    const delays: number[] = [];
    const u = setup({ reconnect: { min: 1000, max: 8000, factor: 2, jitter: 0 } });
    u.clock.advance(0);
    let last = u.clock.now();
    u.client.on('reconnect', () => {
      delays.push(u.clock.now() - last);
    });
    for (let i = 0; i < 6; i++) {
      last = u.clock.now();
      u.mock.last().close({ message: 'ECONNREFUSED' });
      while (u.mock.links.length < i + 2) u.clock.advance(100);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('waits the maximum after bad credentials or not authorized, never a reconnect storm', () => {
    for (const code of [4, 5]) {
      const t = setup({ reconnect: { min: 1000, max: 30000, factor: 2, jitter: 0 } });
      t.clock.advance(0);
      for (let s = 0; s < 60; s++) {
        const link = t.mock.last();
        if (!link.ended) link.connack(code);
        t.clock.advance(1000);
      }
      // 60 s of refusals: the first attempt, then one each 30 s (at 30 s and 60 s)
      expect(t.mock.links.length).toBe(3);
      expect(t.errors().every((c) => c === ClientErr.REFUSED + code)).toBe(true);
    }
  });

  it('resets the backoff only after a connection that lasted one keep-alive period', () => {
    const t = setup({ keepalive: 10 });
    t.clock.advance(0);
    t.mock.last().close({ message: 'refused' });
    t.clock.advance(1000);
    t.mock.last().close({ message: 'refused' });
    t.clock.advance(2000);
    t.mock.last().connack();
    t.clock.advance(9999); // up, but not for a whole keep-alive period
    t.mock.last().close();
    let before = t.mock.links.length;
    t.clock.advance(3999);
    expect(t.mock.links.length).toBe(before); // the backoff went on growing: 1 s, 2 s, now 4 s
    t.clock.advance(1);
    expect(t.mock.links.length).toBe(before + 1);
    t.mock.last().connack();
    t.clock.advance(10000); // up for a whole period
    t.mock.last().close();
    before = t.mock.links.length;
    t.clock.advance(999);
    expect(t.mock.links.length).toBe(before);
    t.clock.advance(1);
    expect(t.mock.links.length).toBe(before + 1);
  });

  it('meets a broker that accepts and then drops the client at once with a growing wait, not a storm', () => {
    const t = setup({ reconnect: { min: 1000, max: 8000, factor: 2, jitter: 0 } });
    t.clock.advance(0);
    const at: number[] = [];
    for (let i = 0; i < 5; i++) {
      t.mock.last().connack();
      at.push(t.clock.now());
      t.mock.last().close(); // a duplicate client id, an ACL kick
      while (t.mock.links.length < i + 2) t.clock.advance(100);
    }
    expect(at.slice(1).map((x, i) => x - at[i])).toEqual([1000, 2000, 4000, 8000]);
  });

  it('applies jitter within its bound', () => {
    const t = setup({ reconnect: { min: 1000, max: 1000, factor: 2, jitter: 0.5 } });
    t.clock.advance(0);
    for (let i = 0; i < 20; i++) {
      t.mock.last().close({ message: 'x' });
      const n = t.mock.links.length;
      t.clock.advance(499);
      expect(t.mock.links.length).toBe(n);
      t.clock.advance(501);
      expect(t.mock.links.length).toBe(n + 1);
    }
  });

  it('without those options: a 30 s connect timeout, backoff from 1 s doubling up to 60 s with jitter 0.5, and no field kept for them', () => {
    const t = setup({ reconnect: undefined });
    // (on the board each field is a block for good: state.ts Default)
    const fields = Object.keys(t.client);
    for (const f of ['_connectTimeout', '_rmin', '_rmax', '_rfactor', '_jitter', '_maxRequests', '_q2size']) expect(fields).not.toContain(f);
    t.clock.advance(0);
    t.mock.last().open();
    t.clock.advance(29999);
    expect(t.errors()).toEqual([]);
    t.clock.advance(1); // the connect timeout
    expect(t.errors()).toEqual([ClientErr.CONNECT_TIMEOUT]);
    // the n-th wait: 1 s * 2^(n-1), at most 60 s, less up to half of it
    for (const full of [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]) {
      const n = t.mock.links.length;
      t.clock.advance(full / 2 - 1);
      expect(t.mock.links.length).toBe(n);
      t.clock.advance(full / 2 + 1);
      expect(t.mock.links.length).toBe(n + 1);
      t.mock.last().close({ message: 'x' });
    }
  });

  it('tries the failover servers in turn', () => {
    const t = setup({ servers: [{ host: 'a', port: 1 }, { host: 'b', port: 2, protocol: 'mqtts' }] });
    t.clock.advance(0);
    t.mock.last().close({ message: 'x' });
    t.clock.advance(1000);
    t.mock.last().close({ message: 'x' });
    t.clock.advance(2000);
    expect(t.mock.links.map((l) => `${l.to.protocol}://${l.to.host}:${l.to.port}`)).toEqual(['mqtt://a:1', 'mqtts://b:2', 'mqtt://a:1']);
  });

  it('fails over in rounds: the next server at once while one is untried, the backoff between rounds, the same server first after a loss', () => {
    // a cluster of three: a member lost costs a refused connection, not a backoff (npm run fleet)
    const t = setup({ servers: [{ host: 'a' }, { host: 'b' }, { host: 'c' }], reconnect: { min: 1000, max: 8000, factor: 2, jitter: 0 } });
    const hosts = () => t.mock.links.map((l) => l.to.host).join('');
    t.clock.advance(0);
    t.mock.last().close({ message: 'ECONNREFUSED' }); // a refused
    t.clock.advance(0);
    expect(hosts()).toBe('ab'); // b at once
    t.mock.last().open();
    t.clock.advance(30000); // b: no CONNACK in time
    t.clock.advance(0);
    expect(hosts()).toBe('abc'); // c at once
    t.mock.last().close({ message: 'ECONNREFUSED' }); // the round is over: now the backoff
    t.clock.advance(999);
    expect(hosts()).toBe('abc');
    t.clock.advance(1);
    expect(hosts()).toBe('abca');
    t.mock.last().close({ message: 'ECONNREFUSED' });
    t.clock.advance(0);
    expect(hosts()).toBe('abcab'); // the second round: b at once again
    t.mock.last().close({ message: 'ECONNREFUSED' });
    t.clock.advance(0);
    t.mock.last().close({ message: 'ECONNREFUSED' });
    t.clock.advance(1999);
    expect(hosts()).toBe('abcabc'); // its backoff has doubled
    t.clock.advance(1);
    expect(hosts()).toBe('abcabca');
    // connected to a, then lost: the backoff first (the fleet spreads out), then a again (a blip), then b at once
    t.mock.last().connack();
    t.mock.last().close();
    t.clock.advance(3999);
    expect(hosts()).toBe('abcabca');
    t.clock.advance(1);
    expect(hosts()).toBe('abcabcaa');
    t.mock.last().close({ message: 'ECONNREFUSED' });
    t.clock.advance(0);
    expect(hosts()).toBe('abcabcaab');
    t.mock.last().connack();
    expect(t.client.connected).toBe(true);
    // a refusal that asks for the longest wait ends the round: no fast tour of the other servers
    const banned = setup({ servers: [{ host: 'a' }, { host: 'b' }], reconnect: { min: 1000, max: 8000, jitter: 0 } });
    banned.clock.advance(0);
    banned.mock.last().open();
    banned.mock.last().connack(5); // not authorized
    banned.clock.advance(7999);
    expect(banned.mock.links.map((l) => l.to.host)).toEqual(['a']);
    banned.clock.advance(1);
    expect(banned.mock.links.map((l) => l.to.host)).toEqual(['a', 'b']);
    // one server: every failed attempt backs off, as before
    const one = setup({ reconnect: { min: 1000, jitter: 0 } });
    one.clock.advance(0);
    one.mock.last().close({ message: 'x' });
    one.clock.advance(999);
    expect(one.mock.links.length).toBe(1);
    one.clock.advance(1);
    expect(one.mock.links.length).toBe(2);
  });

  it('takes servers as URLs, with the default port of each protocol and the path of a WebSocket one', () => {
    const urls = ['mqtt://a', 'mqtts://b:1', 'ws://c', 'wss://d:8443/x/y?z=1', 'ws://[::1]:9001', 'wss://[fe80::1]/', 'mqtt://10.0.0.2:1884/'];
    const t = setup({ servers: urls.map((url) => ({ url })), reconnect: { min: 1, max: 1, jitter: 0 } });
    for (let i = 0; i < urls.length; i++) {
      t.clock.advance(1);
      t.mock.last().close();
    }
    expect(t.mock.links.map((l) => `${l.to.protocol} ${l.to.host} ${l.to.port} ${l.to.path}`)).toEqual([
      'mqtt a 1883 undefined', // TCP has no path: none is kept (on the board an undefined key costs a block)
      'mqtts b 1 undefined',
      'ws c 80 /mqtt',
      'wss d 8443 /x/y?z=1',
      'ws ::1 9001 /mqtt',
      'wss fe80::1 443 /',
      'mqtt 10.0.0.2 1884 undefined',
    ]);
    const one = setup({ host: undefined, url: 'ws://e:1/p' });
    one.clock.advance(0);
    expect(one.mock.last().to).toMatchObject({ protocol: 'ws', host: 'e', port: 1, path: '/p' });
  });

  it('refuses a server it cannot reach, naming it, before opening any socket', () => {
    const clock = fakeClock();
    const mock = mockTransport();
    const bad = [
      ...['http://h', 'h:1883', 'mqtt://', 'mqtt://h:0', 'mqtt://h:65536', 'mqtt://h:x', 'mqtt://h:1e3', 'mqtt://h: 80', 'mqtt://h:0x50'],
      ...['ws://::1', 'mqtt://fe80::1', 'ws://[::1]x', 'ws://user@h', 'ws://h?x', 'ws://h#f', 'ws://h/a b', 'ws://h/a#b', 'ws://h/\r\nX: y'],
    ].map((url) => ({ url }));
    for (const server of [...bad, { host: 'h', protocol: 'tcp' }, { host: 'h', port: 1.5 }, { host: '' }, { host: 'h', path: 'mqtt' }, { host: 'h', protocol: 'ws', path: '/a\nb' }]) {
      expect(() => createClient({ servers: [server], clock, transport: mock.transport }), JSON.stringify(server)).toThrow(
        expect.objectContaining({ code: ClientErr.BAD_OPTION, message: expect.stringMatching(/^bad option: server /) }),
      );
    }
    clock.advance(100);
    expect(mock.links.length).toBe(0);
  });

  it('the TCP build (src/index.ts) refuses ws:// and wss:// at once, naming the build that speaks them', async () => {
    const { connect } = await import('../../src/index');
    for (const o of [{ url: 'ws://h/mqtt' }, { host: 'h', protocol: 'wss' }, { servers: [{ url: 'mqtt://a' }, { url: 'wss://b' }] }]) {
      expect(() => connect(o as Options)).toThrow(expect.objectContaining({ code: ClientErr.BAD_OPTION, message: 'bad option: ws:// and wss:// need the espruino-mqtt-ws build' }));
    }
    expect(() => connect({ url: 'mqtt://h' } as Options)).toThrow(expect.objectContaining({ code: ClientErr.NO_TRANSPORT })); // on the host it has none
  });

  it('reports a socket error and a close before CONNACK as errors', () => {
    const t = setup();
    t.clock.advance(0);
    t.mock.last().close({ message: 'ECONNREFUSED' });
    expect(t.of('error')[0].args[0]).toMatchObject({ code: ClientErr.SOCKET, message: 'socket error: ECONNREFUSED' });
    expect(t.of('close').length).toBe(1);
    expect(t.of('offline').length).toBe(0);
  });

  it('emits close and offline when an established connection drops, then reconnects', () => {
    const t = setup();
    t.online().close();
    expect(t.of('close').length).toBe(1);
    expect(t.of('offline').length).toBe(1);
    expect(t.errors()).toEqual([]);
    t.clock.advance(1000);
    expect(t.mock.links.length).toBe(2);
  });

  it('refuses options the protocol forbids before opening any socket', () => {
    const clock = fakeClock();
    const mock = mockTransport();
    const make = (o: object) => () => createClient({ host: 'h', clock, transport: mock.transport, ...o });
    expect(make({ clientId: '', clean: false })).toThrow(expect.objectContaining({ code: Err.EMPTY_CLIENT_ID }));
    expect(make({ will: { topic: 'a/#', payload: '' } })).toThrow(expect.objectContaining({ code: Err.TOPIC_WILDCARD }));
    expect(make({ keepalive: 70000 })).toThrow(expect.objectContaining({ code: Err.BAD_KEEPALIVE }));
    expect(make({ password: 'p' })).toThrow(expect.objectContaining({ code: Err.PASSWORD_WITHOUT_USERNAME }));
    expect(() => createClient({ host: 'h', clock })).toThrow(expect.objectContaining({ code: ClientErr.NO_TRANSPORT }));
    clock.advance(100);
    expect(mock.links.length).toBe(0);
  });

  it('uses a random client id when none is given, off the board', () => {
    const clock = fakeClock();
    const mock = mockTransport();
    createClient({ host: 'h', clock, transport: mock.transport });
    createClient({ host: 'h', clock, transport: mock.transport });
    clock.advance(0);
    mock.links.forEach((l) => l.open());
    const ids = mock.links.map((l) => (l.sent[0] as { clientId: string }).clientId);
    expect(ids[0]).toMatch(/^mqtt-[0-9a-f]+$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
