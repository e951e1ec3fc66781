// Publishing: the outbox, the in-flight window, resends, offline queueing, overflow, backpressure, bad input.
import { describe, expect, it } from 'vitest';
import { ClientErr } from '../../src/client/errors';
import { Err } from '../../src/codec/constants';
import { setup } from './setup';

type Pub = { cmd: string; topic: string; payload: Buffer; qos: number; dup: boolean; retain: boolean; messageId?: number };
const pubs = (packets: unknown[]) => packets as Pub[];
const bodies = (packets: unknown[]) => pubs(packets).map((p) => String(p.payload));

describe('publishing QoS 0', () => {
  it('writes the message at once when online, and calls back', () => {
    const t = setup();
    const link = t.online();
    let done = false;
    expect(t.client.publish('a/b', 'hi', { retain: true }, () => (done = true))).toBe(true);
    const [p] = pubs(link.take('publish'));
    expect(p).toMatchObject({ topic: 'a/b', qos: 0, retain: true, dup: false });
    expect(String(p.payload)).toBe('hi');
    expect(done).toBe(true);
    expect(t.client.queued()).toBe(0);
  });

  it('never overtakes a message queued before it: a QoS 0 publish waits behind QoS 1 held by the window', () => {
    const t = setup({ window: 1 });
    const link = t.online();
    t.client.publish('t', 'A', { qos: 1 }); // in flight
    t.client.publish('t', 'B', { qos: 1 }); // waits for the window
    t.client.publish('t', 'C'); // QoS 0, after B
    const [a] = pubs(link.take('publish'));
    expect(String(a.payload)).toBe('A');
    link.receive({ cmd: 'puback', messageId: a.messageId });
    expect(bodies(link.take('publish'))).toEqual(['B', 'C']);
  });

  it('sends text as UTF-8 and a Uint8Array as its bytes; numbers as their string form', () => {
    const t = setup();
    const link = t.online();
    t.client.publish('t/\u00e9\u20ac', 'caf\u00e9 \ud83d\ude00');
    t.client.publish('t', new Uint8Array([0, 255, 128]));
    t.client.publish('t', 21.5);
    const [a, b, c] = pubs(link.take('publish'));
    expect(a.topic).toBe('t/\u00e9\u20ac');
    expect(a.payload.toString('utf8')).toBe('caf\u00e9 \ud83d\ude00');
    expect(Array.from(b.payload)).toEqual([0, 255, 128]);
    expect(String(c.payload)).toBe('21.5');
  });

  it('queues while offline and flushes in order on connect, with QoS 0 and DUP 0 [MQTT-4.3.1-1]', () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.client.publish('q', String(i));
    expect(t.client.queued()).toBe(5);
    const link = t.online();
    const sent = pubs(link.take('publish'));
    expect(bodies(sent)).toEqual(['0', '1', '2', '3', '4']);
    expect(sent.every((p) => p.qos === 0 && !p.dup)).toBe(true);
    expect(t.client.queued()).toBe(0);
  });

  it('drops offline QoS 0 messages when told to, and says so', () => {
    const t = setup({ offlineQos0: 'drop' });
    let err: { code: number } | undefined;
    expect(t.client.publish('q', 'x', (e) => (err = e as never))).toBe(false);
    expect(err).toMatchObject({ code: ClientErr.OFFLINE });
    expect(t.of('drop').length).toBe(1);
    expect(t.of('drop')[0].args[0]).toMatchObject({ code: ClientErr.OFFLINE, topic: 'q', qos: 0 });
    expect(t.client.queued()).toBe(0);
  });
});

