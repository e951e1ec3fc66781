// The bounded outbox, done right: drop-oldest gives up only what it must, and a producer that stops on
// publish() === false and resumes on 'drain' (Node's stream convention) never loses a message.
import { describe, expect, it } from 'vitest';
import { ClientErr } from '../../src/client/errors';
import { startBroker, type TestBroker } from '../helpers/broker';
import { hostClient, until } from '../helpers/host-client';
import { setup } from './setup';

// The ESP8266 profile (boards/esp8266.json)
const ESP8266 = { rxBuffer: 256, txBuffer: 448, outboxBytes: 768, outboxMessages: 16 };
const payload = (i: number) => String(i).padStart(6, '0') + ':' + 'x'.repeat(193); // 200 bytes

describe('drop-oldest', () => {
  it('gives up only as many queued messages as it must, even when unacknowledged messages sit at the head', () => {
    const t = setup({ outboxBytes: 300, outboxMessages: 16, window: 2 });
    const link = t.online();
    t.client.publish('h', 'a'.repeat(40), { qos: 1 });
    t.client.publish('h', 'b'.repeat(40), { qos: 1 }); // both in flight on a silent link: the head
    for (let i = 0; i < 4; i++) t.client.publish('q', String(i).repeat(40), { qos: 1 }); // queued behind them
    expect(t.client.queued()).toBe(6);
    link.take();
    t.client.publish('q', 'n'.repeat(40), { qos: 1 }); // 46 bytes more than room for: one must go
    expect(t.of('drop').map((e) => (e.args[0] as { code: number }).code)).toEqual([ClientErr.OUTBOX_FULL]);
    expect(t.client.queued()).toBe(6);
    t.client.publish('q', 'm'.repeat(120), { qos: 1 }); // needs three
    expect(t.of('drop').length).toBe(4);
    expect(t.client.queued()).toBe(4);
  });
});

describe('drop-oldest while the socket is behind', () => {
  it('gives up the message that waited for the socket, and at once writes what now fits and the request after it', () => {
    const t = setup({ txBuffer: 100, outboxBytes: 70 });
    const link = t.online();
    link.drain(); // the CONNECT taken by the socket
    link.take();
    t.client.publish('a', 'x'.repeat(60)); // written: 65 bytes the socket has not taken yet
    t.client.publish('b', 'y'.repeat(60)); // 65 more would pass the transmit buffer's 100: queued, waits for a drain
    t.client.subscribe('s/t'); // after it, in the order called
    expect(link.take().map((p) => p.cmd)).toEqual(['publish']);
    t.client.publish('c', 'z'.repeat(10)); // the outbox holds 70: 'b' is given up, and 15 bytes fit the socket
    expect(t.of('drop').map((e) => (e.args[0] as { topic: string }).topic)).toEqual(['b']);
    expect(link.take().map((p) => `${p.cmd} ${(p as { topic?: string }).topic || ''}`)).toEqual(['subscribe ', 'publish c']);
    expect(t.client.queued()).toBe(0);
  });
});

describe('an exact fit is a fit', () => {
  // a QoS 1 PUBLISH to 'q' with 40 bytes of payload: 2 + 3 + 2 + 40 = 47 bytes; two fill 94
  it('drop-oldest gives up one message to make exactly room for one as large', () => {
    const t = setup({ outboxBytes: 94, outboxMessages: 16 });
    for (const c of ['a', 'b', 'c']) t.client.publish('q', c.repeat(40), { qos: 1 }); // offline: all queued
    expect(t.of('drop').map((e) => (e.args[0] as { code: number }).code)).toEqual([ClientErr.OUTBOX_FULL]);
    expect(t.client.queued()).toBe(2);
  });

  it("'drain' comes once an acknowledgement frees exactly the bytes the refused size needs", () => {
    const t = setup({ outboxBytes: 94, outboxMessages: 16 });
    let drains = 0;
    t.client.on('drain', () => drains++);
    const link = t.online();
    expect(t.client.publish('q', 'a'.repeat(40), { qos: 1 })).toBe(true);
    expect(t.client.publish('q', 'b'.repeat(40), { qos: 1 })).toBe(false); // full: one as large would not fit
    const [a] = link.take('publish');
    expect(drains).toBe(0);
    link.receive({ cmd: 'puback', messageId: a.messageId });
    expect(drains).toBe(1);
  });
});

describe('drop reports', () => {
  it('name the topic of a message whose bytes run past the end of the outbox and go on at its start', () => {
    const t = setup({ outboxBytes: 100, outboxMessages: 16, window: 1 });
    const link = t.online();
    t.client.publish('a', 'x'.repeat(44), { qos: 1 }); // 51 bytes at 0..50, in flight
    t.client.publish('b', 'y'.repeat(30), { qos: 1 }); // 37 bytes at 51..87, queued behind it
    const [a] = link.take('publish');
    link.receive({ cmd: 'puback', messageId: a.messageId }); // 0..50 free; b goes out
    t.client.publish('wrap/around/topic', 'z'.repeat(10), { qos: 1 }); // 33 bytes: 88..99, then 0..20
    t.client.end(true);
    expect(t.of('drop').map((e) => (e.args[0] as { topic: string }).topic)).toEqual(['b', 'wrap/around/topic']);
  });
});

