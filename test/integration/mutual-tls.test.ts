// Mutual TLS (a client certificate and key, as AWS IoT Core and many brokers require) against Mosquitto with
// require_certificate: our client on the host, and the ESP32 bundle in the Espruino sandbox.
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import tls from 'node:tls';
import { createClient, type Client, type Options } from '../../src/client/client';
import { ClientErr, type MqttError } from '../../src/client/errors';
import { nodeTransport } from '../../src/transport/node';
import { createSandbox } from '../../scripts/sandbox.mjs';
import { mutualTls } from '../helpers/certs';
import { ended, next, until } from '../helpers/host-client';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto';

let broker: TestMosquitto;
const cleanup: (() => unknown)[] = [];

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
  await broker.close();
});

async function start(): Promise<Awaited<ReturnType<typeof mutualTls>>> {
  const certs = await mutualTls();
  broker = await startMosquitto({ tls: { ...certs.server, clientCa: certs.ca } });
  return certs;
}

function ours(opts: Partial<Options>): Client {
  const c = createClient({ host: '127.0.0.1', port: broker.tlsPort, protocol: 'mqtts', reconnect: { min: 50, max: 500, jitter: 0 }, transport: nodeTransport(net, tls), ...opts } as Options);
  cleanup.push(() => ended(c));
  return c;
}

describe('mutual TLS against Mosquitto (require_certificate true)', () => {
  for (const protocolVersion of [4, 5]) {
    it(`connects with a client certificate signed by the broker's CA, MQTT ${protocolVersion === 5 ? '5.0' : '3.1.1'}, and round-trips a message`, async () => {
      const certs = await start();
      const c = ours({ ca: certs.ca, ...certs.client, protocolVersion, clientId: 'node-1' });
      c.on('error', () => {});
      await next(c, 'connect');
      const got: string[] = [];
      c.subscribe('mtls/#', { qos: 1, handler: (t, p) => got.push(`${t}=${p}`) });
      c.publish('mtls/a', 'sealed', { qos: 1 });
      await until(() => got.length === 1);
      expect(got).toEqual(['mtls/a=sealed']);
    });
  }

  it('without a certificate, or with one the CA did not sign, the handshake fails as a socket error and the client keeps trying', async () => {
    const certs = await start();
    for (const cert of [{}, certs.stranger]) {
      const c = ours({ ca: certs.ca, ...cert });
      const errors: MqttError[] = [];
      c.on('error', (e) => errors.push(e));
      await until(() => errors.length >= 2, 5000, 'two failed attempts');
      expect(errors.every((e) => e.code === ClientErr.SOCKET)).toBe(true);
      expect(c.connected).toBe(false);
    }
  });

  it('the ESP32 bundle in the Espruino sandbox presents its certificate through tls.connect', async () => {
    const certs = await start();
    const box = createSandbox();
    cleanup.push(() => box.close());
    const lib = box.require('espruino-mqtt5') as { connect(o: object): Client };
    // as files often hold them: the key after an EC PARAMETERS block (openssl ecparam -genkey), the certificate
    // followed by its CA (a chain); the board is given the key's block and the chain's first certificate
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    const c = lib.connect({ host: '127.0.0.1', port: broker.tlsPort, protocol: 'mqtts', ca: certs.ca, key: params + certs.client.key, cert: certs.client.cert + '\n' + certs.ca, protocolVersion: 5, clientId: 'node-1', reconnect: { min: 50, max: 500, jitter: 0 } });
    c.on('error', () => {});
    cleanup.push(() => new Promise<void>((r) => c.end(true, () => r())));
    await until(() => c.connected, 5000, 'connect');
    const got: string[] = [];
    c.subscribe('mtls/sim', { qos: 1, handler: (_t, p) => got.push(String(p)) });
    c.publish('mtls/sim', 'from the sandbox', { qos: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual(['from the sandbox']);
  });
});
