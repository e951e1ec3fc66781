// MQTT 5.0 in the client (protocolVersion: 5), over the mocked socket: the broker side parses and generates
// 5.0 packets with mqtt-packet. Section numbers are those of the MQTT 5.0 standard.
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client';
import { ClientErr, type MqttError } from '../../src/client/errors';
import { Err } from '../../src/codec/constants';
import { setup } from './setup';

type Pub = { cmd: string; topic: string; payload: Buffer; qos: number; dup: boolean; retain: boolean; messageId?: number; properties?: Record<string, unknown> };
const pubs = (packets: unknown[]) => packets as Pub[];
const v5 = (opts: object = {}) => setup({ protocolVersion: 5, ...opts });
// The connection drops and the client comes back after its backoff: the new link, its CONNACK received.
function comeBack(t: ReturnType<typeof setup>, sessionPresent = false, properties?: object) {
  t.mock.last().close();
  t.clock.advance(60000);
  const link = t.mock.last();
  link.connack(0, sessionPresent, properties);
  return link;
}
const errs = (t: ReturnType<typeof setup>) => t.of('error').map((e) => e.args[0] as MqttError);
// When the next connection attempt is made, in ms after now.
function nextAttempt(t: ReturnType<typeof setup>): number {
  const before = t.mock.links.length;
  for (let ms = 0; ms <= 120000; ms += 100) {
    if (t.mock.links.length > before) return ms;
    t.clock.advance(100);
  }
  return -1;
}

describe('CONNECT (3.1 of 5.0)', () => {
  it('says protocol level 5 and carries the CONNECT and will properties', () => {
    const t = v5({
      clean: false,
      qos2Ids: 20,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 20, maximumPacketSize: 4096, topicAliasMaximum: 4, requestProblemInformation: true, userProperties: { site: 'lab' } },
      will: { topic: 'w', payload: 'gone', qos: 1, properties: { willDelayInterval: 10, messageExpiryInterval: 60, contentType: 'text/plain', responseTopic: 'r', correlationData: 'c', userProperties: { a: 'b' } } },
    });
    const link = t.online();
    const [c] = link.sent as unknown as { protocolVersion: number; clean: boolean; properties: object; will: { properties: object } }[];
    expect(c.protocolVersion).toBe(5);
    expect(c.clean).toBe(false);
    expect(c.properties).toEqual({ sessionExpiryInterval: 300, receiveMaximum: 20, maximumPacketSize: 4096, topicAliasMaximum: 4, requestProblemInformation: true, userProperties: { site: 'lab' } });
    expect(c.will.properties).toMatchObject({ willDelayInterval: 10, messageExpiryInterval: 60, contentType: 'text/plain', responseTopic: 'r', userProperties: { a: 'b' } });
  });

  it('announces a Receive Maximum of qos2Ids unless given one (the QoS 2 ids it remembers bound what may be unacknowledged)', () => {
    const link = v5({ qos2Ids: 5 }).online();
    expect((link.sent[0] as unknown as { properties: object }).properties).toEqual({ receiveMaximum: 5 });
    // more than it remembers is refused: a QoS 2 id the ring had overwritten could be delivered twice
    expect(() => v5({ qos2Ids: 5, properties: { receiveMaximum: 6 } })).toThrow(expect.objectContaining({ code: ClientErr.BAD_OPTION, message: expect.stringContaining('receiveMaximum must not exceed qos2Ids') }));
    expect(() => v5({ properties: { receiveMaximum: 17 } })).toThrow(expect.objectContaining({ code: ClientErr.BAD_OPTION }));
    expect(v5({ qos2Ids: 5, properties: { receiveMaximum: 3 } }).online().sent[0]).toMatchObject({ properties: { receiveMaximum: 3 } });
  });

  it('keeps copies of the properties it was given: a later change to them changes nothing', () => {
    const properties: Record<string, unknown> = { sessionExpiryInterval: 60 };
    const t = v5({ properties });
    properties.sessionExpiryInterval = -1;
    properties.topicAlias = 3;
    const link = t.online();
    expect((link.sent[0] as unknown as { properties: object }).properties).toEqual({ sessionExpiryInterval: 60, receiveMaximum: 16 });
  });

  it('refuses enhanced authentication (authenticationMethod), which it does not support', () => {
    expect(() => v5({ properties: { authenticationMethod: 'SCRAM-SHA-1' } })).toThrow(expect.objectContaining({ code: ClientErr.BAD_OPTION }));
  });

  it('refuses bad properties at connect(), naming the rule; protocolVersion only 4 or 5', () => {
    expect(() => v5({ properties: { topicAlias: 1 } })).toThrow(expect.objectContaining({ code: Err.BAD_PROPERTY }));
    expect(() => v5({ properties: { receiveMaximum: 0 } })).toThrow(expect.objectContaining({ code: Err.BAD_PROPERTY }));
    expect(() => setup({ protocolVersion: 6 })).toThrow(expect.objectContaining({ code: ClientErr.BAD_OPTION }));
    expect(() => setup({ protocolVersion: 3 })).toThrow(/protocolVersion/);
  });
});

