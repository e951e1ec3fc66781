// A link idle past a second is not a dead link: the client judges one dead when what it wrote has waited a
// second or more for the socket to take it (v5.ts, session.ts), and an idle link has nothing waiting. The
// 5.0 bundle in the sandbox, against a server that stays silent over a second and then sends a malformed
// packet: the client still says why.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../scripts/sandbox.mjs';
import { until } from '../helpers/host-client';

let box: ReturnType<typeof createSandbox> | undefined;
let server: net.Server | undefined;
afterEach(async () => {
  box?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

describe('a link idle past a second, in the Espruino sandbox', () => {
  it('5.0: a malformed packet after a silent second is answered with DISCONNECT 0x81, not taken for a dead link', async () => {
    const heard: Buffer[] = [];
    let bad = 0;
    server = net.createServer((sock) => {
      sock.on('data', (d) => {
        heard.push(d);
        if (heard.length === 1) {
          sock.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])); // CONNACK 5.0, accepted, no properties
          // after a silent second, a PUBACK with a property cut short
          setTimeout(() => {
            bad = heard.length;
            sock.write(Buffer.from([0x40, 0x05, 0x00, 0x01, 0x00, 0x02, 0x26]));
          }, 1300);
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    box = createSandbox();
    const lib = box.require('espruino-mqtt5') as { connect(o: object): { on(e: string, f: () => void): void; end(f: boolean): void } };
    const c = lib.connect({ host: '127.0.0.1', port, protocolVersion: 5, clientId: 'idle', keepalive: 0, reconnect: { min: 5000, max: 5000, jitter: 0 } });
    c.on('error', () => {});
    await until(() => bad > 0 && Buffer.concat(heard.slice(bad)).length >= 4, 5000, 'the DISCONNECT');
    expect([...Buffer.concat(heard.slice(bad)).subarray(0, 4)]).toEqual([0xe0, 0x02, 0x81, 0x00]);
    c.end(true);
  }, 10000);
});
