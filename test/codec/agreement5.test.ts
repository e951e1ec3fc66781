// MQTT 5.0: our codec against mqtt-packet with protocolVersion 5, on generated packets: byte for byte on what
// a client sends, field for field on what it receives (reason codes and properties included).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { Type, encodeAck, encodeConnect, encodeEmpty, encodePublish, encodeSubscribe, fromBytes, toBytes } from '../../src/codec/index';
import { decodeAll, encoded } from '../helpers/codec';
import { packetId, payload, qos, text, topicFilter, topicName } from './arbitraries';

const v5 = { protocolVersion: 5 } as const;
const reference = (packet: object) => mqttPacket.generate(packet as mqttPacket.Packet, v5).toString('hex');
const hex = (u8: Uint8Array) => Buffer.from(u8).toString('hex');

// Property values as mqtt-packet takes and gives them.
const u16 = fc.integer({ min: 1, max: 65535 });
const u32 = fc.integer({ min: 0, max: 4294967295 });
const key = text(8).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k));
// (mqtt-packet's parser makes no list of a repeated name whose first value is empty: repeats are not empty here)
const userProperties = fc.dictionary(key, fc.oneof(text(8), fc.array(text(6).filter((v) => v.length > 0), { minLength: 2, maxLength: 3 })), { minKeys: 1, maxKeys: 3 });
const binary = fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b));
// A record of some of the given properties (mqtt-packet writes them in the object's order, as we do).
const someOf = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(fields, { requiredKeys: [] }).map((p) => (Object.keys(p).length ? p : undefined));

const publishFields = {
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  topicAlias: u16,
  responseTopic: topicName,
  correlationData: binary,
  userProperties,
  contentType: text(12),
};
const publishProps = someOf(publishFields);
const connectProps = someOf({
  sessionExpiryInterval: u32,
  receiveMaximum: u16,
  maximumPacketSize: fc.integer({ min: 1, max: 4294967295 }),
  topicAliasMaximum: fc.integer({ min: 0, max: 65535 }),
  requestResponseInformation: fc.boolean(),
  requestProblemInformation: fc.boolean(),
  userProperties,
  authenticationMethod: text(10),
  authenticationData: binary,
});
const willProps = someOf({
  willDelayInterval: u32,
  payloadFormatIndicator: fc.boolean(),
  messageExpiryInterval: u32,
  contentType: text(10),
  responseTopic: topicName,
  correlationData: binary,
  userProperties,
});
const ackProps = someOf({ reasonString: text(20), userProperties });

