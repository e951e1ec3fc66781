// The outbox ring: whatever is stored and removed, every message keeps its bytes and its order; a message
// is accepted whenever the free bytes and a free slot allow, gaps and the end of the buffer notwithstanding.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Done, Outbox, createOutbox, remove, slotOf, store } from '../../src/client/outbox';

// The room test as outbox.ts states it (publish and pump write it out; their tests are in publish.test.ts
// and backpressure.test.ts)
const room = (box: Outbox, n: number) => (box._end < box._slots || box._head > 0) && box._cap - box._used >= n;

// Byte i of message k, across the end of the ring.
const byteOf = (box: Outbox, k: number, i: number) => box._bytes[(box._at[k] + i) % box._bytes.length];

describe('the outbox ring', () => {
  // Slots are _head.._end-1; k below counts from the oldest.
  it('keeps every stored message intact, in order, with its callback, and found by its id through any stores and removals', () => {
    const op = fc.oneof(
      fc.record({ add: fc.integer({ min: 1, max: 90 }) }),
      fc.record({ del: fc.nat() }),
      fc.record({ head: fc.constant(true) }),
      fc.record({ sent: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 400 }), fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (cap, slots, ops) => {
        const box = createOutbox(cap, slots);
        const model: { len: number; tag: number; id: number; done?: Done }[] = [];
        let tag = 1;
        for (const o of ops) {
          if ('sent' in o) {
            // what pump does on writing the next message: it is in flight, and _next passes it
            if (box._next < box._end) box._stage[box._next++] = 1; // Stage.SENT
          } else if ('add' in o) {
            const used = model.reduce((a, m) => a + m.len, 0);
            const fits = model.length < slots && cap - used >= o.add;
            expect(room(box, o.add)).toBe(fits);
            if (!fits) continue;
            const src = new Uint8Array(o.add).fill(tag & 255);
            const id = tag % 3 ? tag : 0; // some QoS 0 (no id)
            const done = tag % 2 ? undefined : () => {}; // every other one has a callback
            store(box, src, o.add, id, tag, done);
            model.push({ len: o.add, tag: tag++ & 255, id: id, done: done });
          } else if (model.length) {
            const k = 'del' in o ? o.del % model.length : 0;
            const removed = model[k].id;
            remove(box, box._head + k);
            model.splice(k, 1);
            if (removed) expect(slotOf(box, removed)).toBe(-1);
          }
          expect(box._end - box._head).toBe(model.length);
          // below _next only messages in flight, whatever was stored or taken out around them
          expect(box._next).toBeGreaterThanOrEqual(box._head);
          expect(box._next).toBeLessThanOrEqual(box._end);
          for (let k = box._head; k < box._next; k++) expect(box._stage[k]).toBe(1);
          // an element only for a callback: on Espruino each array access walks the elements before it
          // (or none at all, null, until one is stored after the outbox was found empty: outbox.ts)
          expect(Object.keys(box._done || {}).length).toBe(model.filter((m) => m.done).length);
          model.forEach((m, k) => {
            expect(box._len[box._head + k]).toBe(m.len);
            if (m.id) expect(slotOf(box, m.id)).toBe(box._head + k);
            expect(box._done ? box._done[box._head + k] : undefined).toBe(m.done);
            for (let i = 0; i < m.len; i++) expect(byteOf(box, box._head + k, i)).toBe(m.tag);
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('uses the bytes a message taken from the middle leaves, and runs a message past the end of the buffer', () => {
    const box = createOutbox(100, 8);
    const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
    for (const v of [1, 2, 3]) store(box, bytes(30, v), 30, 0, v, undefined); // 0..90
    expect(room(box, 11)).toBe(false);
    remove(box, 1); // a 30-byte gap in the middle
    expect(room(box, 40)).toBe(true);
    store(box, bytes(40, 4), 40, 0, 4, undefined);
    expect([0, 1, 2].map((k) => byteOf(box, k, 0))).toEqual([1, 3, 4]);
    expect(remove(box, 0)).toBe(1); // the oldest: nothing moves, the head advances
    store(box, bytes(25, 5), 25, 0, 5, undefined); // wraps past the end
    expect([1, 2, 3].map((k) => [byteOf(box, k, 0), byteOf(box, k, box._len[k] - 1)])).toEqual([[3, 3], [4, 4], [5, 5]]);
  });

  it('takes the oldest without moving the others, and moves the slots down only when the last is needed', () => {
    const box = createOutbox(1000, 4);
    const one = new Uint8Array(10);
    for (let id = 1; id <= 4; id++) store(box, one, 10, id, id, undefined);
    expect(room(box, 10)).toBe(false); // every slot taken
    expect(remove(box, 0)).toBe(1);
    expect(remove(box, 1)).toBe(2);
    expect([box._head, box._end, slotOf(box, 1), slotOf(box, 3)]).toEqual([2, 4, -1, 2]);
    expect(room(box, 10)).toBe(true);
    store(box, one, 10, 5, 5, undefined); // slides ids 3 and 4 to slots 0 and 1
    expect([box._head, box._end, slotOf(box, 3), slotOf(box, 4), slotOf(box, 5)]).toEqual([0, 3, 0, 1, 2]);
    expect(Array.from(box._id)).toEqual([3, 4, 5, 0]); // vacated slots hold no id
    expect(remove(box, 1)).toBe(1); // from the middle: the next moves into its slot
    expect(Array.from(box._id)).toEqual([3, 5, 0, 0]);
  });
});
