// Our client on the host: Node's net/tls behind the transport interface, and small waiting helpers.
import net from 'node:net';
import tls from 'node:tls';
import { createClient, type Client, type Options } from '../../src/client/client';
import { nodeTransport } from '../../src/transport/node';

export function hostClient(opts: Partial<Options>): Client {
  return createClient({ host: '127.0.0.1', reconnect: { min: 50, max: 500, jitter: 0 }, ...opts, transport: nodeTransport(net, tls) } as Options);
}

export function next(client: Client, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    const fn = (...args: unknown[]) => {
      clearTimeout(timer);
      client.removeListener(event, fn);
      resolve(args);
    };
    client.on(event, fn);
  });
}

export async function until(cond: () => boolean, ms = 10000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function ended(client: Client): Promise<void> {
  return new Promise((resolve) => client.end(true, () => resolve()));
}