describe('publishing QoS 1 and 2', () => {
  it('keeps a QoS 1 message until PUBACK, then calls back', () => {
    const t = setup();
    const link = t.online();
    let done = 0;
    t.client.publish('a', 'x', { qos: 1 }, () => done++);
    const [p] = pubs(link.take('publish'));
    expect(p.qos).toBe(1);
    expect(p.messageId).toBeGreaterThan(0);
    expect(t.client.queued()).toBe(1);
    expect(done).toBe(0);
    link.receive({ cmd: 'puback', messageId: p.messageId });
    expect(t.client.queued()).toBe(0);
    expect(done).toBe(1);
  });

  it('has at most `window` messages in flight; each PUBACK lets the next one go', () => {
    const t = setup({ window: 3 });
    const link = t.online();
    for (let i = 0; i < 6; i++) t.client.publish('w', String(i), { qos: 1 });
    let sent = pubs(link.take('publish'));
    expect(bodies(sent)).toEqual(['0', '1', '2']);
    link.receive({ cmd: 'puback', messageId: sent[0].messageId });
    sent = pubs(link.take('publish'));
    expect(bodies(sent)).toEqual(['3']);
  });

  it('resends every unacknowledged message to a kept session, in the original order, with DUP set and the same id [MQTT-3.3.1-1] [MQTT-4.6.0-1] [MQTT-2.3.1-3] [MQTT-4.3.2-1]', () => {
    const t = setup({ window: 2, clean: false });
    let link = t.online();
    for (let i = 0; i < 4; i++) t.client.publish('r', String(i), { qos: 1 });
    const first = pubs(link.take('publish'));
    expect(bodies(first)).toEqual(['0', '1']);
    link.receive({ cmd: 'puback', messageId: first[0].messageId });
    link.take();
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true);
    const again = pubs(link.take('publish'));
    expect(bodies(again)).toEqual(['1', '2']);
    expect(again[0]).toMatchObject({ dup: true, messageId: first[1].messageId });
    expect(again[1].dup).toBe(true);
    link.receive({ cmd: 'puback', messageId: again[0].messageId });
    const next = pubs(link.take('publish'));
    expect(bodies(next)).toEqual(['3']);
    expect(next[0].dup).toBe(false);
  });

  it('uses packet ids 1..65535, never 0, never one still in flight [MQTT-2.3.1-1] [MQTT-2.3.1-2]', () => {
    const t = setup({ window: 4, outboxMessages: 8 });
    const link = t.online();
    t.client.publish('held', 'x', { qos: 1 }); // stays in flight throughout
    const held = pubs(link.take('publish'))[0].messageId!;
    const seen = new Set<number>();
    for (let i = 0; i < 70000; i++) {
      t.client.publish('p', 'y', { qos: 1 });
      const [p] = pubs(link.take('publish'));
      expect(p.messageId).not.toBe(held);
      expect(p.messageId).toBeGreaterThanOrEqual(1);
      expect(p.messageId).toBeLessThanOrEqual(65535);
      seen.add(p.messageId!);
      link.receive({ cmd: 'puback', messageId: p.messageId });
      link.drain();
    }
    expect(seen.size).toBe(65534);
  });

  it('gives packet ids in turn, and round again after 65535, one message at a time or several in flight, with or without a request waiting', () => {
    for (const [inFlight, request] of [[1, false], [3, false], [1, true]] as const) {
      const t = setup({ window: 4, outboxMessages: 8 });
      const link = t.online();
      let sub = 0;
      if (request) {
        t.client.subscribe('a'); // never acknowledged: its id stays in use
        sub = (link.take('subscribe') as { messageId: number }[])[0].messageId;
      }
      const got: number[] = [];
      for (let i = 0; i < 65535 * 2 + 10; i++) {
        t.client.publish('p', 'y', { qos: 1 });
        got.push(...pubs(link.take('publish')).map((p) => p.messageId!));
        // the oldest acknowledged once inFlight are out
        if (got.length >= inFlight) link.receive({ cmd: 'puback', messageId: got[got.length - inFlight] });
        link.drain();
      }
      const want: number[] = [];
      for (let id = 0; want.length < got.length; id = (id % 65535) + 1) if (id && id !== sub) want.push(id);
      expect(got).toEqual(want);
      expect(t.errors()).toEqual([]);
    }
  });

  it('completes QoS 2: PUBLISH, PUBREC, PUBREL, PUBCOMP [MQTT-4.3.3-1]', () => {
    const t = setup();
    const link = t.online();
    let done = 0;
    t.client.publish('two', 'x', { qos: 2 }, () => done++);
    const [p] = pubs(link.take('publish'));
    expect(p.qos).toBe(2);
    link.receive({ cmd: 'pubrec', messageId: p.messageId });
    expect(link.take()).toEqual([expect.objectContaining({ cmd: 'pubrel', messageId: p.messageId })]);
    expect(done).toBe(0);
    link.receive({ cmd: 'pubcomp', messageId: p.messageId });
    expect(done).toBe(1);
    expect(t.client.queued()).toBe(0);
  });

  it('resends PUBREL, not PUBLISH, for a released QoS 2 message to a kept session [MQTT-4.4.0-1]', () => {
    const t = setup({ clean: false });
    let link = t.online();
    t.client.publish('two', 'x', { qos: 2 });
    const [p] = pubs(link.take('publish'));
    link.receive({ cmd: 'pubrec', messageId: p.messageId });
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true);
    expect(link.take().map((x) => x.cmd)).toEqual(['connect', 'pubrel']);
    link.receive({ cmd: 'pubcomp', messageId: p.messageId });
    expect(t.client.queued()).toBe(0);
  });

  it('closes the connection on an acknowledgement for an id it never sent, then reconnects', () => {
    const t = setup();
    const link = t.online();
    link.receive({ cmd: 'puback', messageId: 999 });
    expect(t.errors()).toEqual([ClientErr.PROTOCOL]);
    expect(link.ended).toBe(true);
    t.clock.advance(1000);
    expect(t.mock.links.length).toBe(2);
  });

  it('and on a second PUBACK for a message already acknowledged, keeping the one still in flight', () => {
    const t = setup();
    const link = t.online();
    t.client.publish('t', 'a', { qos: 1 });
    t.client.publish('t', 'b', { qos: 1 });
    const [a] = link.take('publish');
    link.receive({ cmd: 'puback', messageId: a.messageId });
    expect(t.client.queued()).toBe(1);
    link.receive({ cmd: 'puback', messageId: a.messageId }); // its slot, left behind the oldest, is free
    expect(t.errors()).toEqual([ClientErr.PROTOCOL]);
    expect(link.ended).toBe(true);
    expect(t.client.queued()).toBe(1);
  });
});

