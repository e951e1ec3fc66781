// SUBSCRIBE and UNSUBSCRIBE requests: their ids, their order among publishes, their bound, and what a
// broker that answers them wrongly gets.
import { describe, expect, it } from 'vitest';
import { createClient, type Options } from '../../src/client/client';
import { ClientErr } from '../../src/client/errors';
import { fakeClock } from '../helpers/clock';
import { mockTransport } from '../helpers/mock-transport';
import { setup } from './setup';

type Sub = { cmd: string; messageId: number; subscriptions?: { topic: string }[]; unsubscriptions?: string[] };
const subs = (packets: unknown[]) => packets as Sub[];

describe('an acknowledgement that does not match its request', () => {
  it('a SUBACK with the wrong number of codes: the request fails, the connection closes, and it is not sent again', () => {
    const t = setup();
    let link = t.online();
    let result: { code: number } | undefined;
    t.client.subscribe(['a', 'b'], { qos: 1 }, (e) => (result = e as never));
    const [s] = subs(link.take('subscribe'));
    link.receive({ cmd: 'suback', messageId: s.messageId, granted: [1] });
    expect(result!.code).toBe(ClientErr.ACK_MISMATCH);
    expect(t.errors()).toEqual([ClientErr.ACK_MISMATCH]);
    expect(link.ended).toBe(true);
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack();
    expect(link.take('subscribe')).toEqual([]); // neither the request nor a renewal of its filters
  });

  it('an UNSUBACK for a SUBSCRIBE (and a SUBACK for an UNSUBSCRIBE) is the same violation', () => {
    const t = setup();
    const link = t.online();
    const results: number[] = [];
    t.client.subscribe('a', (e) => results.push((e as { code: number }).code));
    const [s] = subs(link.take('subscribe'));
    link.receive({ cmd: 'unsuback', messageId: s.messageId });
    expect(results).toEqual([ClientErr.ACK_MISMATCH]);
    t.clock.advance(1000);
    const next = t.mock.last();
    next.connack();
    t.client.unsubscribe('z', (e) => results.push((e as { code: number }).code));
    const [u] = subs(next.take('unsubscribe'));
    next.receive({ cmd: 'suback', messageId: u.messageId, granted: [0] });
    expect(results).toEqual([ClientErr.ACK_MISMATCH, ClientErr.ACK_MISMATCH]);
  });
});

describe('requests across connections', () => {
  it('a request sent again on a new connection keeps its packet id [MQTT-2.3.1-3]', () => {
    const t = setup({ clean: false });
    let link = t.online();
    t.client.subscribe('a', { qos: 1 });
    t.client.unsubscribe('b');
    const first = subs(link.take()).filter((p) => p.cmd !== 'connect');
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true);
    const again = subs(link.take()).filter((p) => p.cmd !== 'connect');
    expect(again.map((p) => `${p.cmd} ${p.messageId}`)).toEqual(first.map((p) => `${p.cmd} ${p.messageId}`));
  });

  it('unsubscribe(f) while offline on a clean session cancels a still-queued subscribe(f): nothing for f after reconnect', () => {
    const t = setup();
    let link = t.online();
    link.close();
    let subscribed: unknown[] | undefined;
    let unsubscribed = false;
    t.client.subscribe('f', (e, granted) => (subscribed = [e, granted]));
    t.client.subscribe('g');
    t.client.unsubscribe('f', () => (unsubscribed = true));
    expect(unsubscribed).toBe(true);
    expect(subscribed).toEqual([undefined, []]);
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack();
    const sent = subs(link.take()).filter((p) => p.cmd !== 'connect');
    expect(sent.map((p) => `${p.cmd} ${(p.subscriptions || []).map((s) => s.topic)}`)).toEqual(['subscribe g']);
    // a broker that sends it anyway finds no handler and no interest: 'message' still reports what arrives,
    // but the client asked for nothing on f
    expect(t.of('message')).toEqual([]);
  });

  it('publishes and (un)subscribes queued while offline go out in call order', () => {
    const t = setup({ clean: false }); // (with a clean session an UNSUBSCRIBE made offline has nothing to remove)
    t.client.publish('p', '1');
    t.client.subscribe('s1');
    t.client.publish('p', '2', { qos: 1 });
    t.client.unsubscribe('u1');
    t.client.publish('p', '3');
    const link = t.online();
    const order = link.take().map((p) => {
      const x = p as unknown as { cmd: string; payload?: Buffer; subscriptions?: { topic: string }[]; unsubscriptions?: string[] };
      return x.cmd === 'publish' ? `pub ${x.payload}` : x.cmd === 'subscribe' ? `sub ${x.subscriptions![0].topic}` : x.cmd === 'unsubscribe' ? `unsub ${x.unsubscriptions![0]}` : x.cmd;
    });
    expect(order).toEqual(['connect', 'pub 1', 'sub s1', 'pub 2', 'unsub u1', 'pub 3']);
  });

  it('a request that waited for a message the full outbox gave up goes before the message that took its room', () => {
    const t = setup({ window: 2, outboxMessages: 2, txBuffer: 40 });
    const link = t.online();
    link.drain();
    t.client.publish('a', 'A'.repeat(20), { qos: 1 }); // written
    t.client.publish('b', 'B'.repeat(30)); // queued: the socket has not taken A
    t.client.subscribe('s/#', { qos: 1 }); // waits for B
    t.client.publish('c', 'C', { qos: 1 }); // the outbox full: B given up, C written at once
    link.drain();
    const order = link.take().map((p) => {
      const x = p as unknown as { cmd: string; topic?: string };
      return x.cmd === 'publish' ? `pub ${x.topic}` : x.cmd;
    });
    expect(order).toEqual(['connect', 'pub a', 'subscribe', 'pub c']);
    expect(t.of('drop').map((e) => (e.args[0] as { topic: string }).topic)).toEqual(['b']);
  });

  it('renews the subscriptions of a new session before the publishes waiting to go', () => {
    const t = setup();
    let link = t.online();
    t.client.subscribe('s', { qos: 1 });
    const [s] = subs(link.take('subscribe'));
    link.receive({ cmd: 'suback', messageId: s.messageId, granted: [1] });
    link.close();
    t.client.publish('p', '1');
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack();
    expect(link.take().map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'publish']);
  });
});

