// The outbox ring: whatever is appended and removed, stored messages never overlap, never move, stay inside
// the buffer and keep their bytes; and a message that fits in the free space is accepted.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { append, createOutbox, remove, reserve } from '../../src/client/outbox';

describe('the outbox ring', () => {
  it('keeps every stored message intact and in place through any appends and removals', () => {
    const op = fc.oneof(
      fc.record({ add: fc.integer({ min: 1, max: 90 }) }),
      fc.record({ del: fc.nat() }),
      fc.record({ head: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 400 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (cap, slots, ops) => {
        const box = createOutbox(cap, slots);
        const model: { at: number; len: number; tag: number }[] = [];
        let tag = 1;
        for (const o of ops) {
          if ('add' in o) {
            const at = reserve(box, o.add);
            if (at < 0) continue;
            expect(at + o.add).toBeLessThanOrEqual(cap);
            for (const m of model) expect(at + o.add <= m.at || m.at + m.len <= at, 'no overlap').toBe(true);
            box._bytes.fill(tag & 255, at, at + o.add);
            append(box, at, o.add, 0, 0, undefined);
            model.push({ at, len: o.add, tag: tag++ & 255 });
          } else if (model.length) {
            const k = 'del' in o ? o.del % model.length : 0;
            remove(box, k);
            model.splice(k, 1);
          }
          expect(box._count).toBe(model.length);
          model.forEach((m, k) => {
            expect(box._at[k]).toBe(m.at);
            expect(box._bytes.subarray(m.at, m.at + m.len).every((b) => b === m.tag)).toBe(true);
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts a message whenever contiguous room exists after the newest or before the oldest', () => {
    const box = createOutbox(100, 8);
    for (const n of [30, 30, 30]) append(box, reserve(box, n), n, 0, 0, undefined); // 0..90
    expect(reserve(box, 11)).toBe(-1);
    remove(box, 0); // 30..90 used
    expect(reserve(box, 30)).toBe(0); // wraps to the start
    append(box, 0, 30, 0, 0, undefined);
    expect(reserve(box, 1)).toBe(-1); // [30, 30) between newest and oldest: none
    remove(box, 0);
    expect(reserve(box, 30)).toBe(30);
  });
});
