// The producer pattern of the README in the Espruino sandbox (the built bundle, byte-string sockets that
// buffer every write): stop on publish() === false, resume on 'drain', and nothing is given up.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startBroker, type TestBroker } from '../helpers/broker';
import { until } from '../helpers/host-client';
import { createSandbox } from '../../scripts/sandbox.mjs';

interface BoardClient {
  on(ev: string, fn: (...a: any[]) => void): BoardClient; // eslint-disable-line @typescript-eslint/no-explicit-any
  publish(topic: string, payload: unknown, opts?: object, cb?: (err?: { code: number }) => void): boolean;
  end(force?: boolean, cb?: () => void): void;
}

let broker: TestBroker | undefined;
let box: ReturnType<typeof createSandbox> | undefined;
afterEach(async () => {
  box?.close();
  await broker?.close();
});

describe('backpressure in the Espruino sandbox', () => {
  // The client counts the bytes the socket has not sent yet, and waits for a drain once they would pass the
  // transmit buffer (outbound.ts): messages larger than half of it, each after the one before has left, and
  // an end() on an idle link must find that count at 0, or wait for a drain that never comes.
  it('writes each of a row of large messages sent one after another, and ends an idle link gracefully', async () => {
    broker = await startBroker();
    const watcher = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 4 });
    const got: string[] = [];
    watcher.on('message', (t, p) => got.push(t + ' ' + String(p).slice(0, 3)));
    await watcher.subscribeAsync(['big', 'will'], { qos: 1 });
    box = createSandbox({ board: 'ESP8266' });
    const lib = box.require('espruino-mqtt') as { connect(o: object): BoardClient };
    const c = lib.connect({ host: '127.0.0.1', port: broker.port, clientId: 'big', txBuffer: 448, will: { topic: 'will', payload: 'gone' } });
    await new Promise<void>((r) => c.on('connect', () => r()));
    const pad = 'y'.repeat(290);
    for (let i = 0; i < 6; i++) {
      c.publish('big', i + ':' + pad, { qos: (i % 2) as 0 | 1 });
      await new Promise((r) => setTimeout(r, 40)); // sent, and the socket drained
    }
    await until(() => got.length >= 6, 5000, 'six messages');
    expect(got).toEqual(['big 0:y', 'big 1:y', 'big 2:y', 'big 3:y', 'big 4:y', 'big 5:y']);
    let ended = false;
    c.end(false, () => (ended = true));
    await until(() => ended, 5000, "end()'s callback");
    // the DISCONNECT went out: the broker publishes no will
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(6);
    await watcher.endAsync(true);
  }, 20000);

  for (const overflow of ['drop-oldest', 'reject-new']) {
    it(`a producer paced by false and drain gets 10,000 x 200 B QoS 1 through, in order, nothing given up (ESP8266 profile, ${overflow})`, async () => {
      broker = await startBroker();
      const watcher = await mqtt.connectAsync({ host: '127.0.0.1', port: broker.port, protocolVersion: 4 });
      const got: number[] = [];
      watcher.on('message', (_t, p) => got.push(Number(String(p).slice(0, 5))));
      await watcher.subscribeAsync('paced', { qos: 1 });
      box = createSandbox({ board: 'ESP8266' });
      const lib = box.require('espruino-mqtt') as { connect(o: object): BoardClient };
      const c = lib.connect({ host: '127.0.0.1', port: broker.port, clientId: 'paced', rxBuffer: 256, txBuffer: 448, outboxBytes: 768, outboxMessages: 16, overflow });
      let next = 0;
      let failed = 0;
      let drops = 0;
      const pad = 'x'.repeat(193);
      const produce = () => {
        while (next < 10000 && c.publish('paced', String(100000 + next++).slice(1) + ':' + pad, { qos: 1 }, (e) => e && failed++)) {
          // until false
        }
      };
      c.on('drop', () => drops++);
      c.on('drain', produce);
      c.on('connect', produce);
      await until(() => got.length >= 10000, 60000, '10,000 messages');
      expect(drops).toBe(0);
      expect(failed).toBe(0);
      expect(got.every((g, i) => g === i)).toBe(true);
      await new Promise<void>((r) => c.end(false, () => r()));
      await watcher.endAsync(true);
    }, 90000);
  }
});
