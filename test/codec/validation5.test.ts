// MQTT 5.0: one test per validation rule of the codec's 5.0 forms: what the encoders refuse before writing a
// byte (each with its named code), what the reader refuses as malformed (the stream fails once).
import { describe, expect, it } from 'vitest';
import { Err, Type, encodeAck, encodeConnect, encodeEmpty, encodePublish, encodeSubscribe } from '../../src/codec/index';
import { decodeAll, encoded } from '../helpers/codec';

const connect = { clientId: 'c', keepalive: 60, clean: true, version: 5 };

function refuses(write: (buf: Uint8Array) => number, code: Err, size = 256) {
  const buf = new Uint8Array(size).fill(0xaa);
  expect(write(buf)).toBe(-code);
  expect(buf.every((b) => b === 0xaa)).toBe(true);
}

// The reader's verdict on one packet given as bytes: its error codes, and what it decoded.
const read = (...b: number[]) => decodeAll([new Uint8Array(b)], 1024, true);

describe('5.0 encoders refuse bad properties before writing a byte', () => {
  it('a property its packet does not allow (BAD_PROPERTY)', () => {
    refuses((b) => encodeConnect(b, { ...connect, properties: { topicAlias: 3 } }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, will: { topic: 't', payload: '', qos: 0, properties: { sessionExpiryInterval: 1 } } }), Err.BAD_PROPERTY);
    refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { receiveMaximum: 1 }), Err.BAD_PROPERTY);
    refuses((b) => encodeAck(b, Type.PUBACK, 1, 0, { contentType: 'x' }), Err.BAD_PROPERTY);
    refuses((b) => encodeEmpty(b, Type.DISCONNECT, 0, { topicAlias: 1 }), Err.BAD_PROPERTY);
    refuses((b) => encodeSubscribe(b, 1, ['a'], null, { subscriptionIdentifier: 1 }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, properties: { noSuchProperty: 1 } }), Err.BAD_PROPERTY);
  });

  it('a Subscription Identifier in a PUBLISH from the client (3.3.4 of 5.0)', () => {
    refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { subscriptionIdentifier: 5 }), Err.BAD_PROPERTY);
  });

  it('values out of range: zero where zero is a protocol error, too large, not whole, not 0/1', () => {
    refuses((b) => encodeConnect(b, { ...connect, properties: { receiveMaximum: 0 } }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, properties: { maximumPacketSize: 0 } }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, properties: { receiveMaximum: 65536 } }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, properties: { sessionExpiryInterval: 4294967296 } }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, properties: { sessionExpiryInterval: 1.5 } }), Err.BAD_PROPERTY);
    refuses((b) => encodeConnect(b, { ...connect, properties: { requestProblemInformation: 2 } }), Err.BAD_PROPERTY);
    refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { topicAlias: 0 }), Err.BAD_PROPERTY);
    refuses((b) => encodeSubscribe(b, 1, ['a'], [0], { subscriptionIdentifier: 268435456 }), Err.BAD_PROPERTY);
  });

  it('binary properties take bytes only: a number, an array, a character above 0xFF are refused', () => {
    for (const v of [5, [1, 2], 'caf\u20ac', {}]) refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { correlationData: v }), Err.BAD_PROPERTY);
    expect(encoded((b) => encodePublish(b, 't', '', 0, false, false, 0, { correlationData: '\u00ff\u0000' }))).toEqual(new Uint8Array([0x30, 9, 0, 1, 0x74, 5, 9, 0, 2, 0xff, 0]));
  });

  it('strings in properties: ill-formed, U+0000, a Response Topic with a wildcard', () => {
    refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { contentType: 'a\0b' }), Err.NUL_CHAR);
    refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { userProperties: { 'a\ud800': 'x' } }), Err.BAD_UTF8);
    refuses((b) => encodePublish(b, 't', '', 0, false, false, 0, { responseTopic: 'a/+' }), Err.TOPIC_WILDCARD);
  });

  it('an empty topic only with a Topic Alias', () => {
    refuses((b) => encodePublish(b, '', '', 0, false, false, 0, null), Err.TOPIC_EMPTY);
    refuses((b) => encodePublish(b, '', '', 0, false, false, 0, { contentType: 'x' }), Err.TOPIC_EMPTY);
    expect(encoded((b) => encodePublish(b, '', 'p', 0, false, false, 0, { topicAlias: 2 }))).toEqual(new Uint8Array([0x30, 7, 0, 0, 3, 0x23, 0, 2, 0x70]));
  });

  it('subscription options: QoS 3, Retain Handling 3, reserved bits, No Local on a shared subscription', () => {
    refuses((b) => encodeSubscribe(b, 1, ['a'], [3], null), Err.BAD_QOS);
    refuses((b) => encodeSubscribe(b, 1, ['a'], [0x30], null), Err.BAD_QOS);
    refuses((b) => encodeSubscribe(b, 1, ['a'], [0x40], null), Err.BAD_QOS);
    refuses((b) => encodeSubscribe(b, 1, ['$share/g/a'], [4], null), Err.BAD_QOS);
    refuses((b) => encodeSubscribe(b, 1, ['a'], [-15], null), Err.BAD_QOS);
    refuses((b) => encodeSubscribe(b, 1, ['a'], [1.5], null), Err.BAD_QOS);
    expect(encodeSubscribe(new Uint8Array(64), 1, ['a'], [0x2d], null)).toBeGreaterThan(0); // rh 2, rap, nl, QoS 1
    // the 3.1.1 form takes QoS alone
    refuses((b) => encodeSubscribe(b, 1, ['a'], [4]), Err.BAD_QOS);
  });

  it('a shared subscription needs a name without / + #, and a filter after it [MQTT-4.8.2-1] [MQTT-4.8.2-2] of 5.0', () => {
    for (const f of ['$share/+/x', '$share//y', '$share/g', '$share/g/', '$share/g#/x', '$share/g/a/#/b']) refuses((b) => encodeSubscribe(b, 1, [f], [0], null), Err.BAD_FILTER);
    expect(encodeSubscribe(new Uint8Array(64), 1, ['$share/g/a/+/#'], [1], null)).toBeGreaterThan(0);
  });

  it('a reason code outside 0-255 (BAD_REASON)', () => {
    refuses((b) => encodeAck(b, Type.PUBACK, 1, 256), Err.BAD_REASON);
    refuses((b) => encodeEmpty(b, Type.DISCONNECT, -1), Err.BAD_REASON);
  });

  it('what 5.0 allows and 3.1.1 does not: a password alone, an empty client id without clean start', () => {
    expect(encodeConnect(new Uint8Array(64), { ...connect, password: 'p' })).toBeGreaterThan(0);
    expect(encodeConnect(new Uint8Array(64), { ...connect, clientId: '', clean: false })).toBeGreaterThan(0);
    expect(encodeConnect(new Uint8Array(64), { ...connect, version: undefined, password: 'p' })).toBe(-Err.PASSWORD_WITHOUT_USERNAME);
    expect(encodeConnect(new Uint8Array(64), { ...connect, version: undefined, clientId: '', clean: false })).toBe(-Err.EMPTY_CLIENT_ID);
  });

  it('the short forms: an ack with code 0 and no properties is 4 bytes, a DISCONNECT carries its code', () => {
    expect(encoded((b) => encodeAck(b, Type.PUBACK, 7, 0))).toEqual(new Uint8Array([0x40, 2, 0, 7]));
    expect(encoded((b) => encodeAck(b, Type.PUBREL, 7, 0x92))).toEqual(new Uint8Array([0x62, 4, 0, 7, 0x92, 0]));
    expect(encoded((b) => encodeEmpty(b, Type.DISCONNECT, 4))).toEqual(new Uint8Array([0xe0, 2, 4, 0]));
    expect(encoded((b) => encodeEmpty(b, Type.DISCONNECT))).toEqual(new Uint8Array([0xe0, 0]));
  });
});

