// Every code has its own readable reason, found in the right one of the reason strings.
import { describe, expect, it } from 'vitest';
import { mqttError } from '../../src/client/errors';

describe('error reasons', () => {
  it('name each code 1..41 by its own reason', () => {
    const reasons = Array.from({ length: 41 }, (_, i) => mqttError(i + 1).message);
    expect(new Set(reasons).size).toBe(41);
    expect(reasons.every((r) => r.length > 3 && !r.includes('|'))).toBe(true);
    expect([1, 10, 11, 20, 21, 30, 31, 35, 41].map((c) => mqttError(c).message)).toEqual([
      'packet larger than the buffer',
      'bad packet id',
      'clean=false needs a client id',
      'inbound PUBLISH larger than the receive buffer',
      'refused: unacceptable protocol version',
      'outbox full',
      'client ended',
      'out of memory',
      'session present after a clean CONNECT',
    ]);
    expect(mqttError(37, 'window must be 1..65535')).toMatchObject({ code: 37, message: 'bad option: window must be 1..65535' });
  });
});