describe('the outbox bounds', () => {
  it('drops the oldest queued message when full (drop-oldest), reporting it', () => {
    const t = setup({ outboxMessages: 3 });
    const results: string[] = [];
    for (let i = 0; i < 5; i++) t.client.publish('o', String(i), { qos: 1 }, (e) => results.push(`${i}:${e ? 'dropped' : 'ok'}`));
    expect(t.client.queued()).toBe(3);
    expect(results).toEqual(['0:dropped', '1:dropped']);
    expect(t.of('drop').map((e) => e.args[0])).toEqual([
      expect.objectContaining({ code: ClientErr.OUTBOX_FULL, topic: 'o', qos: 1 }),
      expect.objectContaining({ code: ClientErr.OUTBOX_FULL, topic: 'o', qos: 1 }),
    ]);
    const link = t.online();
    expect(bodies(link.take('publish'))).toEqual(['2', '3', '4']);
  });

  it('refuses the new message when full (reject-new), leaving the outbox as it was', () => {
    const t = setup({ outboxMessages: 2, overflow: 'reject-new' });
    t.client.publish('o', 'a', { qos: 1 });
    t.client.publish('o', 'b', { qos: 1 });
    let err: { code: number } | undefined;
    expect(t.client.publish('o', 'c', { qos: 1 }, (e) => (err = e as never))).toBe(false);
    expect(err!.code).toBe(ClientErr.OUTBOX_FULL);
    expect(t.of('drop').length).toBe(1);
    const link = t.online();
    expect(bodies(link.take('publish'))).toEqual(['a', 'b']);
  });

  it('bounds the outbox by bytes as well as by count', () => {
    const t = setup({ outboxBytes: 100, outboxMessages: 50, overflow: 'reject-new' });
    let accepted = 0;
    for (let i = 0; i < 50; i++) t.client.publish('b', 'x'.repeat(20), { qos: 1 }, (e) => e || accepted++);
    t.online();
    for (const p of t.mock.last().take('publish')) t.mock.last().receive({ cmd: 'puback', messageId: p.messageId });
    expect(accepted).toBe(3); // 27-byte packets in 100 bytes
    expect(t.client.queued()).toBe(0);
  });

  it('refuses a message larger than the whole outbox without evicting anything', () => {
    const t = setup({ outboxBytes: 64, txBuffer: 256 });
    t.client.publish('small', 'a', { qos: 1 });
    let err: { code: number } | undefined;
    expect(t.client.publish('big', 'x'.repeat(100), { qos: 1 }, (e) => (err = e as never))).toBe(false);
    expect(err!.code).toBe(Err.BUFFER_TOO_SHORT);
    expect(t.client.queued()).toBe(1);
    expect(t.of('drop')).toEqual([]);
  });

  it('never gives up a message in flight to make room', () => {
    const t = setup({ outboxMessages: 2, window: 2 });
    const link = t.online();
    t.client.publish('f', 'a', { qos: 1 });
    t.client.publish('f', 'b', { qos: 1 });
    expect(t.client.publish('f', 'c', { qos: 1 })).toBe(false);
    const sent = pubs(link.take('publish'));
    link.receive({ cmd: 'puback', messageId: sent[0].messageId }, { cmd: 'puback', messageId: sent[1].messageId });
    expect(t.errors()).toEqual([]);
  });

  it('keeps bounded and in order through a long outage with publishes continuing', () => {
    const t = setup({ outboxMessages: 10, outboxBytes: 400 });
    for (let i = 0; i < 1000; i++) t.client.publish('long', String(i), { qos: i % 2 });
    expect(t.client.queued()).toBeLessThanOrEqual(10);
    expect(t.of('drop').length).toBe(1000 - t.client.queued());
    const link = t.online();
    const got = bodies(link.take('publish')).map(Number);
    expect(got).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999].slice(10 - got.length));
  });
});

