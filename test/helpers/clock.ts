// A clock the test moves by hand: no test sleeps on real time.
import type { Clock } from '../../src/client/client';

export interface FakeClock extends Clock {
  advance(ms: number): void;
  pending(): number;
}

export function fakeClock(start = 1000): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: (arg: unknown) => void; arg: unknown }>();
  return {
    now: () => now,
    set(fn, ms, arg) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn, arg });
      return id;
    },
    clear(id) {
      timers.delete(id as number);
    },
    // Moves time forward, running each timer when its moment comes, in order.
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; fn: (arg: unknown) => void; arg: unknown }] | undefined;
        for (const t of timers) if (t[1].at <= until && (!next || t[1].at < next[1].at)) next = t;
        if (!next) break;
        timers.delete(next[0]);
        now = Math.max(now, next[1].at);
        next[1].fn(next[1].arg);
      }
      now = until;
    },
    pending: () => timers.size,
  };
}