describe('CONNACK (3.2 of 5.0)', () => {
  it('a refusal is reported by name with its reason code and Reason String; credentials refused wait the longest backoff', () => {
    const t = v5();
    t.clock.advance(0);
    t.mock.last().connack(0x87, false, { reasonString: 'no access to tenant' });
    const [e] = errs(t);
    expect(e.code).toBe(ClientErr.REFUSED + 5); // as 3.1.1's "not authorized"
    expect(e.reasonCode).toBe(0x87);
    expect(e.message).toBe('refused: not authorized: Not authorized (0x87): no access to tenant');
    expect(nextAttempt(t)).toBe(8000); // the longest wait, not 1000
  });

  it('a refusal 3.1.1 has no code for is REFUSED5; Server unavailable waits the usual backoff', () => {
    const t = v5();
    t.clock.advance(0);
    t.mock.last().connack(0x8a);
    expect(errs(t).map((e) => [e.code, e.reasonCode])).toEqual([[ClientErr.REFUSED5, 0x8a]]);
    expect(errs(t)[0].message).toBe('connection refused: Banned (0x8a)');
    expect(nextAttempt(t)).toBe(8000);
    const u = v5();
    u.clock.advance(0);
    u.mock.last().connack(0x88);
    expect(errs(u).map((e) => e.code)).toEqual([ClientErr.REFUSED + 3]);
    expect(nextAttempt(u)).toBe(1000);
  });

  it("the server's Receive Maximum caps the messages in flight (3.3.4)", () => {
    const t = v5({ window: 8 });
    const link = t.online(false, { receiveMaximum: 2 });
    for (let i = 0; i < 5; i++) t.client.publish('t', String(i), { qos: 1 });
    const sent = pubs(link.take('publish'));
    expect(sent.length).toBe(2);
    link.receive({ cmd: 'puback', messageId: sent[0].messageId, reasonCode: 0 });
    expect(pubs(link.take('publish')).length).toBe(1);
  });

  it("the server's Maximum Packet Size: a larger publish is refused before a byte is sent", () => {
    const t = v5();
    const link = t.online(false, { maximumPacketSize: 40 });
    let got: MqttError | undefined;
    expect(t.client.publish('t', 'x'.repeat(60), { qos: 1 }, (e) => (got = e as MqttError))).toBe(false);
    expect(got!.code).toBe(ClientErr.PACKET_TOO_LARGE);
    expect(link.take('publish')).toEqual([]);
    expect(t.client.queued()).toBe(0);
    expect(t.client.publish('t', 'x'.repeat(20))).toBe(true);
    expect(link.take('publish').length).toBe(1);
  });

  it("the server's Keep Alive replaces the client's (3.2.2.3.14)", () => {
    const t = v5({ keepalive: 60 });
    const link = t.online(false, { serverKeepAlive: 10 });
    t.clock.advance(10000);
    expect(link.take('pingreq').length).toBe(1);
  });

  it('an assigned client identifier is kept: the next CONNECT resumes the session under it', () => {
    const t = v5({ clientId: '', clean: false, properties: { sessionExpiryInterval: 600 } });
    const link = t.online(false, { assignedClientIdentifier: 'auto-7f3a' });
    expect((link.sent[0] as unknown as { clientId: string }).clientId).toBe('');
    link.close();
    t.clock.advance(60000);
    t.mock.last().open();
    expect((t.mock.last().sent[0] as unknown as { clientId: string }).clientId).toBe('auto-7f3a');
  });

  it('Maximum QoS and Retain Available are enforced on publish with named errors', () => {
    const t = v5();
    const link = t.online(false, { maximumQoS: 0, retainAvailable: false });
    const got: number[] = [];
    t.client.publish('t', 'a', { qos: 1 }, (e) => got.push((e as MqttError).code));
    t.client.publish('t', 'b', { retain: true }, (e) => got.push((e as MqttError).code));
    expect(got).toEqual([ClientErr.QOS_NOT_SUPPORTED, ClientErr.RETAIN_NOT_SUPPORTED]);
    expect(link.take('publish')).toEqual([]);
  });

  it("messages queued before the server's limits were known are dropped by them at CONNACK, with their reason", () => {
    const t = v5();
    const got: number[] = [];
    t.client.publish('t', 'q2', { qos: 2 }, (e) => got.push((e as MqttError).code));
    t.client.publish('t', 'r', { retain: true }, (e) => got.push((e as MqttError).code));
    t.client.publish('t', 'ok', { qos: 1 });
    const link = t.online(false, { maximumQoS: 1, retainAvailable: false });
    expect(got).toEqual([ClientErr.QOS_NOT_SUPPORTED, ClientErr.RETAIN_NOT_SUPPORTED]);
    expect(t.of('drop').map((d) => (d.args[0] as MqttError).code)).toEqual([ClientErr.QOS_NOT_SUPPORTED, ClientErr.RETAIN_NOT_SUPPORTED]);
    expect(pubs(link.take('publish')).map((p) => String(p.payload))).toEqual(['ok']);
  });

  it('a 3.1.1 server refusing the 5.0 CONNECT in its own 2-byte form: Unsupported Protocol Version, the longest wait', () => {
    const t = v5();
    t.clock.advance(0);
    t.mock.last().open();
    t.mock.last().receiveBytes(new Uint8Array([0x20, 2, 0, 1]));
    expect(errs(t).map((e) => [e.code, e.reasonCode])).toEqual([[ClientErr.REFUSED + 1, 0x84]]);
    expect(nextAttempt(t)).toBe(8000);
  });

  it('a message in flight is dropped at a resumed session when the new CONNACK allows its QoS no more', () => {
    const t = v5({ clean: false, properties: { sessionExpiryInterval: 600 } });
    let link = t.online();
    let got: MqttError | undefined;
    t.client.publish('t', 'q2', { qos: 2 }, (e) => (got = e as MqttError));
    expect(link.take('publish').length).toBe(1);
    link.close();
    t.clock.advance(60000);
    link = t.mock.last();
    link.connack(0, true, { maximumQoS: 1 });
    expect(got!.code).toBe(ClientErr.QOS_NOT_SUPPORTED);
    expect(link.take('publish')).toEqual([]);
  });

  it("(un)subscribe requests larger than the server's Maximum Packet Size are refused before a byte is sent", () => {
    const t = v5();
    const link = t.online(false, { maximumPacketSize: 30 });
    link.take();
    const got: number[] = [];
    t.client.subscribe('x'.repeat(40), (e) => got.push(e!.code));
    t.client.unsubscribe('y'.repeat(40), (e) => got.push((e as MqttError).code));
    expect(got).toEqual([ClientErr.PACKET_TOO_LARGE, ClientErr.PACKET_TOO_LARGE]);
    expect(link.take()).toEqual([]);
  });

  it("a request made before the CONNACK and larger than the server's Maximum Packet Size fails (52), never goes unanswered", () => {
    const t = v5();
    let got: MqttError | undefined;
    t.client.subscribe('x'.repeat(40), { qos: 1, handler: () => {} }, (e) => (got = e));
    const link = t.online(false, { maximumPacketSize: 30 });
    expect(got!.code).toBe(ClientErr.PACKET_TOO_LARGE);
    expect(link.take('subscribe')).toEqual([]);
    link.close();
    t.clock.advance(60000);
    t.mock.last().connack(0, false);
    expect(t.mock.last().take('subscribe')).toEqual([]); // not renewed
  });

  it('a message sent under a session the server kept is resent at a resumed session even past its expiry: expiry is then the server\'s', () => {
    const t = v5({ clean: false, properties: { sessionExpiryInterval: 600 } });
    let link = t.online();
    let got: unknown = 'pending';
    t.client.publish('t', 'm', { qos: 1, properties: { messageExpiryInterval: 5 } }, (e) => (got = e));
    const [first] = pubs(link.take('publish'));
    link = comeBack(t, true);
    const [again] = pubs(link.take('publish'));
    expect([again.messageId, again.dup]).toEqual([first.messageId, true]);
    link.receive({ cmd: 'puback', messageId: first.messageId, reasonCode: 0 });
    expect(got).toBeUndefined();
  });

  it("'connect' hands the CONNACK's properties", () => {
    const t = v5();
    t.online(false, { topicAliasMaximum: 3, sharedSubscriptionAvailable: true });
    expect(t.of('connect')[0].args.slice(0, 2)).toEqual([false, { topicAliasMaximum: 3, sharedSubscriptionAvailable: true }]);
  });
});

