// Our codec against mqtt-packet, the reference: byte-for-byte on everything a client sends, field-for-field on
// everything a client receives.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import {
  Type,
  encodeAck,
  encodeConnect,
  encodeEmpty,
  encodePublish,
  encodeSubscribe,
  fromBytes,
  toBytes,
} from '../../src/codec/index';
import { decodeAll, encoded } from '../helpers/codec';
import { packetId, payload, qos, serverPacket, text, topicFilter, topicName } from './arbitraries';

const reference = (packet: object) => mqttPacket.generate(packet as mqttPacket.Packet).toString('hex');
const hex = (u8: Uint8Array) => Buffer.from(u8).toString('hex');

describe('encoders agree with mqtt-packet byte for byte', () => {
  it('CONNECT with any client id, keep-alive, clean flag, will, username and password', () => {
    const will = fc.option(fc.record({ topic: topicName, payload, qos, retain: fc.boolean() }), { nil: undefined });
    const creds = fc.option(
      fc.record({ username: text(), password: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }) }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(text(23), fc.integer({ min: 0, max: 65535 }), fc.boolean(), will, creds, (clientId, keepalive, clean, w, c) => {
        fc.pre(clean || clientId.length > 0);
        const ours = encoded((buf) =>
          encodeConnect(buf, {
            clientId: toBytes(clientId),
            keepalive,
            clean,
            will: w && { topic: toBytes(w.topic), payload: w.payload, qos: w.qos, retain: w.retain },
            username: c && toBytes(c.username),
            password: c && c.password,
          }),
        );
        const theirs = reference({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId,
          keepalive,
          clean,
          will: w && { ...w, payload: Buffer.from(w.payload) },
          username: c && c.username,
          password: c && c.password && Buffer.from(c.password),
        });
        expect(hex(ours)).toBe(theirs);
      }),
      { numRuns: 400 },
    );
  });

  it('PUBLISH at every QoS with retain, dup and payloads across the 1- to 3-byte remaining lengths', () => {
    fc.assert(
      fc.property(topicName, payload, qos, fc.boolean(), fc.boolean(), packetId, (topic, body, q, retain, dup, id) => {
        const ours = encoded((buf) => encodePublish(buf, toBytes(topic), body, q, retain, dup, id));
        const theirs = reference({
          cmd: 'publish',
          topic,
          payload: Buffer.from(body),
          qos: q,
          retain,
          dup: q > 0 && dup,
          messageId: q ? id : undefined,
        });
        expect(hex(ours)).toBe(theirs);
      }),
      { numRuns: 400 },
    );
  });

  it('PUBLISH with a byte-string payload writes the same bytes as with a Uint8Array', () => {
    fc.assert(
      fc.property(topicName, fc.uint8Array({ maxLength: 300 }), (topic, body) => {
        const asString = String.fromCharCode(...body);
        const a = encoded((buf) => encodePublish(buf, toBytes(topic), asString, 0, false, false, 0));
        const b = encoded((buf) => encodePublish(buf, toBytes(topic), body, 0, false, false, 0));
        expect(hex(a)).toBe(hex(b));
      }),
    );
  });

  it('PUBACK, PUBREC, PUBREL and PUBCOMP', () => {
    const kinds: [Type, string][] = [
      [Type.PUBACK, 'puback'],
      [Type.PUBREC, 'pubrec'],
      [Type.PUBREL, 'pubrel'],
      [Type.PUBCOMP, 'pubcomp'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), packetId, ([type, cmd], id) => {
        expect(hex(encoded((buf) => encodeAck(buf, type, id)))).toBe(reference({ cmd, messageId: id }));
      }),
    );
  });

  it('SUBSCRIBE with one or many filters and their QoS', () => {
    fc.assert(
      fc.property(packetId, fc.array(fc.tuple(topicFilter, qos), { minLength: 1, maxLength: 6 }), (id, subs) => {
        const ours = encoded((buf) =>
          encodeSubscribe(
            buf,
            id,
            subs.map(([f]) => toBytes(f)),
            subs.map(([, q]) => q),
          ),
        );
        const theirs = reference({ cmd: 'subscribe', messageId: id, subscriptions: subs.map(([topic, q]) => ({ topic, qos: q })) });
        expect(hex(ours)).toBe(theirs);
      }),
    );
  });

  it('UNSUBSCRIBE with one or many filters', () => {
    fc.assert(
      fc.property(packetId, fc.array(topicFilter, { minLength: 1, maxLength: 6 }), (id, filters) => {
        const ours = encoded((buf) => encodeSubscribe(buf, id, filters.map(toBytes), null));
        expect(hex(ours)).toBe(reference({ cmd: 'unsubscribe', messageId: id, unsubscriptions: filters }));
      }),
    );
  });

  it('PINGREQ and DISCONNECT', () => {
    expect(hex(encoded((buf) => encodeEmpty(buf, Type.PINGREQ)))).toBe(reference({ cmd: 'pingreq' }));
    expect(hex(encoded((buf) => encodeEmpty(buf, Type.DISCONNECT)))).toBe(reference({ cmd: 'disconnect' }));
  });
});

