// A short run of npm run fuzz: random and mutated frames through the decoder and a client on a mocked socket.
import { describe, expect, it } from 'vitest';
import { fuzz } from '../scripts/fuzz.mjs';

describe('fuzzing (a short run of npm run fuzz)', () => {
  it('lets no exception out of the decoder or the client, keeps the outbox bound, and reconnects on bad input', () => {
    const s = fuzz({ count: 20000, seed: 20261122 });
    expect(s.escaped).toEqual([]);
    expect(s.frames).toBe(20000);
    // the run exercised all paths: valid packets decoded, malformed ones reported, connections reopened
    expect(s.decoded).toBeGreaterThan(1000);
    expect(s.decodeErrors).toBeGreaterThan(1000);
    expect(s.reconnects).toBeGreaterThan(1000);
    expect(s.messages).toBeGreaterThan(100);
  });

  it('the same with MQTT 5.0 frames (reason codes, properties, topic aliases, DISCONNECT, AUTH) to a 5.0 client', () => {
    const s = fuzz({ count: 20000, seed: 20261203, v5: true });
    expect(s.escaped).toEqual([]);
    expect(s.decoded).toBeGreaterThan(1000);
    expect(s.decodeErrors).toBeGreaterThan(1000);
    expect(s.reconnects).toBeGreaterThan(1000);
    expect(s.messages).toBeGreaterThan(100);
  });
});
