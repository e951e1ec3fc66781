// What a sandbox test of the firmware needs around each test: a broker on 127.0.0.1, and the sandboxes and
// MQTT.js peers the test made, all closed after it.
import { afterEach, beforeEach } from 'vitest';
import type mqtt from 'mqtt';
import { startBroker, type TestBroker } from './broker';
import type { createSandbox } from '../../scripts/sandbox.mjs';

export function perTest() {
  const fx = { broker: undefined as unknown as TestBroker, boxes: [] as ReturnType<typeof createSandbox>[], peers: [] as mqtt.MqttClient[] };
  beforeEach(async () => {
    fx.broker = await startBroker();
  });
  afterEach(async () => {
    for (const p of fx.peers.splice(0)) await p.endAsync(true);
    for (const b of fx.boxes.splice(0)) b.close();
    await fx.broker.close();
  });
  return fx;
}