describe('PUBLISH properties (3.3.2.3)', () => {
  it('go out as given and come in on the message', () => {
    const t = v5();
    const link = t.online();
    const props = { payloadFormatIndicator: true, messageExpiryInterval: 30, contentType: 'application/json', responseTopic: 'reply/1', correlationData: new Uint8Array([1, 2]), userProperties: { k: ['v1', 'v2'], z: 'y' } };
    t.client.publish('t', '{}', { qos: 1, properties: props });
    const [p] = pubs(link.take('publish'));
    expect({ ...p.properties, correlationData: Array.from(p.properties!.correlationData as Buffer) }).toEqual({ ...props, correlationData: [1, 2] });
    link.receive({ cmd: 'publish', topic: 'in', payload: Buffer.from('x'), qos: 0, properties: { contentType: 'text/plain', userProperties: { a: 'b' }, subscriptionIdentifier: [3, 9] } });
    const [m] = t.of('message');
    expect((m.args[2] as { properties: object }).properties).toEqual({ contentType: 'text/plain', userProperties: { a: 'b' }, subscriptionIdentifier: [3, 9] });
  });

  it('refuses a Subscription Identifier or a Topic Alias in its properties (the client assigns aliases: topicAliases)', () => {
    const t = v5();
    t.online(false, { topicAliasMaximum: 5 });
    const got: number[] = [];
    t.client.publish('t', 'a', { properties: { subscriptionIdentifier: 2 } }, (e) => got.push((e as MqttError).code));
    t.client.publish('t', 'a', { properties: { topicAlias: 2 } }, (e) => got.push((e as MqttError).code));
    // a property of the wrong kind: refused with its code, not thrown (its size is an error code, less than 0)
    t.client.publish('t', 'a', { properties: { messageExpiryInterval: -1 } }, (e) => got.push((e as MqttError).code));
    expect(got).toEqual([Err.BAD_PROPERTY, Err.BAD_PROPERTY, Err.BAD_PROPERTY]);
  });

  it('one that expires while it waits behind the window on a live connection is not sent either', () => {
    const t = v5({ window: 1 });
    const link = t.online();
    const got: unknown[] = [];
    t.client.publish('t', 'A', { qos: 1 });
    t.client.publish('t', 'B', { qos: 1, properties: { messageExpiryInterval: 5 } }, (e) => got.push((e as MqttError).code));
    t.client.publish('t', 'C', { qos: 1 });
    const [a] = pubs(link.take('publish'));
    t.clock.advance(6000);
    link.receive({ cmd: 'puback', messageId: a.messageId, reasonCode: 0 });
    expect(got).toEqual([ClientErr.EXPIRED]);
    expect(pubs(link.take('publish')).map((p) => String(p.payload))).toEqual(['C']);
  });

  it('a queued message whose expiry passed while offline is not sent, and is reported with drop', () => {
    const t = v5();
    let got: MqttError | undefined;
    t.client.publish('t', 'stale', { qos: 1, properties: { messageExpiryInterval: 5 } }, (e) => (got = e as MqttError));
    t.client.publish('t', 'fresh', { qos: 1, properties: { messageExpiryInterval: 60 } });
    t.clock.advance(6000);
    const link = t.online();
    expect(got!.code).toBe(ClientErr.EXPIRED);
    expect(t.of('drop').map((d) => [(d.args[0] as MqttError).code, (d.args[0] as MqttError).topic])).toEqual([[ClientErr.EXPIRED, 't']]);
    expect(pubs(link.take('publish')).map((p) => String(p.payload))).toEqual(['fresh']);
  });
});