// What our reader reports, in mqtt-packet's terms, for comparison.
function asReference(d: ReturnType<typeof decodeAll>['packets'][number]): object {
  switch (d.type) {
    case Type.CONNACK:
      return { cmd: 'connack', returnCode: d.code, sessionPresent: d.sessionPresent };
    case Type.PUBLISH:
      return {
        cmd: 'publish',
        topic: fromBytes(d.topic!),
        payload: d.payload,
        qos: d.qos,
        retain: d.retain,
        dup: d.dup,
        messageId: d.qos ? d.id : undefined,
      };
    case Type.SUBACK:
      return { cmd: 'suback', messageId: d.id, granted: d.codes };
    case Type.PINGRESP:
      return { cmd: 'pingresp' };
    default:
      return { cmd: ['', '', '', '', 'puback', 'pubrec', 'pubrel', 'pubcomp', '', '', '', 'unsuback'][d.type], messageId: d.id };
  }
}

function expected(p: Record<string, unknown>): object {
  if (p.cmd !== 'publish') return p;
  return { ...p, payload: Array.from(p.payload as Uint8Array) };
}

describe('the reader agrees with mqtt-packet on every packet a server sends', () => {
  it('decodes a stream of generated packets to the same fields, as Uint8Array and as byte string', () => {
    fc.assert(
      fc.property(fc.array(serverPacket, { minLength: 1, maxLength: 12 }), (packets) => {
        const stream = Buffer.concat(packets.map((p) => mqttPacket.generate(p as mqttPacket.Packet)));
        const want = packets.map((p) => expected(p as Record<string, unknown>));
        for (const input of [new Uint8Array(stream), stream.toString('latin1')]) {
          const { packets: got, errors } = decodeAll([input]);
          expect(errors).toEqual([]);
          expect(got.map(asReference)).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('what our encoder writes, mqtt-packet parses back to the same fields', () => {
    fc.assert(
      fc.property(topicName, payload, qos, fc.boolean(), packetId, (topic, body, q, retain, id) => {
        const bytes = encoded((buf) => encodePublish(buf, toBytes(topic), body, q, retain, false, id));
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        const seen: mqttPacket.IPublishPacket[] = [];
        parser.on('packet', (p) => seen.push(p as mqttPacket.IPublishPacket));
        parser.parse(Buffer.from(bytes));
        expect(seen.length).toBe(1);
        expect(seen[0].topic).toBe(topic);
        expect(Array.from(seen[0].payload as Buffer)).toEqual(Array.from(body));
        expect(seen[0].qos).toBe(q);
        expect(seen[0].retain).toBe(retain);
        if (q) expect(seen[0].messageId).toBe(id);
      }),
      { numRuns: 200 },
    );
  });
});
