// A chunk the board has no memory to copy (E.toUint8Array gives undefined) closes the connection with
// NO_MEMORY and reconnects after the backoff; nothing throws into the socket callback.
import { afterEach, describe, expect, it } from 'vitest';
import { Err } from '../../src/codec/index';
import { setup } from './setup';

const g = globalThis as Record<string, unknown>;

afterEach(() => {
  delete g.E;
  delete g.BYTE_STRINGS;
});

describe('a received chunk the board cannot copy', () => {
  it('reports error 35, closes the link and opens a new one after the backoff', () => {
    const t = setup();
    const link = t.online();
    expect(t.client.connected).toBe(true);
    // as in the board build (BYTE_STRINGS), where a string chunk is copied with E.toUint8Array
    g.BYTE_STRINGS = true;
    g.E = { toUint8Array: () => undefined };
    expect(() => link.receiveBytes('\xd0\x00')).not.toThrow();
    delete g.E;
    delete g.BYTE_STRINGS;
    expect(t.errors()).toEqual([Err.NO_MEMORY]);
    expect(link.ended).toBe(true);
    expect(t.client.connected).toBe(false);
    expect(t.mock.links.length).toBe(1);
    t.clock.advance(1000); // reconnect.min in setup()
    expect(t.of('reconnect').length).toBe(1);
    const next = t.mock.last();
    expect(next).not.toBe(link);
    next.connack();
    expect(t.client.connected).toBe(true);
  });
});
