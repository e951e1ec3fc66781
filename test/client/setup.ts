// A client over a mock transport and a fake clock, with every event it emits recorded.
import { afterEach, beforeEach, describe } from 'vitest';
import { createClient, type Client, type Options } from '../../src/client/client';
import { fakeClock } from '../helpers/clock';
import { chunks, mockTransport, type MockLink } from '../helpers/mock-transport';

export interface Recorded {
  event: string;
  args: unknown[];
}

export function setup(opts: Partial<Options> = {}) {
  const clock = fakeClock();
  const mock = mockTransport(opts.protocolVersion === 5 ? 5 : 4);
  const client = createClient({ host: 'broker', clientId: 'test', reconnect: { min: 1000, max: 8000, factor: 2, jitter: 0 }, ...opts, clock, transport: mock.transport } as Options);
  const events: Recorded[] = [];
  for (const event of ['connect', 'message', 'close', 'offline', 'reconnect', 'error', 'drop', 'end', 'disconnect']) {
    client.on(event, (...args: unknown[]) => events.push({ event, args }));
  }
  const of = (event: string) => events.filter((e) => e.event === event);
  const errors = () => of('error').map((e) => (e.args[0] as { code: number }).code);
  // Opens the first connection and completes the handshake.
  const online = (sessionPresent = false, properties?: object): MockLink => {
    clock.advance(0);
    const link = mock.last();
    link.connack(0, sessionPresent, properties);
    return link;
  };
  return { client, clock, mock, events, of, errors, online };
}

export type Setup = ReturnType<typeof setup>;
export type { Client };

// Runs a suite twice: the broker's packets as Uint8Array chunks (Node's sockets) and as byte strings, one
// character a byte (Espruino's: the reader's string path).
export function forEachChunkKind(suite: () => void): void {
  for (const strings of [false, true]) {
    describe(strings ? 'byte-string chunks' : 'Uint8Array chunks', () => {
      beforeEach(() => {
        chunks.strings = strings;
      });
      afterEach(() => {
        chunks.strings = false;
      });
      suite();
    });
  }
}
