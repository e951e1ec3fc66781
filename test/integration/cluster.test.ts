// A fleet on a RabbitMQ cluster loses a member (scripts/cluster.mjs, scripts/fleet.mjs): the short version of
// `npm run fleet -- --broker cluster --kill`. Ten simulated nodes (the ESP32 board bundle in the sandbox),
// each with the three members in its mqtt.urls and a persistent session, publish QoS 1 readings; a persistent
// QoS 1 subscriber collects them. Midway the member that all of them (and the subscriber) are connected to is
// killed, and restarted later. Needs Debian's rabbitmq-server, which npm test's pretest step installs.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a script of the project's, in JavaScript
import { runFleet } from '../../scripts/fleet.mjs';

describe('a fleet on a RabbitMQ cluster', () => {
  it('loses no reading when the member every node is connected to is killed, and comes back spread out', async () => {
    const nodes = 10;
    // (alone the cluster starts in about 15 s; beside the other test files on two cores one member once took
    // over 90 s: each may take up to 3 minutes here)
    const r = await runFleet({ nodes, broker: 'cluster', duration: 16, kill: true, period: 1, startTimeout: 180000 });
    // every reading taken was delivered to the persistent subscriber: its session moved to another member
    expect(r.sent).toBeGreaterThan(nodes * 14);
    expect(r.lost).toBe(0);
    expect(r.givenUp).toBe(0);
    expect(r.malformed).toBe(0);
    expect(r.delivered).toBe(r.sent);
    // every node was cut off, and every one came back, to another member, within the first wait's spread
    // (up to 5 s) and a refused attempt at the member that is gone
    expect(r.cut).toBe(nodes);
    expect(r.allBack).toBeLessThan(8);
    // each came back with two attempts: the lost member (refused), then the next one at once
    expect(r.attempts).toBe(2 * nodes);
    // spread out: the first attempts of ten nodes over more than a second (uniform over 1 to 5 s, the firmware's
    // first wait: under a second apart by chance about 3 times in 100,000; with the client's own default of
    // 0.5 to 1 s, never more than half a second apart)
    expect(r.firstAttemptsSpread).toBeGreaterThan(1);
  }, 480000);
});