describe('the 5.0 reader fails the stream on malformed properties and reason codes', () => {
  it('a property its packet does not allow', () => {
    expect(read(0x40, 7, 0, 1, 0, 3, 0x23, 0, 1).errors).toEqual([Err.BAD_PROPERTY]); // a Topic Alias in a PUBACK
    expect(read(0x20, 5, 0, 0, 2, 0x0b, 1).errors).toEqual([Err.BAD_PROPERTY]); // a Subscription Identifier in a CONNACK
    expect(read(0x20, 5, 0, 0, 2, 0x7f, 1).errors).toEqual([Err.BAD_PROPERTY]); // no such property
  });

  it('a duplicate of a property that may appear once (5.0 2.2.2.2); user properties and PUBLISH subscription ids may repeat', () => {
    // CONNACK with Receive Maximum twice
    expect(read(0x20, 9, 0, 0, 6, 0x21, 0, 5, 0x21, 0, 6).errors).toEqual([Err.DUPLICATE_PROPERTY]);
    // PUBLISH with two Subscription Identifiers: a list
    const ok = read(0x30, 9, 0, 1, 0x74, 4, 0x0b, 1, 0x0b, 2, 0x70);
    expect(ok.errors).toEqual([]);
    expect(ok.packets[0].props).toEqual({ subscriptionIdentifier: [1, 2] });
  });

  it('a variable byte integer of five bytes, or cut by the end of its properties (BAD_VARINT)', () => {
    expect(read(0x30, 9, 0, 1, 0x74, 5, 0x0b, 0x80, 0x80, 0x80, 0x80).errors).toEqual([Err.BAD_VARINT]);
    expect(read(0x30, 6, 0, 1, 0x74, 2, 0x0b, 0x80).errors).toEqual([Err.BAD_VARINT]);
  });

  it('properties longer than the packet, or a string that runs past them (BAD_LENGTH)', () => {
    expect(read(0x40, 4, 0, 1, 0x80, 9).errors).toEqual([Err.BAD_LENGTH]);
    expect(read(0x40, 8, 0, 1, 0x80, 4, 0x1f, 0, 5, 0x61).errors).toEqual([Err.BAD_LENGTH]);
  });

  it('a reason code its packet does not have (BAD_REASON)', () => {
    expect(read(0x20, 3, 0, 0x05, 0).errors).toEqual([Err.BAD_REASON]); // 3.1.1's code 5 is not a 5.0 CONNACK code
    expect(read(0x40, 3, 0, 1, 0x92).errors).toEqual([Err.BAD_REASON]); // a PUBREL/PUBCOMP code in a PUBACK
    expect(read(0x90, 4, 0, 1, 0, 0x03).errors).toEqual([Err.BAD_REASON]); // SUBACK: QoS 3
    expect(read(0xe0, 1, 0x04).errors).toEqual([Err.BAD_REASON]); // only a client says "with will"
    expect(read(0xf0, 2, 0x10, 0).errors).toEqual([Err.BAD_REASON]);
  });

  it('a value out of range: Maximum QoS 2, Receive Maximum 0, a 0/1 byte of 2, Topic Alias 0', () => {
    expect(read(0x20, 5, 0, 0, 2, 0x24, 2).errors).toEqual([Err.BAD_PROPERTY]);
    expect(read(0x20, 6, 0, 0, 3, 0x21, 0, 0).errors).toEqual([Err.BAD_PROPERTY]);
    expect(read(0x20, 5, 0, 0, 2, 0x25, 2).errors).toEqual([Err.BAD_PROPERTY]);
    expect(read(0x30, 8, 0, 1, 0x74, 3, 0x23, 0, 0, 0x70).errors).toEqual([Err.BAD_PROPERTY]);
  });

  it('ill-formed UTF-8 in a string property', () => {
    expect(read(0x40, 8, 0, 1, 0x80, 4, 0x1f, 0, 1, 0xff).errors).toEqual([Err.BAD_UTF8]);
  });

  it('short and empty forms: PUBACK of 2 or 3 bytes, DISCONNECT and AUTH of none, CONNACK with no properties is too short', () => {
    let r = read(0x40, 2, 0, 9, 0x40, 3, 0, 9, 0x10, 0xe0, 0, 0xd0, 0);
    expect(r.errors).toEqual([]);
    expect(r.packets.map((p) => [p.type, p.id, p.code])).toEqual([[4, 9, 0], [4, 9, 0x10], [14, 0, 0], [13, 0, 0]]);
    r = read(0x20, 2, 0, 0);
    expect(r.errors).toEqual([Err.BAD_LENGTH]);
    // a 3.1.1 server's refusal of a 5.0 CONNECT: its code as the 5.0 one (1 -> 0x84 Unsupported Protocol Version)
    r = read(0x20, 2, 0, 1, 0x20, 2, 0, 5);
    expect(r.errors).toEqual([]);
    expect(r.packets.map((p) => p.code)).toEqual([0x84, 0x87]);
    expect(read(0xd0, 1, 0).errors).toEqual([Err.BAD_LENGTH]); // PINGRESP is empty
    expect(read(0x40, 5, 0, 9, 0, 0, 0).errors).toEqual([Err.BAD_LENGTH]); // 5 bytes: nothing may follow the properties
  });

  it('a PUBLISH too large for the buffer has its own properties (when they fit), never the last packet\'s', () => {
    const small = decodeAll([new Uint8Array([0x30, 8, 0, 1, 0x61, 3, 0x23, 0, 1, 0x31, 0x30, 40, 0, 1, 0x62, 0, ...new Array(36).fill(0x78)])], 16, true);
    expect(small.errors).toEqual([]);
    expect(small.packets.map((p) => [p.topic, p.error, p.props])).toEqual([
      ['a', 0, { topicAlias: 1 }],
      ['b', Err.TOO_LARGE, undefined],
    ]);
    const aliased = decodeAll([new Uint8Array([0x30, 40, 0, 1, 0x62, 3, 0x23, 0, 2, ...new Array(33).fill(0x78)])], 16, true);
    expect(aliased.packets.map((p) => [p.topic, p.error, p.props])).toEqual([['b', Err.TOO_LARGE, { topicAlias: 2 }]]);
  });

  it('a user property named __proto__ is left out; one named toString or on is kept as data', () => {
    const pair = (k: string, v: string) => [0x26, 0, k.length, ...Buffer.from(k), 0, v.length, ...Buffer.from(v)];
    const props = [...pair('__proto__', 'x'), ...pair('toString', 'y'), ...pair('on', 'z')];
    const r = read(0x30, 4 + props.length + 1, 0, 1, 0x74, props.length, ...props, 0x70);
    expect(r.errors).toEqual([]);
    const u = r.packets[0].props!.userProperties as Record<string, unknown>;
    expect(Object.keys(u)).toEqual(['toString', 'on']);
    expect(u.toString).toBe('y');
    expect(Object.getPrototypeOf(u)).toBe(Object.prototype);
  });
});
