// The session rules (session.ts, beginSession): what of the client's state goes on depends on what the
// broker kept [MQTT-3.1.2-4] [MQTT-3.1.2-5] [MQTT-3.1.2-6] [MQTT-3.2.2-1..3].
import { describe, expect, it } from 'vitest';
import { ClientErr } from '../../src/client/errors';
import { setup } from './setup';

type Pub = { cmd: string; topic: string; payload: Buffer; qos: number; dup: boolean; messageId?: number };
const pubs = (packets: unknown[]) => packets as Pub[];

describe('a clean session is a new session [MQTT-3.1.2-6]', () => {
  it('sends unacknowledged QoS 1 messages again as new messages of the new session: DUP 0', () => {
    const t = setup({ window: 2 });
    let link = t.online();
    for (let i = 0; i < 3; i++) t.client.publish('r', String(i), { qos: 1 });
    const first = pubs(link.take('publish'));
    expect(first.map((p) => String(p.payload))).toEqual(['0', '1']);
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, false);
    const again = pubs(link.take('publish'));
    expect(again.map((p) => String(p.payload))).toEqual(['0', '1']);
    expect(again.every((p) => !p.dup)).toBe(true);
  });

  it('never reports a QoS 2 message that had reached PUBREC as delivered on a PUBCOMP alone: it starts again from PUBLISH', () => {
    const t = setup();
    let link = t.online();
    let done: unknown = 'not called';
    t.client.publish('two', 'x', { qos: 2 }, (e) => (done = e));
    const [p] = pubs(link.take('publish'));
    link.receive({ cmd: 'pubrec', messageId: p.messageId });
    expect(link.take().map((x) => x.cmd)).toEqual(['pubrel']);
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, false);
    // not a PUBREL the new session knows nothing of: the message again, as new
    const [again] = pubs(link.take('publish'));
    expect(again).toMatchObject({ topic: 'two', qos: 2, dup: false });
    expect(link.sent.filter((x) => x.cmd === 'pubrel')).toEqual([]);
    expect(done).toBe('not called');
    link.receive({ cmd: 'pubrec', messageId: again.messageId });
    link.receive({ cmd: 'pubcomp', messageId: again.messageId });
    expect(done).toBeUndefined();
    expect(t.client.queued()).toBe(0);
  });

  it('treats Session Present = 1 after a clean CONNECT as the broker\'s violation: reported, and the session is new [MQTT-3.2.2-1]', () => {
    const t = setup();
    let link = t.online();
    t.client.subscribe('cmd/#', { qos: 1 });
    const [sub] = link.take('subscribe');
    link.receive({ cmd: 'suback', messageId: sub.messageId, granted: [1] });
    // a QoS 2 message received, its PUBREL not yet
    link.receive({ cmd: 'publish', topic: 'cmd/a', payload: Buffer.from('1'), qos: 2, messageId: 7 });
    expect(t.of('message').length).toBe(1);
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true);
    expect(t.errors()).toContain(ClientErr.SESSION_PRESENT);
    expect(t.of('connect').map((e) => e.args[0])).toEqual([false, false]); // the application is told: new
    expect(link.ended).toBe(false);
    // subscriptions renewed, received QoS 2 ids forgotten
    expect(link.take('subscribe').map((p) => (p as unknown as { subscriptions: { topic: string }[] }).subscriptions.map((s) => s.topic))).toEqual([['cmd/#']]);
    link.receive({ cmd: 'publish', topic: 'cmd/a', payload: Buffer.from('1'), qos: 2, messageId: 7 });
    expect(t.of('message').length).toBe(2);
  });
});

describe('a kept session (clean: false)', () => {
  it('with Session Present = 1 resends in order with DUP set and the same ids, and PUBREL for released QoS 2 [MQTT-4.4.0-1]', () => {
    const t = setup({ clean: false });
    let link = t.online();
    t.client.publish('a', '1', { qos: 1 });
    t.client.publish('b', '2', { qos: 2 });
    t.client.publish('c', '3', { qos: 1 });
    const sent = pubs(link.take('publish'));
    link.receive({ cmd: 'pubrec', messageId: sent[1].messageId });
    link.take();
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true);
    const again = link.take().slice(1) as unknown as Pub[];
    expect(again.map((p) => `${p.cmd} ${p.messageId} ${p.dup ? 'dup' : ''}`.trim())).toEqual([
      `publish ${sent[0].messageId} dup`,
      `pubrel ${sent[1].messageId}`,
      `publish ${sent[2].messageId} dup`,
    ]);
    expect(t.errors()).toEqual([]);
  });

  it('a message resent with DUP to a kept session goes as new (DUP 0) to a session the broker then lost', () => {
    const t = setup({ clean: false });
    let link = t.online();
    t.client.publish('a', '1', { qos: 1 });
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, true);
    expect((link.take('publish') as unknown as Pub[]).map((p) => p.dup)).toEqual([true]);
    link.close();
    t.clock.advance(2000);
    link = t.mock.last();
    link.connack(0, false);
    expect((link.take('publish') as unknown as Pub[]).map((p) => p.dup)).toEqual([false]);
  });

  it('with Session Present = 0 (the broker lost it) starts over as with a clean session', () => {
    const t = setup({ clean: false });
    let link = t.online();
    t.client.subscribe('s', { qos: 1 });
    const [sub] = link.take('subscribe');
    link.receive({ cmd: 'suback', messageId: sub.messageId, granted: [1] });
    t.client.publish('b', '2', { qos: 2 });
    const [p] = pubs(link.take('publish'));
    link.receive({ cmd: 'pubrec', messageId: p.messageId });
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, false);
    expect(link.take().map((x) => x.cmd)).toEqual(['connect', 'subscribe', 'publish']);
    expect(t.errors()).toEqual([]);
  });
});

describe("offlineQos0: 'drop': a QoS 0 message is for the connection it was published on", () => {
  // Published while connected but still queued (the socket had not taken what was written before) when the
  // connection is lost: with 'drop' it is reported, code 36, never sent on the next connection; QoS 1 still is.
  function lostWithQueue(opts: object) {
    const t = setup({ txBuffer: 64, ...opts });
    let link = t.online();
    link.drain(); // the CONNECT is out
    t.client.publish('big', 'x'.repeat(50)); // written; the socket has not drained
    t.client.publish('zero', 'a');
    t.client.publish('one', 'b', { qos: 1 });
    t.client.publish('zero', 'c');
    expect(pubs(link.take('publish')).map((p) => p.topic)).toEqual(['big']);
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack(0, false);
    return { t, sent: pubs(link.take('publish')).map((p) => p.topic + ':' + String(p.payload)) };
  }

  it('drops the QoS 0 messages left queued at the loss, reports each, and still sends the QoS 1 one', () => {
    const { t, sent } = lostWithQueue({ offlineQos0: 'drop' });
    expect(sent).toEqual(['one:b']);
    expect(t.of('drop').map((e) => e.args[0])).toMatchObject([
      { code: ClientErr.OFFLINE, topic: 'zero', qos: 0 },
      { code: ClientErr.OFFLINE, topic: 'zero', qos: 0 },
    ]);
    expect(t.client.queued()).toBe(1); // the QoS 1 message, until its PUBACK
  });

  it("sends them on the next connection by default ('queue')", () => {
    const { t, sent } = lostWithQueue({});
    expect(sent).toEqual(['zero:a', 'one:b', 'zero:c']);
    expect(t.of('drop')).toEqual([]);
  });
});
