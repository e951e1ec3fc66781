// Topic matching against a reference written the obvious way (split into levels), on generated topics.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { matchTopic } from '../../src/client/topics';

// The rules of MQTT 3.1.1, 4.7: '+' one whole level (possibly empty), '#' the rest including the parent
// level, and filters starting with a wildcard do not match topics starting with '$' [MQTT-4.7.2-1].
function reference(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && /^[+#]/.test(filter)) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('matchTopic', () => {
  it.each([
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/#', 'sport', true],
    ['#', '/', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/x', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['a/b', 'a/bc', false],
    ['a/bc', 'a/b', false],
  ])('%s against %s is %s', (filter, topic, want) => {
    expect(matchTopic(filter, topic)).toBe(want);
    expect(reference(filter, topic)).toBe(want);
  });

  it('agrees with the reference on generated filters and topics', () => {
    const level = fc.constantFrom('', 'a', 'b', 'ab', '$x');
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
    const filter = fc
      .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([l, hash]) => (hash ? l.concat('#') : l).join('/'));
    // both at least one character long [MQTT-4.7.3-1], as validation makes sure before matching
    fc.assert(fc.property(filter.filter((f) => f.length > 0), topic.filter((t) => t.length > 0), (f, t) => {
      expect(matchTopic(f, t)).toBe(reference(f, t));
    }), { numRuns: 3000 });
  });
});