// mqtt-packet hands binary properties back as Buffers, we as Buffers too on Node: compare as arrays.
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v)) o[k] = plain((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}
const bytes = (o: unknown) => toBytes(String(o));

describe('MQTT 5.0 encoders agree with mqtt-packet byte for byte', () => {
  it('CONNECT with properties, a will with its properties, username and password', () => {
    const will = fc.option(fc.record({ topic: topicName, payload, qos, retain: fc.boolean(), properties: willProps }), { nil: undefined });
    fc.assert(
      fc.property(text(23), fc.integer({ min: 0, max: 65535 }), fc.boolean(), connectProps, will, fc.option(text(), { nil: undefined }), fc.option(binary, { nil: undefined }), (clientId, keepalive, clean, props, w, user, pass) => {
        // mqtt-packet refuses an empty id without clean start and a password alone, which 5.0 allows (3.1.3.1, 3.1.2.9)
        fc.pre((clean || clientId.length > 0) && (pass == null || user != null));
        const ours = encoded((buf) =>
          encodeConnect(buf, {
            version: 5,
            clientId: toBytes(clientId),
            keepalive,
            clean,
            properties: props,
            will: w && { topic: toBytes(w.topic), payload: w.payload, qos: w.qos, retain: w.retain, properties: w.properties },
            username: user == null ? undefined : bytes(user),
            password: pass,
          }),
        );
        const theirs = reference({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clientId,
          keepalive,
          clean,
          properties: props,
          will: w && { ...w, payload: Buffer.from(w.payload) },
          username: user,
          password: pass,
        });
        expect(hex(ours)).toBe(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it('PUBLISH with properties (an empty topic with a Topic Alias) at every QoS', () => {
    fc.assert(
      fc.property(topicName, payload, qos, fc.boolean(), fc.boolean(), packetId, publishProps, fc.boolean(), (topic, body, q, retain, dup, id, props, aliasOnly) => {
        const t = aliasOnly && props && props.topicAlias ? '' : topic;
        const ours = encoded((buf) => encodePublish(buf, toBytes(t), body, q, retain, dup, id, props || null));
        const theirs = reference({ cmd: 'publish', topic: t, payload: Buffer.from(body), qos: q, retain, dup: q > 0 && dup, messageId: q ? id : undefined, properties: props });
        expect(hex(ours)).toBe(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it('PUBACK, PUBREC, PUBREL and PUBCOMP with reason codes and properties', () => {
    const kinds: [Type, string, number[]][] = [
      [Type.PUBACK, 'puback', [0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]],
      [Type.PUBREC, 'pubrec', [0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]],
      [Type.PUBREL, 'pubrel', [0, 0x92]],
      [Type.PUBCOMP, 'pubcomp', [0, 0x92]],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), packetId, fc.nat(8), ackProps, ([type, cmd, codes], id, c, props) => {
        const reasonCode = codes[c % codes.length];
        const ours = encoded((buf) => encodeAck(buf, type, id, reasonCode, props));
        expect(hex(ours)).toBe(reference({ cmd, messageId: id, reasonCode, properties: props }));
      }),
    );
  });

  it('SUBSCRIBE with subscription options and properties; UNSUBSCRIBE with properties', () => {
    const options = fc.record({ qos, nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) });
    const subProps = someOf({ subscriptionIdentifier: fc.integer({ min: 1, max: 268435455 }), userProperties });
    fc.assert(
      fc.property(packetId, fc.array(fc.tuple(topicFilter, options), { minLength: 1, maxLength: 5 }), subProps, (id, subs, props) => {
        const ours = encoded((buf) =>
          encodeSubscribe(
            buf,
            id,
            subs.map(([f]) => toBytes(f)),
            subs.map(([, o]) => o.qos | (o.nl ? 4 : 0) | (o.rap ? 8 : 0) | (o.rh << 4)),
            props || null,
          ),
        );
        expect(hex(ours)).toBe(reference({ cmd: 'subscribe', messageId: id, properties: props, subscriptions: subs.map(([topic, o]) => ({ topic, ...o })) }));
      }),
    );
    fc.assert(
      fc.property(packetId, fc.array(topicFilter, { minLength: 1, maxLength: 5 }), someOf({ userProperties }), (id, filters, props) => {
        const ours = encoded((buf) => encodeSubscribe(buf, id, filters.map(toBytes), null, props || null));
        expect(hex(ours)).toBe(reference({ cmd: 'unsubscribe', messageId: id, unsubscriptions: filters, properties: props }));
      }),
    );
  });

  it('DISCONNECT and AUTH with reason codes and properties', () => {
    const disconnectProps = someOf({ sessionExpiryInterval: u32, reasonString: text(12), userProperties });
    fc.assert(
      fc.property(fc.constantFrom(0, 4, 0x80, 0x81, 0x82, 0x83, 0x8e, 0x93, 0x95, 0x98), disconnectProps, (reasonCode, props) => {
        expect(hex(encoded((buf) => encodeEmpty(buf, Type.DISCONNECT, reasonCode, props)))).toBe(reference({ cmd: 'disconnect', reasonCode, properties: props }));
      }),
    );
    const authProps = someOf({ authenticationMethod: text(10), authenticationData: binary, reasonString: text(10), userProperties });
    fc.assert(
      fc.property(fc.constantFrom(0, 0x18, 0x19), authProps, (reasonCode, props) => {
        expect(hex(encoded((buf) => encodeEmpty(buf, Type.AUTH, reasonCode, props)))).toBe(reference({ cmd: 'auth', reasonCode, properties: props }));
      }),
    );
  });
});

// Packets a 5.0 server sends, as mqtt-packet objects.
const connackProps = someOf({
  sessionExpiryInterval: u32,
  receiveMaximum: u16,
  maximumQoS: fc.constantFrom(0, 1),
  retainAvailable: fc.boolean(),
  maximumPacketSize: fc.integer({ min: 1, max: 4294967295 }),
  assignedClientIdentifier: text(12),
  topicAliasMaximum: fc.integer({ min: 0, max: 65535 }),
  reasonString: text(12),
  userProperties,
  wildcardSubscriptionAvailable: fc.boolean(),
  subscriptionIdentifiersAvailable: fc.boolean(),
  sharedSubscriptionAvailable: fc.boolean(),
  serverKeepAlive: fc.integer({ min: 0, max: 65535 }),
  responseInformation: text(10),
  serverReference: text(10),
  authenticationMethod: text(10),
  authenticationData: binary,
});
// (a server's PUBLISH may carry Subscription Identifiers, one or several)
const inboundPublishProps = someOf({
  ...publishFields,
  subscriptionIdentifier: fc.oneof(fc.integer({ min: 1, max: 268435455 }), fc.array(fc.integer({ min: 1, max: 268435455 }), { minLength: 2, maxLength: 3 })),
});
const pick = (codes: number[]) => fc.constantFrom(...codes);
const serverPacket5 = fc.oneof(
  fc.record({
    cmd: fc.constant('connack'),
    reasonCode: pick([0, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f]),
    sessionPresent: fc.boolean(),
    properties: connackProps,
  }),
  fc.record({ topic: topicName, payload, qos, retain: fc.boolean(), dup: fc.boolean(), messageId: packetId, properties: inboundPublishProps }).map((p) => ({
    cmd: 'publish',
    ...p,
    payload: Buffer.from(p.payload),
    dup: p.qos > 0 && p.dup,
    messageId: p.qos ? p.messageId : undefined,
  })),
  fc.record({ cmd: fc.constantFrom('puback', 'pubrec'), messageId: packetId, reasonCode: pick([0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]), properties: ackProps }),
  fc.record({ cmd: fc.constantFrom('pubrel', 'pubcomp'), messageId: packetId, reasonCode: pick([0, 0x92]), properties: ackProps }),
  fc.record({ cmd: fc.constant('suback'), messageId: packetId, properties: ackProps, granted: fc.array(pick([0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]), { minLength: 1, maxLength: 6 }) }),
  fc.record({ cmd: fc.constant('unsuback'), messageId: packetId, properties: ackProps, granted: fc.array(pick([0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]), { minLength: 1, maxLength: 6 }) }),
  fc.record({
    cmd: fc.constant('disconnect'),
    reasonCode: pick([0, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2]),
    properties: someOf({ sessionExpiryInterval: u32, reasonString: text(12), userProperties, serverReference: text(10) }),
  }),
  fc.record({ cmd: fc.constant('auth'), reasonCode: pick([0, 0x18, 0x19]), properties: someOf({ authenticationMethod: text(10), authenticationData: binary, reasonString: text(10), userProperties }) }),
  fc.constant({ cmd: 'pingresp' }),
);

// What mqtt-packet parses back from the bytes it generated: the fields the reader is compared on.
function parsedBack(bytes: Buffer): Record<string, unknown>[] {
  const parser = mqttPacket.parser(v5);
  const out: Record<string, unknown>[] = [];
  parser.on('packet', (p) => out.push(p as unknown as Record<string, unknown>));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(bytes);
  return out;
}

const CMD = ['', '', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', '', 'suback', '', 'unsuback', '', 'pingresp', 'disconnect', 'auth'];

// Ours and theirs in one shape.
function ourFields(d: ReturnType<typeof decodeAll>['packets'][number]): object {
  const o: Record<string, unknown> = { cmd: CMD[d.type], properties: plain(d.props) };
  if (d.type === Type.PUBLISH) {
    Object.assign(o, { topic: fromBytes(d.topic!), payload: d.payload, qos: d.qos, retain: d.retain, dup: d.dup, messageId: d.qos ? d.id : undefined });
  } else if (d.type === Type.SUBACK || d.type === Type.UNSUBACK) {
    Object.assign(o, { messageId: d.id, granted: d.codes });
  } else if (d.type !== Type.PINGRESP) {
    o.reasonCode = d.code;
    if (d.type === Type.CONNACK) o.sessionPresent = d.sessionPresent;
    else if (d.type < Type.PINGREQ) o.messageId = d.id;
  }
  return o;
}
function theirFields(p: Record<string, unknown>): object {
  const o: Record<string, unknown> = { cmd: p.cmd, properties: plain(p.properties) };
  if (p.cmd === 'publish') {
    Object.assign(o, { topic: p.topic, payload: Array.from(p.payload as Buffer), qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.qos ? p.messageId : undefined });
  } else if (p.cmd === 'suback' || p.cmd === 'unsuback') {
    Object.assign(o, { messageId: p.messageId, granted: p.granted });
  } else if (p.cmd !== 'pingresp') {
    o.reasonCode = p.reasonCode;
    if (p.cmd === 'connack') o.sessionPresent = p.sessionPresent;
    else if (p.cmd !== 'disconnect' && p.cmd !== 'auth') o.messageId = p.messageId;
  }
  return o;
}

describe('the MQTT 5.0 reader agrees with mqtt-packet on every packet a server sends', () => {
  it('decodes a stream of generated packets to the same fields, as Uint8Array and as byte string', () => {
    fc.assert(
      fc.property(fc.array(serverPacket5, { minLength: 1, maxLength: 10 }), (packets) => {
        const stream = Buffer.concat(packets.map((p) => mqttPacket.generate(p as mqttPacket.Packet, v5)));
        const want = parsedBack(stream).map(theirFields);
        expect(want.length).toBe(packets.length);
        for (const input of [new Uint8Array(stream), stream.toString('latin1')]) {
          const { packets: got, errors } = decodeAll([input], 1 << 17, true);
          expect(errors).toEqual([]);
          expect(got.map(ourFields)).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('what our encoder writes, mqtt-packet parses back to the same properties', () => {
    fc.assert(
      fc.property(topicName, payload, qos, packetId, publishProps, (topic, body, q, id, props) => {
        const bytes = encoded((buf) => encodePublish(buf, toBytes(topic), body, q, false, false, id, props || null));
        const [p] = parsedBack(Buffer.from(bytes));
        expect(p.topic).toBe(topic);
        expect(Array.from(p.payload as Buffer)).toEqual(Array.from(body));
        expect(plain(p.properties)).toEqual(plain(props));
      }),
      { numRuns: 200 },
    );
  });
});
