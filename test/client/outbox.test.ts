// The outbox ring: whatever is stored and removed, every message keeps its bytes and its order; a message
// is accepted whenever the free bytes and a free slot allow, gaps and the end of the buffer notwithstanding.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byteOf, createOutbox, remove, room, store } from '../../src/client/outbox';

describe('the outbox ring', () => {
  it('keeps every stored message intact and in order through any stores and removals', () => {
    const op = fc.oneof(
      fc.record({ add: fc.integer({ min: 1, max: 90 }) }),
      fc.record({ del: fc.nat() }),
      fc.record({ head: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 400 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (cap, slots, ops) => {
        const box = createOutbox(cap, slots);
        const model: { len: number; tag: number }[] = [];
        let tag = 1;
        for (const o of ops) {
          if ('add' in o) {
            const used = model.reduce((a, m) => a + m.len, 0);
            const fits = model.length < slots && cap - used >= o.add;
            expect(room(box, o.add)).toBe(fits);
            if (!fits) continue;
            const src = new Uint8Array(o.add).fill(tag & 255);
            store(box, src, o.add, 0, 0, tag, undefined);
            model.push({ len: o.add, tag: tag++ & 255 });
          } else if (model.length) {
            const k = 'del' in o ? o.del % model.length : 0;
            remove(box, k);
            model.splice(k, 1);
          }
          expect(box._count).toBe(model.length);
          model.forEach((m, k) => {
            expect(box._len[k]).toBe(m.len);
            for (let i = 0; i < m.len; i++) expect(byteOf(box, k, i)).toBe(m.tag);
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('uses the bytes a message taken from the middle leaves, and runs a message past the end of the buffer', () => {
    const box = createOutbox(100, 8);
    const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
    for (const v of [1, 2, 3]) store(box, bytes(30, v), 30, 0, 0, v, undefined); // 0..90
    expect(room(box, 11)).toBe(false);
    remove(box, 1); // a 30-byte gap in the middle
    expect(room(box, 40)).toBe(true);
    store(box, bytes(40, 4), 40, 0, 0, 4, undefined);
    expect([0, 1, 2].map((k) => byteOf(box, k, 0))).toEqual([1, 3, 4]);
    remove(box, 0);
    store(box, bytes(25, 5), 25, 0, 0, 5, undefined); // wraps past the end
    expect([0, 1, 2].map((k) => [byteOf(box, k, 0), byteOf(box, k, box._len[k] - 1)])).toEqual([[3, 3], [4, 4], [5, 5]]);
  });
});