describe('topic aliases (3.3.2.3.4)', () => {
  it('inbound: an alias set with its topic is resolved later; an unknown one is a protocol error (DISCONNECT 0x94)', () => {
    const t = v5({ properties: { topicAliasMaximum: 2 } });
    const link = t.online();
    link.receive({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('1'), qos: 0, properties: { topicAlias: 1 } });
    link.receive({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, properties: { topicAlias: 1 } });
    expect(t.of('message').map((m) => [m.args[0], String(m.args[1])])).toEqual([['a/b', '1'], ['a/b', '2']]);
    link.receive({ cmd: 'publish', topic: '', payload: Buffer.from('3'), qos: 0, properties: { topicAlias: 2 } });
    expect(t.errors()).toEqual([ClientErr.TOPIC_ALIAS]);
    expect(link.take('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x94 })]);
    expect(link.ended).toBe(true);
    expect(t.of('message').length).toBe(2);
  });

  it('inbound: an alias above the maximum the client announced is a protocol error', () => {
    const t = v5({ properties: { topicAliasMaximum: 1 } });
    const link = t.online();
    link.receive({ cmd: 'publish', topic: 'x', payload: Buffer.from('1'), qos: 0, properties: { topicAlias: 2 } });
    expect(t.errors()).toEqual([ClientErr.TOPIC_ALIAS]);
    expect(link.ended).toBe(true);
  });

  it("outbound: assigned within the server's maximum, in a fixed table, new on each connection", () => {
    const t = v5({ topicAliases: 4 });
    let link = t.online(false, { topicAliasMaximum: 1 });
    t.client.publish('sensors/kitchen/temperature', '1');
    t.client.publish('sensors/kitchen/temperature', '2', { qos: 1 });
    t.client.publish('other', '3');
    let sent = pubs(link.take('publish'));
    expect(sent.map((p) => [p.topic, p.properties && p.properties.topicAlias])).toEqual([
      ['sensors/kitchen/temperature', 1],
      ['', 1],
      ['other', undefined], // the table (1 alias) is full
    ]);
    link.close();
    t.clock.advance(60000);
    link = t.mock.last();
    link.connack(0, false, { topicAliasMaximum: 1 });
    sent = pubs(link.take('publish'));
    // the QoS 1 message, resent from the outbox, carries its whole topic and no alias
    expect(sent.map((p) => [p.topic, p.properties && p.properties.topicAlias])).toEqual([['sensors/kitchen/temperature', undefined]]);
    link.receive({ cmd: 'puback', messageId: sent[0].messageId, reasonCode: 0 });
    t.client.publish('sensors/kitchen/temperature', '4');
    expect(pubs(link.take('publish')).map((p) => [p.topic, p.properties!.topicAlias])).toEqual([['sensors/kitchen/temperature', 1]]);
  });

  it('outbound: none when the server allows none', () => {
    const t = v5({ topicAliases: 4 });
    const link = t.online();
    t.client.publish('a', '1');
    t.client.publish('a', '2');
    expect(pubs(link.take('publish')).map((p) => p.topic)).toEqual(['a', 'a']);
  });
});

describe('acknowledgements with reason codes (3.4-3.7, 3.9, 3.11)', () => {
  it('a PUBACK with a failure code fails the publish by name; 0x10 (no matching subscribers) is success', () => {
    const t = v5();
    const link = t.online();
    const got: (MqttError | undefined)[] = [];
    t.client.publish('a', '1', { qos: 1 }, (e) => got.push(e as MqttError));
    t.client.publish('b', '2', { qos: 1 }, (e) => got.push(e as MqttError));
    const [a, b] = pubs(link.take('publish'));
    link.receive({ cmd: 'puback', messageId: a.messageId, reasonCode: 0x87, properties: { reasonString: 'acl' } });
    link.receive({ cmd: 'puback', messageId: b.messageId, reasonCode: 0x10 });
    expect(got[0]!.code).toBe(ClientErr.PUBLISH_REFUSED);
    expect(got[0]!.reasonCode).toBe(0x87);
    expect(got[0]!.message).toBe('publish refused: Not authorized (0x87): acl');
    expect(got[1]).toBeUndefined();
    expect(t.client.queued()).toBe(0);
    expect(link.ended).toBe(false);
  });

  it('a PUBCOMP with 0x92 (Packet Identifier not found) completes the message: no error during recovery (3.7.2.1)', () => {
    const t = v5();
    const link = t.online();
    const got: unknown[] = [];
    t.client.publish('a', '1', { qos: 2 }, (e) => got.push(e));
    const [a] = pubs(link.take('publish'));
    link.receive({ cmd: 'pubrec', messageId: a.messageId, reasonCode: 0 });
    link.receive({ cmd: 'pubcomp', messageId: a.messageId, reasonCode: 0x92 });
    expect(got).toEqual([undefined]);
    expect(t.client.queued()).toBe(0);
  });

  it('a PUBREC with a failure code ends the QoS 2 flow: no PUBREL (4.3.3)', () => {
    const t = v5();
    const link = t.online();
    let got: MqttError | undefined;
    t.client.publish('a', '1', { qos: 2 }, (e) => (got = e as MqttError));
    const [a] = pubs(link.take('publish'));
    link.receive({ cmd: 'pubrec', messageId: a.messageId, reasonCode: 0x97 });
    expect(got!.reasonCode).toBe(0x97);
    expect(link.take('pubrel')).toEqual([]);
    expect(t.client.queued()).toBe(0);
  });

  it('a refused acknowledgement for an id not in flight is a protocol violation (DISCONNECT 0x82)', () => {
    const t = v5();
    const link = t.online();
    link.receive({ cmd: 'puback', messageId: 9, reasonCode: 0x80 });
    expect(t.errors()).toEqual([ClientErr.PROTOCOL]);
    expect(link.take('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x82 })]);
  });

  it('SUBACK and UNSUBACK failure codes reach the callback by name; UNSUBACK 0x11 is no failure', () => {
    const t = v5();
    const link = t.online();
    let sub: [MqttError?, unknown?] = [];
    t.client.subscribe(['a', 'b'], { qos: 1 }, (e, g) => (sub = [e, g]));
    const [s] = link.take('subscribe') as unknown as { messageId: number }[];
    link.receive({ cmd: 'suback', messageId: s.messageId, granted: [1, 0xa2], properties: { reasonString: 'no wildcards' } });
    expect(sub[0]!.code).toBe(ClientErr.SUBSCRIBE_REFUSED);
    expect(sub[0]!.reasonCode).toBe(0xa2);
    expect(sub[0]!.message).toBe('subscription refused: b: Wildcard Subscriptions not supported (0xa2): no wildcards');
    expect(sub[1]).toEqual([{ topic: 'a', qos: 1 }, { topic: 'b', qos: 0xa2 }]);
    const un: (MqttError | undefined)[] = [];
    t.client.unsubscribe(['a'], (e) => un.push(e as MqttError));
    t.client.unsubscribe(['x'], (e) => un.push(e as MqttError));
    const [u1, u2] = link.take('unsubscribe') as unknown as { messageId: number }[];
    link.receive({ cmd: 'unsuback', messageId: u1.messageId, granted: [0x11] });
    link.receive({ cmd: 'unsuback', messageId: u2.messageId, granted: [0x87] });
    expect(un[0]).toBeUndefined();
    expect([un[1]!.code, un[1]!.reasonCode]).toEqual([ClientErr.UNSUBSCRIBE_REFUSED, 0x87]);
  });

  it('an UNSUBACK without a code per filter is a mismatch', () => {
    const t = v5();
    const link = t.online();
    t.client.unsubscribe(['a', 'b']);
    const [u] = link.take('unsubscribe') as unknown as { messageId: number }[];
    link.receive({ cmd: 'unsuback', messageId: u.messageId, granted: [0] });
    expect(t.errors()).toContain(ClientErr.ACK_MISMATCH);
  });
});

describe("the server's DISCONNECT (3.14)", () => {
  it("is reported by name, the connection closes, and the client reconnects by its policy", () => {
    const t = v5();
    const link = t.online();
    link.receive({ cmd: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'maintenance' } });
    expect(t.of('disconnect').map((d) => d.args[0])).toEqual([{ reasonCode: 0x8b, properties: { reasonString: 'maintenance' } }]);
    expect(errs(t).map((e) => [e.code, e.reasonCode, e.message])).toEqual([[ClientErr.DISCONNECTED, 0x8b, 'disconnected by the server: Server shutting down (0x8b): maintenance']]);
    expect(link.ended).toBe(true);
    expect(t.of('close').length).toBe(1);
    expect(nextAttempt(t)).toBe(1000);
  });

  it('no fast retry after "not authorized"; "use another server" moves to the next one', () => {
    const t = v5();
    t.online().receive({ cmd: 'disconnect', reasonCode: 0x87 });
    expect(nextAttempt(t)).toBe(8000);
    const u = v5({ servers: [{ host: 'one' }, { host: 'two' }] });
    u.online().receive({ cmd: 'disconnect', reasonCode: 0x9c });
    u.clock.advance(8000);
    expect(u.mock.last().to.host).toBe('two');
  });

  it('a normal disconnection (0) is no error', () => {
    const t = v5();
    t.online().receive({ cmd: 'disconnect', reasonCode: 0 });
    expect(t.errors()).toEqual([]);
    expect(t.of('close').length).toBe(1);
  });
});

describe("the client's DISCONNECT: end(force, { reasonCode, properties }, done) (3.14.2)", () => {
  it('carries the reason code and properties given, after the outbox drains, and ends as usual', () => {
    const t = v5({ properties: { sessionExpiryInterval: 60 } });
    const link = t.online();
    link.drain();
    const opts = { reasonCode: 4, properties: { sessionExpiryInterval: 0, reasonString: 'shutting down', userProperties: { why: 'update' } } };
    let ended = false;
    t.client.end(false, opts, () => (ended = true));
    opts.reasonCode = 0x80; // a copy was kept
    expect(link.take('disconnect')).toEqual([expect.objectContaining({ reasonCode: 4, properties: { sessionExpiryInterval: 0, reasonString: 'shutting down', userProperties: { why: 'update' } } })]);
    expect([link.ended, ended, t.of('end').length]).toEqual([true, true, 1]);
  });

  it('forced: at once; without options, the short DISCONNECT (no reason code, no properties)', () => {
    const t = v5();
    const link = t.online();
    t.client.end(true, { reasonCode: 0x80 });
    expect(link.take('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x80 })]);
    const u = v5();
    const other = u.online();
    other.drain();
    const before = other.bytes;
    u.client.end();
    expect(other.take('disconnect').length).toBe(1);
    expect(other.bytes - before).toBe(2); // e0 00
  });

  it('refuses what a client may not send, with an error, and does not end: a server-only code or property, a Session Expiry Interval CONNECT did not set', () => {
    const t = v5();
    const link = t.online();
    link.drain();
    t.client.end(false, { reasonCode: 0x8b }); // Server shutting down: the server's
    t.client.end(false, { reasonCode: 4.5 });
    t.client.end(false, { properties: { serverReference: 'other' } });
    t.client.end(false, { properties: { sessionExpiryInterval: 30 } }); // [MQTT-3.14.2-2]
    t.client.end(false, { properties: { topicAlias: 1 } }); // not a DISCONNECT property
    t.client.end(false, { properties: { reasonString: 'x'.repeat(600) } }); // larger than the transmit buffer
    expect(t.errors()).toEqual([Err.BAD_REASON, Err.BAD_REASON, Err.BAD_PROPERTY, Err.BAD_PROPERTY, Err.BAD_PROPERTY, Err.BUFFER_TOO_SHORT]);
    expect(link.take('disconnect')).toEqual([]);
    expect([t.client.connected, link.ended]).toEqual([true, false]);
    expect(t.client.publish('still', 'open', { qos: 1 })).toBe(true);
  });

  it('on a 3.1.1 connection the options are ignored, even wrong ones: 3.1.1\'s DISCONNECT has no room for them', () => {
    const t = setup({ protocolVersion: 4 });
    const link = t.online();
    link.drain();
    const before = link.bytes;
    let ended = false;
    t.client.end(false, { reasonCode: 0x8b, properties: { sessionExpiryInterval: 30 } }, () => (ended = true));
    expect(link.take('disconnect').length).toBe(1);
    expect(link.bytes - before).toBe(2);
    expect([ended, t.errors()]).toEqual([true, []]);
  });

  it('takes the forms MQTT.js takes: end(opts), end(opts, cb), end(false, undefined, cb)', () => {
    const forms: [string, (c: Client, cb: () => void) => void, number | undefined][] = [
      ['end(opts)', (c) => c.end({ reasonCode: 4 }), 4],
      ['end(opts, cb)', (c, cb) => c.end({ reasonCode: 0x80 }, cb), 0x80],
      ['end(false, undefined, cb)', (c, cb) => c.end(false, undefined, cb), 0],
      ['end(false, cb)', (c, cb) => c.end(false, cb), 0],
    ];
    for (const [form, call, rc] of forms) {
      const t = v5();
      const link = t.online();
      t.client.publish('q', 'kept', { qos: 1 }); // an orderly end waits for it: not forced
      const [p] = pubs(link.take('publish'));
      let ended = false;
      call(t.client, () => (ended = true));
      expect(link.take('disconnect'), form).toEqual([]);
      link.receive({ cmd: 'puback', messageId: p.messageId });
      link.drain();
      expect(link.take('disconnect'), form).toEqual([expect.objectContaining({ reasonCode: rc })]);
      if (form.includes('cb')) expect(ended, form).toBe(true);
      expect(t.of('drop'), form).toEqual([]);
    }
  });

  it('a refused end() hands its callback the error, and the client goes on', () => {
    const t = v5();
    const link = t.online();
    const got: unknown[] = [];
    t.client.end(false, { reasonCode: '4' as unknown as number }, ((e: { code: number }) => got.push(e.code)) as () => void);
    expect(got).toEqual([Err.BAD_REASON]);
    expect(t.errors()).toEqual([]);
    expect([t.client.connected, link.ended]).toEqual([true, false]);
  });

  it("leaves the properties out, keeping the reason code, where they would pass the server's Maximum Packet Size [MQTT-3.14.2-3] [MQTT-3.14.2-4]", () => {
    const t = v5();
    const link = t.online(false, { maximumPacketSize: 40 });
    link.drain();
    t.client.end(false, { reasonCode: 4, properties: { reasonString: 'x'.repeat(40) } });
    const [d] = link.take('disconnect') as unknown as { reasonCode: number; properties?: object }[];
    expect(d.reasonCode).toBe(4);
    expect(d.properties).toBeUndefined();
    const u = v5();
    const other = u.online(false, { maximumPacketSize: 40 });
    other.drain();
    u.client.end(false, { reasonCode: 4, properties: { reasonString: 'short' } });
    expect(other.take('disconnect')).toEqual([expect.objectContaining({ reasonCode: 4, properties: { reasonString: 'short' } })]);
  });
});

describe('subscription options and shared subscriptions (3.8.3.1, 4.8.2)', () => {
  it('No Local, Retain As Published, Retain Handling and a Subscription Identifier go out, and are renewed with the subscription', () => {
    const t = v5();
    let link = t.online();
    t.client.subscribe('a/#', { qos: 1, nl: true, rap: true, rh: 2, properties: { subscriptionIdentifier: 7 } });
    t.client.subscribe('b', { qos: 0 });
    t.client.subscribe('c', { qos: 0 });
    const [s, ...rest] = link.take('subscribe') as unknown as { messageId: number; subscriptions: object[]; properties: object }[];
    expect(s.subscriptions).toEqual([{ topic: 'a/#', qos: 1, nl: true, rap: true, rh: 2 }]);
    expect(s.properties).toEqual({ subscriptionIdentifier: 7 });
    for (const r of [s, ...rest]) link.receive({ cmd: 'suback', messageId: r.messageId, granted: [0] });
    link.close();
    t.clock.advance(60000);
    link = t.mock.last();
    link.connack(0, false);
    const renewed = link.take('subscribe') as unknown as { subscriptions: { topic: string }[]; properties?: object }[];
    // its own SUBSCRIBE (one identifier per SUBSCRIBE), the others packed together
    expect(renewed.map((r) => [r.subscriptions.map((x) => x.topic), r.properties])).toEqual([
      [['a/#'], { subscriptionIdentifier: 7 }],
      [['b', 'c'], undefined],
    ]);
  });

  it('refuses Retain Handling 3 and No Local on a shared subscription', () => {
    const t = v5();
    t.online();
    const got: number[] = [];
    t.client.subscribe('a', { rh: 3 }, (e) => got.push(e!.code));
    t.client.subscribe('b', { rh: 0.5 }, (e) => got.push(e!.code));
    t.client.subscribe('$share/g/a', { nl: true }, (e) => got.push(e!.code));
    // a QoS that is no QoS, whatever the options added to it (a string "0" plus no options makes "0000", which
    // the options byte's own check would take for 0)
    t.client.subscribe('c', { qos: '0' as never }, (e) => got.push(e!.code));
    t.client.subscribe('d', { qos: '1' as never, nl: true }, (e) => got.push(e!.code));
    t.client.subscribe('e', { qos: 0.5, rap: true }, (e) => got.push(e!.code));
    expect(got).toEqual([Err.BAD_QOS, Err.BAD_QOS, Err.BAD_QOS, Err.BAD_QOS, Err.BAD_QOS, Err.BAD_QOS]);
  });

  it("obeys the CONNACK's Wildcard Subscription, Shared Subscription and Subscription Identifier Available (3.2.2.3.11-13): refused before a byte is sent, never renewed into a DISCONNECT loop", () => {
    const t = v5();
    let link = t.online(false, { wildcardSubscriptionAvailable: false, sharedSubscriptionAvailable: false, subscriptionIdentifiersAvailable: false });
    const got: (number | undefined)[] = [];
    t.client.subscribe('a/+', { qos: 1 }, (e) => got.push(e && e.code));
    t.client.subscribe('a/#', { qos: 1 }, (e) => got.push(e && e.code));
    t.client.subscribe('$share/g/jobs', { qos: 1 }, (e) => got.push(e && e.code));
    t.client.subscribe('plain', { qos: 1, properties: { subscriptionIdentifier: 3 } }, (e) => got.push(e && e.code));
    expect(got).toEqual([ClientErr.WILDCARD_NOT_SUPPORTED, ClientErr.WILDCARD_NOT_SUPPORTED, ClientErr.SHARED_NOT_SUPPORTED, ClientErr.SUBSCRIPTION_ID_NOT_SUPPORTED]);
    expect(link.take('subscribe')).toEqual([]);
    // a plain filter goes out
    t.client.subscribe('plain', { qos: 1 });
    expect((link.take('subscribe') as unknown as { subscriptions: { topic: string }[] }[]).map((r) => r.subscriptions.map((x) => x.topic))).toEqual([['plain']]);
    // subscriptions made with a server that had them, renewed with one that has not: those fail by name and
    // are forgotten (not renewed again), the rest are renewed
    const u = v5();
    link = u.online();
    const failed: (number | undefined)[] = [];
    u.client.subscribe('w/+', { qos: 1 }, (e) => failed.push(e && e.code));
    u.client.subscribe('ok', { qos: 1 });
    for (const r of link.take('subscribe') as unknown as { messageId: number }[]) link.receive({ cmd: 'suback', messageId: r.messageId, granted: [1] });
    expect(failed).toEqual([undefined]);
    link = comeBack(u, false, { wildcardSubscriptionAvailable: false });
    expect((link.take('subscribe') as unknown as { subscriptions: { topic: string }[] }[]).map((r) => r.subscriptions.map((x) => x.topic))).toEqual([['ok']]);
    expect(u.errors().filter((c) => c !== ClientErr.CONNECT_TIMEOUT)).toEqual([ClientErr.WILDCARD_NOT_SUPPORTED]); // (comeBack waits past a connect timeout)
    link = comeBack(u, false, {});
    expect((link.take('subscribe') as unknown as { subscriptions: { topic: string }[] }[]).map((r) => r.subscriptions.map((x) => x.topic))).toEqual([['ok']]);
    // offline, the last server's limits are no longer the client's to apply: the next server may take it
    const w = v5();
    link = w.online(false, { wildcardSubscriptionAvailable: false });
    link.close();
    const offline: (number | undefined)[] = [];
    w.client.subscribe('x/#', { qos: 1 }, (e) => offline.push(e && e.code));
    w.clock.advance(1000);
    w.mock.last().connack(0, false, {});
    expect((w.mock.last().take('subscribe') as unknown as { subscriptions: { topic: string }[] }[]).map((r) => r.subscriptions.map((x) => x.topic))).toEqual([['x/#']]);
    expect(offline).toEqual([]);
  });

  it('a shared subscription dispatches to its handler by its filter, on 5.0 and on 3.1.1', () => {
    for (const version of [5, 4]) {
      const t = setup({ protocolVersion: version });
      const link = t.online();
      const seen: string[] = [];
      t.client.subscribe('$share/workers/jobs/+', { qos: 1, handler: (topic) => seen.push(topic) });
      link.receive({ cmd: 'publish', topic: 'jobs/7', payload: Buffer.from('x'), qos: 0 });
      link.receive({ cmd: 'publish', topic: 'other/7', payload: Buffer.from('x'), qos: 0 });
      expect(seen).toEqual(['jobs/7']);
    }
  });
});

describe('sessions (3.1.2.4, 3.1.2.11.2)', () => {
  it('Clean Start 0 with a Session Expiry Interval: a kept session resends in flight messages with DUP', () => {
    const t = v5({ clean: false, properties: { sessionExpiryInterval: 3600 } });
    let link = t.online();
    t.client.publish('t', 'm', { qos: 1 });
    const [first] = pubs(link.take('publish'));
    link = comeBack(t, true);
    const [again] = pubs(link.take('publish'));
    expect([again.messageId, again.dup]).toEqual([first.messageId, true]);
  });

  it('Session Present in reply to Clean Start 1 is the server\'s violation, as in 3.1.1', () => {
    const t = v5();
    t.online(true);
    expect(t.errors()).toEqual([ClientErr.SESSION_PRESENT]);
  });
});

describe('malformed input (4.13)', () => {
  it('the client says why with DISCONNECT 0x81 before closing, then reconnects', () => {
    const t = v5();
    const link = t.online();
    link.receiveBytes(new Uint8Array([0x40, 0x05, 0x00, 0x01, 0x00, 0x02, 0x26])); // a property cut short
    expect(t.errors()).toEqual([Err.BAD_LENGTH]);
    expect(link.take('disconnect')).toEqual([expect.objectContaining({ reasonCode: 0x81 })]);
    // closed gracefully, so that the DISCONNECT goes out (a forced close drops what the socket still holds)
    expect([link.ended, link.forced]).toEqual([true, false]);
    expect(nextAttempt(t)).toBe(1000);
  });

  it('on a link where what was written has waited a second, no DISCONNECT: the dead link is closed at once', () => {
    const t = v5({ keepalive: 0 });
    const link = t.online();
    link.drain();
    t.client.publish('t', 'x', { qos: 1 }); // written, never taken by the socket
    t.clock.advance(1500);
    link.receiveBytes(new Uint8Array([0x40, 0x05, 0x00, 0x01, 0x00, 0x02, 0x26]));
    expect(link.take('disconnect')).toEqual([]);
    expect([link.ended, link.forced]).toEqual([true, true]);
  });

  it('an AUTH, which a client that asked for no enhanced authentication never gets, closes the connection', () => {
    const t = v5();
    const link = t.online();
    link.receive({ cmd: 'auth', reasonCode: 0x18 });
    expect(t.errors()).toEqual([ClientErr.PROTOCOL]);
    expect(link.ended).toBe(true);
  });
});
