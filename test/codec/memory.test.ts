// On the board E.toUint8Array gives undefined when memory is short: the reader fails the stream, never throws.
import { afterEach, describe, expect, it } from 'vitest';
import { Err, createReader } from '../../src/codec/index';

const g = globalThis as Record<string, unknown>;

afterEach(() => {
  delete g.E;
  delete g.BYTE_STRINGS;
});

describe('the reader when the board has no memory for a chunk', () => {
  it('reports NO_MEMORY once through onError and does not throw', () => {
    g.BYTE_STRINGS = true; // as in the board build, where a string chunk is copied with E.toUint8Array
    g.E = { toUint8Array: () => undefined };
    const errors: number[] = [];
    const packets: unknown[] = [];
    const r = createReader(64, (_, p) => packets.push(p), (_, code) => errors.push(code));
    expect(() => r.push('\x20\x02\x00\x00')).not.toThrow();
    expect(errors).toEqual([Err.NO_MEMORY]);
    expect(Err.NO_MEMORY).toBe(35);
    // failed until reset, like any malformed stream: no second report
    expect(() => r.push('\xd0\x00')).not.toThrow();
    expect(errors).toEqual([Err.NO_MEMORY]);
    // a new connection decodes again once memory is back
    delete g.E;
    delete g.BYTE_STRINGS;
    r.push(null); // (the board build has no reset(): push(null) ends the stream)
    r.push('\xd0\x00'); // PINGRESP
    expect(packets.length).toBe(1);
    expect(errors).toEqual([Err.NO_MEMORY]);
  });
});