describe('the bound on pending requests', () => {
  it('refuses a request beyond pendingRequests with a named error, sending nothing', () => {
    const t = setup({ pendingRequests: 2 });
    const link = t.online();
    link.take();
    expect(t.client.subscribe('a')).toBe(true);
    expect(t.client.unsubscribe('b')).toBe(true);
    let err: { code: number } | undefined;
    expect(t.client.subscribe('c', (e) => (err = e as never))).toBe(false);
    expect(err!.code).toBe(ClientErr.REQUESTS_FULL);
    expect(link.take().map((p) => p.cmd)).toEqual(['subscribe', 'unsubscribe']);
  });

  it('packet ids skip every id in use, and the search is bounded by how many are', () => {
    const t = setup({ window: 1000, outboxMessages: 2000, outboxBytes: 65535 });
    const link = t.online();
    link.drain();
    for (let i = 0; i < 1500; i++) t.client.publish('x', '', { qos: 1 });
    const ids = new Set<number>();
    for (let i = 0; i < 100; i++) {
      link.drain();
      for (const p of link.take('publish')) ids.add(p.messageId!);
    }
    expect(ids.size).toBe(1000); // the window
    // ack all but the first: the ids go round past 65535 and never reuse the one still in flight
    const held = [...ids][0];
    for (let round = 0; round < 70; round++) {
      for (const id of [...ids]) if (id !== held) (link.receive({ cmd: 'puback', messageId: id }), ids.delete(id));
      for (let i = 0; i < 1000; i++) t.client.publish('x', '', { qos: 1 });
      link.drain();
      for (const p of link.take('publish')) {
        expect(p.messageId).not.toBe(held);
        ids.add(p.messageId!);
      }
    }
    expect(ids.has(held)).toBe(true);
  });

  it('a request waiting for its SUBACK keeps its id while messages go one at a time past 65535', () => {
    const t = setup();
    const link = t.online();
    t.client.subscribe('a');
    const [s] = subs(link.take('subscribe'));
    // each message acknowledged before the next: the outbox is empty at every publish, the request is not
    for (let i = 0; i < 65536; i++) {
      t.client.publish('x', '', { qos: 1 });
      link.drain();
      const [p] = link.take('publish');
      expect(p.messageId).not.toBe(s.messageId);
      link.receive({ cmd: 'puback', messageId: p.messageId });
    }
    expect(t.errors()).toEqual([]);
  });
});

describe('options the board cannot honour', () => {
  const make = (o: Partial<Options>) => () => {
    const mock = mockTransport();
    const clock = fakeClock();
    createClient({ host: 'h', clock, transport: mock.transport, ...o } as Options);
    clock.advance(100);
    return mock.links.length;
  };
  for (const [name, bad] of [
    ['outboxBytes', { outboxBytes: 65536 }],
    ['outboxBytes', { outboxBytes: 2 }],
    ['rxBuffer', { rxBuffer: 4 }],
    ['txBuffer', { txBuffer: 100000 }],
    ['outboxMessages', { outboxMessages: -1 }],
    ['outboxMessages', { outboxMessages: 2.5 }],
    ['outboxMessages', { outboxMessages: 5462 }], // six views of 12 bytes a message: Espruino's offsets are 16 bits
    ['window', { window: 0.5 }],
    ['qos2Ids', { qos2Ids: NaN }],
    ['pendingRequests', { pendingRequests: 0 }],
    ['connectTimeout', { connectTimeout: -5 }],
    ['min', { reconnect: { min: 0.5 } }],
    ['factor', { reconnect: { factor: 0.5 } }],
    ['jitter', { reconnect: { jitter: 2 } }],
    ['window', { window: '8' as unknown as number }],
  ] as [string, Partial<Options>][]) {
    it(`refuses ${JSON.stringify(bad)} by name before opening anything`, () => {
      expect(make(bad)).toThrow(expect.objectContaining({ code: ClientErr.BAD_OPTION, message: expect.stringContaining(name) }));
    });
  }
  it('accepts reconnect: true as the default backoff', () => {
    expect(make({ reconnect: true as unknown as Options['reconnect'] })()).toBe(1);
  });
  it('accepts the largest buffers the board can address', () => {
    expect(make({ outboxBytes: 65535, rxBuffer: 65535, txBuffer: 65535, outboxMessages: 5461 })()).toBe(1);
  });
});
