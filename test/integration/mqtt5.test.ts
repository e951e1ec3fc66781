// MQTT 5.0 against Mosquitto 2.0 (5.0 on the same listener as 3.1.1), with MQTT.js speaking 5.0 as the peer:
// reason codes, properties both ways, message expiry, topic aliases, Receive Maximum, shared subscriptions,
// the will delay.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { createClient, type Client, type Options } from '../../src/client/client';
import { ClientErr, type MqttError } from '../../src/client/errors';
import { nodeTransport } from '../../src/transport/node';
import { LinkEvent, type Transport } from '../../src/transport/transport';
import { startProxy } from '../helpers/broker';
import { ended, next, sleep, until } from '../helpers/host-client';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto';

let broker: TestMosquitto;
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  await broker.close();
});

// What our client wrote and was sent, parsed as 5.0 by mqtt-packet: the QoS 1/2 messages in flight at
// most, and the PUBLISH packets as written.
interface Wire {
  transport: Transport;
  maxInFlight: number;
  published: mqttPacket.IPublishPacket[];
}
function wire(): Wire {
  const base = nodeTransport(net, tls);
  const w: Wire = { transport: null as unknown as Transport, maxInFlight: 0, published: [] };
  w.transport = (to, ev) => {
    const out = mqttPacket.parser({ protocolVersion: 5 });
    const inn = mqttPacket.parser({ protocolVersion: 5 });
    let inFlight = 0;
    out.on('packet', (p) => {
      if (p.cmd !== 'publish') return;
      w.published.push(p);
      if (p.qos && !p.dup) w.maxInFlight = Math.max(w.maxInFlight, ++inFlight);
    });
    inn.on('packet', (p) => {
      if (p.cmd === 'puback' || p.cmd === 'pubcomp') inFlight--;
    });
    const link = base(to, {
      notify(event, arg) {
        if (event === LinkEvent.DATA) inn.parse(Buffer.from(arg as Uint8Array));
        ev.notify(event, arg);
      },
    });
    return {
      write(buf, start, end) {
        out.parse(Buffer.from(buf.subarray(start, end)));
        return link.write(buf, start, end);
      },
      end: (force) => link.end(force),
    };
  };
  return w;
}

function ours(opts: Partial<Options> = {}): Client {
  const c = createClient({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, reconnect: { min: 50, max: 500, jitter: 0 }, transport: nodeTransport(net, tls), ...opts } as Options);
  c.on('error', () => {}); // tests that care listen themselves
  cleanup.push(() => ended(c));
  return c;
}

async function peer(opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, reconnectPeriod: 100, ...opts });
  cleanup.push(() => c.endAsync(true));
  return c;
}

