// The MQTT 5.0 build (dist/espruino-mqtt5.js) in the Espruino-like sandbox, against Mosquitto 2.0 with MQTT.js
// 5.0 as the peer: the code a board runs, 8-bit strings and all.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createSandbox } from '../../scripts/sandbox.mjs';
import { sleep, until } from '../helpers/host-client';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto';

interface BoardClient {
  connected: boolean;
  on(ev: string, fn: (...a: any[]) => void): BoardClient; // eslint-disable-line @typescript-eslint/no-explicit-any
  publish(topic: string, payload: unknown, opts?: object, cb?: (err?: { code: number }) => void): boolean;
  subscribe(filter: string | string[], opts?: object, cb?: (err?: { code: number; reasonCode?: number; message: string }, granted?: unknown) => void): boolean;
  end(force?: boolean, cb?: () => void): void;
}

let broker: TestMosquitto;
let box: ReturnType<typeof createSandbox>;
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  box.close();
  await broker.close();
});

function board(opts: object): BoardClient {
  const lib = box.require('espruino-mqtt5') as { connect(o: object): BoardClient };
  const c = lib.connect({ host: '127.0.0.1', port: broker.port, reconnect: { min: 50, max: 500, jitter: 0 }, ...opts });
  c.on('error', () => {});
  cleanup.push(() => new Promise<void>((r) => c.end(true, () => r())));
  return c;
}

async function peer() {
  const c = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 5, reconnectPeriod: 100 });
  cleanup.push(() => c.endAsync(true));
  return c;
}

describe('the MQTT 5.0 bundle in the Espruino sandbox, against Mosquitto 2.0', () => {
  it('round-trips messages with properties (topic aliases on), and reports a refused subscription by name', async () => {
    broker = await startMosquitto({ plain: { denySubscribe: ['secret/#'] } });
    box = createSandbox();
    const c = board({ protocolVersion: 5, clientId: 'v5-board', topicAliases: 2, properties: { sessionExpiryInterval: 60, topicAliasMaximum: 4 } });
    await until(() => c.connected, 5000, 'connect');
    const other = await peer();
    const theirs: mqtt.IPublishPacket[] = [];
    other.on('message', (_t, _p, packet) => theirs.push(packet));
    await other.subscribeAsync('v5/up/#', { qos: 1 });
    const got: { topic: string; payload: string; properties?: { userProperties?: object; contentType?: string } }[] = [];
    let refused: { code: number; reasonCode?: number; message: string } | undefined;
    c.subscribe(['v5/down', 'secret/x'], { qos: 1, handler: (_t: string, _p: string, m: (typeof got)[number]) => got.push(m) }, (e) => (refused = e));
    await until(() => !!refused, 5000, 'SUBACK');
    expect([refused!.reasonCode, refused!.message]).toEqual([0x87, 'subscription refused: secret/x: Not authorized (0x87)']);
    for (let i = 0; i < 3; i++) c.publish('v5/up/temperature', String(20 + i), { qos: 1, properties: { userProperties: { unit: 'C' }, contentType: 'text/plain' } });
    await until(() => theirs.length === 3);
    expect(theirs.map((p) => [p.topic, String(p.payload), p.properties!.userProperties, p.properties!.contentType])).toEqual(
      [20, 21, 22].map((v) => ['v5/up/temperature', String(v), { unit: 'C' }, 'text/plain']),
    );
    await other.publishAsync('v5/down', 'caf\u00e9', { qos: 1, properties: { userProperties: { from: 'peer' }, contentType: 'text/plain' } });
    await until(() => got.length === 1);
    expect(got[0].payload).toBe('caf\u00c3\u00a9'); // the board's 8-bit string: the UTF-8 bytes
    expect(got[0].properties).toMatchObject({ userProperties: { from: 'peer' }, contentType: 'text/plain' });
  });

  it('the same bundle speaks 3.1.1 unless asked for 5.0', async () => {
    broker = await startMosquitto();
    box = createSandbox();
    const c = board({ clientId: 'v4-board' });
    await until(() => c.connected, 5000, 'connect');
    const got: string[] = [];
    c.subscribe('v4/#', { qos: 1, handler: (t: string, p: string) => got.push(`${t}=${p}`) });
    await sleep(100);
    c.publish('v4/a', 'x', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['v4/a=x']);
  });
});
