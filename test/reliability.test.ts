// A quick run of npm run reliability: the client against faults injected on loopback (Aedes, MQTT.js).
import { describe, expect, it } from 'vitest';
import { reliability } from '../scripts/reliability.mjs';

describe('reliability under faults (npm run reliability -- --quick)', () => {
  it('loses nothing, delivers nothing corrupt, reports every give-up, detects silence and paces its attempts', async () => {
    const rows = await reliability({ quick: true });
    const row = (prefix: string) => rows.find((r: { fault: string }) => r.fault.startsWith(prefix));
    const ws = rows.filter((r: { fault: string }) => r.fault.endsWith(', over WebSocket'));
    expect(ws.map((r: { fault: string }) => r.fault.split(' ')[0])).toEqual(['broker', 'line']);
    for (const r of [row('broker killed'), row('line cut'), row('outage'), ...ws]) {
      const name = r.fault;
      expect(r.lost, name).toBe(0);
      expect(r.corrupt, name).toBe(0);
      expect(r.delivered + r.dropped, name).toBe(r.sent);
    }
    expect(row('broker killed').dropped).toBe(0); // reject-new with room to spare: nothing given up
    expect(row('broker killed').outOfOrder).toBe(0); // no first delivery behind a later message: order kept but for resends
    expect(row('line cut').outOfOrder).toBe(0);
    for (const r of ws) expect([r.dropped, r.outOfOrder], r.fault).toEqual([0, 0]);
    expect(row('outage').outOfOrder).toBe(0);
    expect(row('line cut').dropped).toBe(0);
    expect(row('outage').dropped).toBeGreaterThan(0); // the bound held, and said so
    expect(row('silent link').detectMs).toBeLessThanOrEqual(3000 + 500); // 1.5x keep-alive, plus timer slack
    expect(row('slow broker').attempts).toBeGreaterThanOrEqual(2); // the connect timeout fired, and it tried again
    expect(row('slow broker').attempts).toBeLessThanOrEqual(5);
    const creds = row('wrong credentials');
    expect(creds.attempts).toBeGreaterThanOrEqual(2);
    expect(creds.attempts).toBeLessThanOrEqual(creds.maxAttempts);
    expect(row('fuzz').escaped).toBe(0);
    const bad = row('malformed packets');
    expect(bad.malformedClosed).toBe(5);
    expect(bad.threw).toBe(0);
    expect(bad.sound).toBe(true);
  }, 60000);
});
