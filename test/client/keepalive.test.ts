// Keep-alive: pings when idle, a silent broker noticed within 1.5x keepalive, none at keepalive 0.
import { describe, expect, it } from 'vitest';
import { ClientErr } from '../../src/client/errors';
import { setup } from './setup';

describe('keep-alive', () => {
  it('sends PINGREQ after keepalive seconds without traffic [MQTT-3.1.2-23]', () => {
    const t = setup({ keepalive: 10 });
    const link = t.online();
    link.take();
    t.clock.advance(9999);
    expect(link.take('pingreq')).toEqual([]);
    t.clock.advance(1);
    expect(link.take('pingreq').length).toBe(1);
    link.receive({ cmd: 'pingresp' });
    t.clock.advance(9999);
    expect(link.take('pingreq')).toEqual([]);
    t.clock.advance(1);
    expect(link.take('pingreq').length).toBe(1);
  });

  it('closes a silent link within 1.5x keepalive of the last packet received, then reconnects', () => {
    const t = setup({ keepalive: 10 });
    const link = t.online();
    const lastHeard = t.clock.now();
    t.clock.advance(14999);
    expect(t.errors()).toEqual([]);
    t.clock.advance(1);
    expect(t.errors()).toEqual([ClientErr.PING_TIMEOUT]);
    expect(t.clock.now() - lastHeard).toBe(15000);
    expect(link.ended && link.forced).toBe(true);
    expect(t.of('offline').length).toBe(1);
    t.clock.advance(1000);
    expect(t.mock.links.length).toBe(2);
  });

  it('ends a stream stuck in a packet that never ends, even while bytes keep coming: only whole packets prove the broker alive', () => {
    const t = setup({ keepalive: 10 });
    const link = t.online();
    link.take();
    // a PUBLISH announcing about 256 MB (skipped past the receive buffer, as one too large to hold), then a
    // trickle of its bytes, every second: no packet ever completes
    link.receiveBytes(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f, 0, 1, 0x61]));
    for (let i = 0; i < 15; i++) {
      t.clock.advance(1000);
      link.receiveBytes(new Uint8Array(16));
    }
    expect(link.take('pingreq').length).toBe(1); // keepalive after the CONNACK
    expect(t.errors()).toEqual([ClientErr.PING_TIMEOUT]); // half a keepalive later
    expect(link.ended && link.forced).toBe(true);
  });

  it('notices a silent broker even while the client keeps publishing: PINGREQ keepalive after the last packet heard, PING_TIMEOUT half a keepalive after that', () => {
    const t = setup({ keepalive: 10 });
    const link = t.online();
    link.take();
    const start = t.clock.now(); // the CONNACK, the last packet heard
    // publishes every 500 ms (QoS 0, drained at once) until start + at: the client is never idle on its side
    const busyUntil = (at: number) => {
      while (t.clock.now() < start + at) {
        t.client.publish('a', 'x');
        link.drain();
        t.clock.advance(Math.min(500, start + at - t.clock.now()));
      }
    };
    busyUntil(9999);
    expect(link.take('publish').length).toBe(20);
    expect(link.take('pingreq')).toEqual([]);
    busyUntil(10000);
    expect(link.take('pingreq').length).toBe(1); // keepalive after the last packet heard
    busyUntil(14999);
    expect(t.errors()).toEqual([]); // no PINGRESP yet, but half a keepalive has not passed
    expect(t.client.connected).toBe(true);
    expect(link.ended).toBe(false);
    busyUntil(15000);
    expect(t.errors()).toEqual([ClientErr.PING_TIMEOUT]);
    expect(link.ended && link.forced).toBe(true);
    expect(t.client.connected).toBe(false);
    expect(t.of('offline').length).toBe(1);
    expect(link.take('pingreq')).toEqual([]); // the one PINGREQ, never a second
  });

  it('counts any packet from the broker as an answer', () => {
    const t = setup({ keepalive: 10 });
    const link = t.online();
    t.clock.advance(10000); // ping sent
    link.receive({ cmd: 'publish', topic: 'x', payload: Buffer.from('y'), qos: 0 });
    t.clock.advance(6000);
    expect(t.errors()).toEqual([]);
  });

  it('sends no pings at keepalive 0, and never times out', () => {
    const t = setup({ keepalive: 0 });
    const link = t.online();
    t.clock.advance(3600 * 1000);
    expect(link.take('pingreq')).toEqual([]);
    expect(t.errors()).toEqual([]);
    expect(t.clock.pending()).toBe(0);
  });
});