describe('backpressure', () => {
  it('never writes more than one transmit buffer ahead of the socket; drain lets more go', () => {
    const t = setup({ txBuffer: 64, outboxMessages: 32, outboxBytes: 2048 });
    const link = t.online();
    link.drain();
    link.take();
    const before = link.bytes;
    for (let i = 0; i < 20; i++) t.client.publish('bp', 'x'.repeat(20)); // 26-byte packets
    expect(link.bytes - before).toBeLessThanOrEqual(64);
    expect(t.client.queued()).toBe(18);
    let rounds = 0;
    while (t.client.queued() && rounds++ < 50) {
      const was = link.bytes;
      link.drain();
      expect(link.bytes - was).toBeLessThanOrEqual(64);
    }
    expect(bodies(link.take('publish')).length).toBe(20);
  });

  it('QoS 1 too: a publish the window allows still waits for the socket', () => {
    const t = setup({ txBuffer: 64, outboxMessages: 32, outboxBytes: 2048, window: 32 });
    const link = t.online();
    link.drain();
    link.take();
    const before = link.bytes;
    for (let i = 0; i < 20; i++) t.client.publish('bp', 'x'.repeat(18), { qos: 1 }); // 26-byte packets
    expect(link.bytes - before).toBeLessThanOrEqual(64);
    expect(bodies(link.take('publish')).length).toBe(2);
    let rounds = 0;
    while (link.bytes - before < 20 * 26 && rounds++ < 50) {
      const was = link.bytes;
      link.drain();
      expect(link.bytes - was).toBeLessThanOrEqual(64);
    }
    expect(bodies(link.take('publish')).length).toBe(18);
  });

  it('a small QoS 1 message never overtakes a larger one that the socket holds back', () => {
    const t = setup({ txBuffer: 64, outboxBytes: 2048, window: 8 });
    const link = t.online();
    link.drain();
    link.take();
    t.client.publish('o', 'A'.repeat(40), { qos: 1 }); // written
    t.client.publish('o', 'B'.repeat(40), { qos: 1 }); // held: two would be more than 64 bytes ahead
    t.client.publish('o', 'C', { qos: 1 }); // would fit beside A, but comes after B
    expect(bodies(link.take('publish')).map((b) => b.charAt(0))).toEqual(['A']);
    link.drain();
    link.drain();
    expect(bodies(link.take('publish')).map((b) => b.charAt(0))).toEqual(['B', 'C']);
  });
});

describe('bad input is refused before a byte is sent, the outbox unchanged', () => {
  const cases: [string, unknown[], number][] = [
    ['a wildcard topic', ['a/+', 'x'], Err.TOPIC_WILDCARD],
    ['a # topic', ['a/#', 'x'], Err.TOPIC_WILDCARD],
    ['an empty topic', ['', 'x'], Err.TOPIC_EMPTY],
    ['a topic over 65535 bytes', ['t'.repeat(65536), 'x'], Err.STRING_TOO_LONG],
    ['U+0000 in the topic', ['a\0b', 'x'], Err.NUL_CHAR],
    ['ill-formed UTF-16 text (a lone surrogate)', ['a\ud800', 'x'], Err.BAD_UTF8],
    ['QoS 3', ['t', 'x', { qos: 3 }], Err.BAD_QOS],
    ['a payload larger than the transmit buffer', ['t', 'x'.repeat(600)], Err.BUFFER_TOO_SHORT],
  ];
  it.each(cases)('%s', (_name, args, code) => {
    const t = setup();
    const link = t.online();
    t.client.publish('keep', 'me', { qos: 1 });
    link.take();
    let err: { code: number } | undefined;
    const ok = (t.client.publish as (...a: unknown[]) => boolean)(...args, (e: never) => (err = e));
    expect(ok).toBe(false);
    expect(err!.code).toBe(code);
    expect(link.take()).toEqual([]);
    expect(t.client.queued()).toBe(1);
  });

  it('a bad QoS takes no packet id: the next message gets the id it would have had', () => {
    const t = setup();
    const link = t.online();
    link.take();
    t.client.publish('t', 'x', { qos: 3 as never });
    t.client.publish('t', 'y', { qos: 1 });
    expect(link.take('publish').map((p) => p.messageId)).toEqual([1]);
  });

  it('without a callback the refusal goes to the error event', () => {
    const t = setup();
    t.online();
    t.client.publish('a/#', 'x');
    expect(t.errors()).toEqual([Err.TOPIC_WILDCARD]);
  });

  it('after end() publishing is refused', () => {
    const t = setup();
    t.online();
    t.client.end(true);
    let err: { code: number } | undefined;
    expect(t.client.publish('a', 'x', (e) => (err = e as never))).toBe(false);
    expect(err!.code).toBe(ClientErr.CLOSED);
  });
});