describe('a publish from a given-up message\'s callback', () => {
  it('never gives up another message: it is refused instead (a report that evicts the next would never end)', () => {
    const t = setup({ outboxBytes: 100, outboxMessages: 16, window: 1 });
    t.online();
    const again: (number | undefined)[] = [];
    t.client.publish('a', 'x'.repeat(20), { qos: 1 }); // 27 bytes each; in flight on a silent link
    t.client.publish('b', 'x'.repeat(20), { qos: 1 }, () => {
      // b is given up to make room for d; publishing from here must not evict c
      t.client.publish('e', 'x'.repeat(20), { qos: 1 }, (e) => again.push((e as { code?: number } | undefined)?.code));
    });
    t.client.publish('c', 'x'.repeat(20), { qos: 1 });
    t.client.publish('d', 'x'.repeat(20), { qos: 1 }); // full: b goes
    expect(t.of('drop').map((e) => (e.args[0] as { topic: string }).topic)).toEqual(['b']);
    expect(again).toEqual([ClientErr.OUTBOX_FULL]);
    expect(t.client.queued()).toBe(3); // a, c, d
  });
});

describe('drop-oldest and a kept session', () => {
  it('never gives up a message sent before (DUP set): the broker may hold it, and its packet id', () => {
    const t = setup({ clean: false, txBuffer: 70, outboxBytes: 150, outboxMessages: 16 });
    let link = t.online();
    link.drain();
    t.client.publish('s', '1'.repeat(40), { qos: 1 }); // 47 bytes each
    link.drain();
    t.client.publish('s', '2'.repeat(40), { qos: 1 });
    expect(link.take('publish').length).toBe(2);
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true); // CONNECT (18) and the first resend fill the 70-byte write-ahead: the second waits, DUP set
    expect(link.take('publish').map((p) => p.dup)).toEqual([true]);
    t.client.publish('q', 'a'.repeat(40), { qos: 1 });
    t.client.publish('q', 'b'.repeat(40), { qos: 1 }); // full: the oldest never sent goes, not the waiting resend
    expect(t.of('drop').map((e) => (e.args[0] as { topic: string }).topic)).toEqual(['q']);
  });
});

describe('backpressure', () => {
  it('after a QoS 0 publish dropped offline (offlineQos0: drop), drain comes once connected', () => {
    const t = setup({ offlineQos0: 'drop' });
    let drains = 0;
    t.client.on('drain', () => drains++);
    expect(t.client.publish('x', '1')).toBe(false);
    t.online();
    expect(drains).toBe(1);
  });

  it('publish() returns false once a message as large would not fit, and drain fires once room comes back', () => {
    const t = setup({ outboxBytes: 100, outboxMessages: 16 });
    let drains = 0;
    t.client.on('drain', () => drains++);
    const results: boolean[] = [];
    for (let i = 0; i < 3; i++) results.push(t.client.publish('b', 'x'.repeat(20), { qos: 1 })); // 27 bytes each
    expect(results).toEqual([true, true, false]); // the third is taken, and leaves no room for a fourth
    expect(t.client.queued()).toBe(3);
    expect(t.of('drop')).toEqual([]);
    const link = t.online();
    expect(drains).toBe(0); // written, but not yet acknowledged: still no room
    const [p] = link.take('publish');
    link.receive({ cmd: 'puback', messageId: p.messageId });
    expect(drains).toBe(1);
    link.receive({ cmd: 'puback', messageId: (p.messageId as number) + 1 });
    expect(drains).toBe(1); // once per false
  });

  for (const overflow of ['drop-oldest', 'reject-new'] as const) {
    for (const qos of [0, 1]) {
      it(`a producer that stops on false and resumes on drain delivers 10,000 x 200 B with nothing given up (ESP8266 profile, ${overflow}, QoS ${qos})`, () => {
        const t = setup({ ...ESP8266, overflow });
        t.client.on('drain', produce);
        let next = 0;
        function produce() {
          while (next < 10000 && t.client.publish('burst', payload(next++), { qos })) {
            // until false
          }
        }
        const link = t.online();
        produce();
        const got: string[] = [];
        for (let round = 0; round < 100000 && got.length < 10000; round++) {
          link.drain();
          for (const p of link.take('publish')) {
            got.push(String(p.payload).slice(0, 6));
            if (qos) link.receive({ cmd: 'puback', messageId: p.messageId });
          }
        }
        expect(t.of('drop')).toEqual([]);
        expect(t.errors()).toEqual([]);
        expect(got.length).toBe(10000);
        expect(got.every((g, i) => Number(g) === i)).toBe(true);
      });
    }
  }
});

describe('backpressure against a real broker', () => {
  it('a producer paced by false and drain gets 10,000 x 200 B QoS 1 through Aedes, in order, nothing given up (ESP8266 profile)', async () => {
    const b: TestBroker = await startBroker();
    try {
      const sub = hostClient({ port: b.port, clientId: 'bp-sub' });
      const got: number[] = [];
      sub.subscribe('burst', { qos: 1 });
      sub.on('message', (_t: string, p: Buffer) => got.push(Number(String(p).slice(0, 6))));
      await until(() => sub.connected, 5000);
      await new Promise((r) => setTimeout(r, 100));
      const pub = hostClient({ port: b.port, clientId: 'bp-pub', ...ESP8266 });
      const drops: unknown[] = [];
      pub.on('drop', (e) => drops.push(e));
      let next = 0;
      const produce = () => {
        while (next < 10000 && pub.publish('burst', payload(next++), { qos: 1 })) {
          // until false
        }
      };
      pub.on('drain', produce);
      pub.on('connect', produce);
      await until(() => got.length >= 10000, 60000, '10,000 messages');
      expect(drops).toEqual([]);
      expect(got.every((g, i) => g === i)).toBe(true);
      await new Promise<void>((r) => pub.end(() => r()));
      await new Promise<void>((r) => sub.end(() => r()));
    } finally {
      await b.close();
    }
  }, 90000);
});