describe('MQTT 5.0 against Mosquitto 2.0, with MQTT.js 5.0 as the peer', () => {
  it('refused credentials: the CONNACK reason code, by name, and the longest backoff', async () => {
    broker = await startMosquitto({ plain: { users: { alice: 'right' } } });
    const c = ours({ username: 'alice', password: 'wrong', reconnect: { min: 50, max: 3000, jitter: 0 } });
    const [e] = (await next(c, 'error')) as [MqttError];
    expect([0x86, 0x87]).toContain(e.reasonCode);
    expect(e.code).toBe(e.reasonCode === 0x86 ? ClientErr.REFUSED + 4 : ClientErr.REFUSED + 5);
    expect(e.message).toMatch(/\((0x86|0x87)\)$/);
    const at = Date.now();
    await next(c, 'reconnect', 5000);
    expect(Date.now() - at).toBeGreaterThanOrEqual(2500); // the longest wait (3000), not 50
    const good = ours({ username: 'alice', password: 'right' });
    await next(good, 'connect');
  });

  it('a refused subscription: the SUBACK reason code reaches the callback by name', async () => {
    broker = await startMosquitto({ plain: { denySubscribe: ['secret/#'] } });
    const c = ours();
    await next(c, 'connect');
    const res = await new Promise<[MqttError | undefined, unknown]>((resolve) => c.subscribe(['open/a', 'secret/b'], { qos: 1 }, (e, g) => resolve([e, g])));
    expect(res[1]).toEqual([{ topic: 'open/a', qos: 1 }, { topic: 'secret/b', qos: 0x87 }]);
    expect(res[0]!.code).toBe(ClientErr.SUBSCRIBE_REFUSED);
    expect(res[0]!.reasonCode).toBe(0x87);
    expect(res[0]!.message).toContain('Not authorized (0x87)');
  });

  it('user properties and the other PUBLISH properties round trip both ways', async () => {
    broker = await startMosquitto();
    const c = ours();
    await next(c, 'connect');
    const other = await peer();
    const theirs: mqtt.IPublishPacket[] = [];
    other.on('message', (_t, _p, packet) => theirs.push(packet));
    await other.subscribeAsync('props/#', { qos: 1 });
    const got: { properties?: Record<string, unknown> }[] = [];
    c.subscribe('props/back', { qos: 1, handler: (_t, _p, m) => got.push(m) });
    await sleep(100);
    c.publish('props/out', '{"t":21.5}', { qos: 1, properties: { userProperties: { unit: 'C', tags: ['a', 'b'] }, contentType: 'application/json', responseTopic: 'props/back', correlationData: new Uint8Array([7, 8]), payloadFormatIndicator: true } });
    await until(() => theirs.length === 1);
    const p = theirs[0].properties!;
    expect(p.userProperties).toEqual({ unit: 'C', tags: ['a', 'b'] });
    expect([p.contentType, p.responseTopic, Array.from(p.correlationData as Buffer), p.payloadFormatIndicator]).toEqual(['application/json', 'props/back', [7, 8], true]);
    await other.publishAsync(p.responseTopic!, 'reply', { qos: 1, properties: { correlationData: p.correlationData, userProperties: { from: 'peer' } } });
    await until(() => got.length === 1);
    expect(got[0].properties!.userProperties).toEqual({ from: 'peer' });
    expect(Array.from(got[0].properties!.correlationData as Uint8Array)).toEqual([7, 8]);
  });

  it('message expiry is observed: an expired message never reaches a subscriber that was away', async () => {
    broker = await startMosquitto();
    const sub = await peer({ clientId: 'away', clean: false, properties: { sessionExpiryInterval: 60 } });
    await sub.subscribeAsync('exp/#', { qos: 1 });
    await sub.endAsync();
    const c = ours();
    await next(c, 'connect');
    await new Promise((r) => c.publish('exp/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 1 } }, r));
    await new Promise((r) => c.publish('exp/long', 'kept', { qos: 1, properties: { messageExpiryInterval: 60 } }, r));
    await sleep(2100);
    // listening before it connects: the queued messages come right after the CONNACK
    const back = mqtt.connect({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, clientId: 'away', clean: false, properties: { sessionExpiryInterval: 60 } });
    cleanup.push(() => back.endAsync(true));
    const got: string[] = [];
    back.on('message', (t, payload, packet) => got.push(`${t}=${payload} ${packet.properties && packet.properties.messageExpiryInterval}`));
    await until(() => got.length >= 1);
    await sleep(300);
    expect(got.length).toBe(1);
    expect(got[0]).toMatch(/^exp\/long=kept (5[0-9]|60)$/); // the broker passes on what is left of its life
  });

  it('topic aliases: our client assigns them within the broker\'s maximum, and the peer sees every topic whole', async () => {
    broker = await startMosquitto();
    const w = wire();
    const c = ours({ transport: w.transport, topicAliases: 4 });
    const [, connack] = (await next(c, 'connect')) as [boolean, { topicAliasMaximum?: number }];
    expect(connack.topicAliasMaximum).toBeGreaterThan(0);
    const other = await peer();
    const theirs: string[] = [];
    other.on('message', (t, p) => theirs.push(`${t}=${p}`));
    await other.subscribeAsync('alias/#');
    await sleep(100);
    for (let i = 0; i < 3; i++) c.publish('alias/a/rather/long/topic/name', String(i));
    c.publish('alias/b', 'x');
    await until(() => theirs.length === 4);
    expect(theirs).toEqual(['alias/a/rather/long/topic/name=0', 'alias/a/rather/long/topic/name=1', 'alias/a/rather/long/topic/name=2', 'alias/b=x']);
    expect(w.published.map((p) => [p.topic, p.properties && p.properties.topicAlias])).toEqual([
      ['alias/a/rather/long/topic/name', 1],
      ['', 1],
      ['', 1],
      ['alias/b', 2],
    ]);
  });

  it("Receive Maximum: never more in flight than the broker allows", async () => {
    broker = await startMosquitto({ plain: { settings: ['max_inflight_messages 2'] } });
    const w = wire();
    const c = ours({ transport: w.transport, window: 10, outboxMessages: 64 });
    const [, connack] = (await next(c, 'connect')) as [boolean, { receiveMaximum?: number }];
    expect(connack.receiveMaximum).toBe(2);
    let acked = 0;
    for (let i = 0; i < 30; i++) c.publish('rm/t', String(i), { qos: 1 }, (e) => !e && acked++);
    await until(() => acked === 30);
    expect(w.published.length).toBe(30);
    expect(w.maxInFlight).toBe(2);
  });

  it('a shared subscription splits the load between two of our clients', async () => {
    broker = await startMosquitto();
    const seen: [string, string][] = [];
    for (const name of ['w1', 'w2']) {
      const c = ours({ clientId: name });
      await next(c, 'connect');
      c.subscribe('$share/workers/jobs/+', { qos: 1, handler: (_t, p) => seen.push([name, String(p)]) });
    }
    await sleep(200);
    const other = await peer();
    for (let i = 0; i < 20; i++) await other.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    await until(() => seen.length === 20);
    expect(seen.map(([, p]) => +p).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const w1 = seen.filter(([n]) => n === 'w1').length;
    expect(w1).toBeGreaterThan(0);
    expect(w1).toBeLessThan(20);
  });

  it('the will delay interval: the will comes that long after an abrupt close, not at once', async () => {
    broker = await startMosquitto();
    const proxy = await startProxy(() => broker.port);
    cleanup.push(() => proxy.close());
    const watcher = await peer();
    const wills: number[] = [];
    watcher.on('message', () => wills.push(Date.now()));
    await watcher.subscribeAsync('wd/+/status');
    const c = ours({ port: proxy.port, clientId: 'wd-a', reconnect: false, properties: { sessionExpiryInterval: 30 }, will: { topic: 'wd/a/status', payload: 'offline', qos: 1, properties: { willDelayInterval: 2 } } });
    await next(c, 'connect');
    const cut = Date.now();
    proxy.cut();
    await sleep(1200);
    expect(wills).toEqual([]);
    await until(() => wills.length === 1, 5000, 'the delayed will');
    expect(wills[0] - cut).toBeGreaterThanOrEqual(1500);
  });

  it("end() with reason code 0x04 (Disconnect with Will Message): the broker publishes the will; a plain end() does not", async () => {
    broker = await startMosquitto();
    const watcher = await peer();
    const wills: string[] = [];
    watcher.on('message', (topic) => wills.push(topic));
    await watcher.subscribeAsync('bye/+/status', { qos: 1 });
    const will = (id: string) => ({ topic: `bye/${id}/status`, payload: 'offline', qos: 1 });
    const a = ours({ clientId: 'bye-a', will: will('a') });
    const b = ours({ clientId: 'bye-b', will: will('b') });
    await Promise.all([next(a, 'connect'), next(b, 'connect')]);
    await new Promise<void>((resolve) => a.end(false, { reasonCode: 4, properties: { reasonString: 'going down' } }, resolve));
    await new Promise<void>((resolve) => b.end(false, resolve));
    await until(() => wills.length > 0, 5000, 'the will');
    await sleep(300);
    expect(wills).toEqual(['bye/a/status']);
  });
});
