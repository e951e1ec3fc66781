// One test per validation rule: what the encoders refuse before writing, what the reader refuses as malformed.
import { describe, expect, it, vi } from 'vitest';
import mqttPacket from 'mqtt-packet';
import {
  Err,
  Type,
  createReader,
  encodeAck,
  encodeConnect,
  encodeEmpty,
  encodePublish,
  encodeSubscribe,
  toBytes,
  topicFilterError,
  utf8Error,
} from '../../src/codec/index';
import { decodeAll } from '../helpers/codec';

const bytes = (...b: number[]) => String.fromCharCode(...b);
const connect = { clientId: 'c', keepalive: 60, clean: true };

describe('encoders refuse bad input before writing a byte', () => {
  function refuses(write: (buf: Uint8Array) => number, code: Err, size = 64) {
    const buf = new Uint8Array(size).fill(0xaa);
    expect(write(buf)).toBe(-code);
    expect(buf.every((b) => b === 0xaa)).toBe(true);
  }

  it('a packet that does not fit the buffer is refused whole (BUFFER_TOO_SHORT)', () => {
    refuses((b) => encodePublish(b, 't', new Uint8Array(61), 0, false, false, 0), Err.BUFFER_TOO_SHORT);
    expect(encodePublish(new Uint8Array(64), 't', new Uint8Array(59), 0, false, false, 0)).toBe(64);
    refuses((b) => encodeAck(b, Type.PUBACK, 1), Err.BUFFER_TOO_SHORT, 3);
    refuses((b) => encodeEmpty(b, Type.PINGREQ), Err.BUFFER_TOO_SHORT, 1);
    refuses((b) => encodeConnect(b, { ...connect, clientId: 'x'.repeat(60) }), Err.BUFFER_TOO_SHORT);
    refuses((b) => encodeSubscribe(b, 1, ['x'.repeat(60)], [0]), Err.BUFFER_TOO_SHORT);
  });

  it('a topic over 65535 bytes is refused [MQTT-4.7.3-3]', () => {
    refuses((b) => encodePublish(b, 'x'.repeat(65536), '', 0, false, false, 0), Err.STRING_TOO_LONG);
  });

  it('a character above 0xFF is not a byte string (NOT_BYTES)', () => {
    refuses((b) => encodePublish(b, 'caf\u20ac', '', 0, false, false, 0), Err.NOT_BYTES);
    expect(encodePublish(new Uint8Array(64), 't', 'a\u0100', 0, false, false, 0)).toBe(-Err.NOT_BYTES);
    expect(encodeConnect(new Uint8Array(64), { ...connect, username: 'u', password: '\u0101' })).toBe(-Err.NOT_BYTES);
  });

  it('ill-formed UTF-8 is refused in topics, filters, client id, will topic and user name: overlong, surrogate, above U+10FFFF, truncated, stray continuation [MQTT-1.5.3-1] [MQTT-3.8.3-1] [MQTT-3.10.3-1] [MQTT-3.1.3-4] [MQTT-3.1.3-10]', () => {
    for (const bad of [
      bytes(0xc0, 0x80),
      bytes(0xe0, 0x80, 0x80),
      bytes(0xf0, 0x80, 0x80, 0x80),
      bytes(0xed, 0xa0, 0x80),
      bytes(0xf4, 0x90, 0x80, 0x80),
      bytes(0xf5, 0x80, 0x80, 0x80),
      bytes(0x61, 0xe2, 0x82),
      bytes(0x80),
      bytes(0xc3, 0x41),
    ]) {
      expect(utf8Error(bad)).toBe(Err.BAD_UTF8);
      refuses((b) => encodePublish(b, bad, '', 0, false, false, 0), Err.BAD_UTF8);
      refuses((b) => encodeSubscribe(b, 1, ['ok', bad], [0, 0]), Err.BAD_UTF8);
      refuses((b) => encodeSubscribe(b, 1, [bad], null), Err.BAD_UTF8); // UNSUBSCRIBE
      refuses((b) => encodeConnect(b, { ...connect, clientId: bad }), Err.BAD_UTF8);
      refuses((b) => encodeConnect(b, { ...connect, will: { topic: bad, payload: 'x', qos: 0 } }), Err.BAD_UTF8);
      refuses((b) => encodeConnect(b, { ...connect, username: bad }), Err.BAD_UTF8);
    }
    for (const good of ['caf\u00e9', '\u20ac', '\ud83d\ude00', '\ufeffbom', '\u07ff\uffff\udbff\udfff']) {
      expect(utf8Error(toBytes(good))).toBe(0);
    }
  });

  it('U+0000 is refused in every string field [MQTT-1.5.3-2]', () => {
    refuses((b) => encodePublish(b, 'a\0b', '', 0, false, false, 0), Err.NUL_CHAR);
    refuses((b) => encodeConnect(b, { ...connect, clientId: 'a\0' }), Err.NUL_CHAR);
    refuses((b) => encodeConnect(b, { ...connect, username: '\0' }), Err.NUL_CHAR);
    refuses((b) => encodeSubscribe(b, 1, ['a/\0'], [0]), Err.NUL_CHAR);
  });

  it('an empty topic name or filter is refused [MQTT-4.7.3-1]', () => {
    refuses((b) => encodePublish(b, '', 'x', 0, false, false, 0), Err.TOPIC_EMPTY);
    refuses((b) => encodeSubscribe(b, 1, [''], [0]), Err.TOPIC_EMPTY);
    refuses((b) => encodeConnect(b, { ...connect, will: { topic: '', payload: '', qos: 0 } }), Err.TOPIC_EMPTY);
  });

  it('wildcards in a topic name are refused [MQTT-3.3.2-2] [MQTT-4.7.1-1]', () => {
    refuses((b) => encodePublish(b, 'a/+', '', 0, false, false, 0), Err.TOPIC_WILDCARD);
    refuses((b) => encodePublish(b, 'a/#', '', 0, false, false, 0), Err.TOPIC_WILDCARD);
    refuses((b) => encodeConnect(b, { ...connect, will: { topic: 'a+', payload: '', qos: 0 } }), Err.TOPIC_WILDCARD);
  });

  it('a topic is judged anew each time: one refused stays refused, asked again or after a valid one', () => {
    // (the last valid topic is remembered, so that a repeated one skips the scan: never an invalid one)
    for (const t of ['a/+', 'a/+', 'a', 'a/#', 'a/#', 'a\0', 'a\0', '', '']) {
      const n = encodePublish(new Uint8Array(64), t, '', 0, false, false, 0);
      expect(n, t).toBe(t === 'a' ? 5 : -(t === '' ? Err.TOPIC_EMPTY : t === 'a\0' ? Err.NUL_CHAR : Err.TOPIC_WILDCARD));
    }
    expect(decodeAll([bytes(0x30, 3, 0, 1, 0x2b), bytes(0x30, 3, 0, 1, 0x2b)]).errors).toEqual([Err.TOPIC_WILDCARD]);
    for (let k = 0; k < 2; k++) expect(decodeAll([bytes(0x30, 3, 0, 1, 0x61, 0x30, 3, 0, 1, 0x23)]).errors).toEqual([Err.TOPIC_WILDCARD]);
  });

  it('a filter with a misplaced wildcard is refused [MQTT-4.7.1-2] [MQTT-4.7.1-3]', () => {
    for (const bad of ['a/b#', '#/a', 'a/#/b', 'a+', '+a', 'a/+b/c', '##', '++']) {
      expect(topicFilterError(bad)).toBe(Err.BAD_FILTER);
      refuses((b) => encodeSubscribe(b, 1, ['ok', bad], [0, 0]), Err.BAD_FILTER);
      refuses((b) => encodeSubscribe(b, 1, [bad], null), Err.BAD_FILTER);
    }
    for (const good of ['#', '+', '+/+', 'a/+/b', '/#', 'a/#', '+/#', '/', '//', '$SYS/#', 'sport/tennis/+']) {
      expect(topicFilterError(good)).toBe(0);
    }
  });

  it('QoS 3 or any other value is refused [MQTT-3.1.2-14] [MQTT-3.8.3-4]', () => {
    refuses((b) => encodePublish(b, 't', '', 3, false, false, 1), Err.BAD_QOS);
    refuses((b) => encodePublish(b, 't', '', -1, false, false, 1), Err.BAD_QOS);
    refuses((b) => encodeConnect(b, { ...connect, will: { topic: 't', payload: '', qos: 3 } }), Err.BAD_QOS);
    refuses((b) => encodeSubscribe(b, 1, ['t'], [3]), Err.BAD_QOS);
    // not a QoS either: a fraction, or a number as a string
    for (const qos of [1.5, '1']) {
      refuses((b) => encodeConnect(b, { ...connect, will: { topic: 't', payload: '', qos: qos as number } }), Err.BAD_QOS);
      refuses((b) => encodeSubscribe(b, 1, ['t'], [qos as number]), Err.BAD_QOS);
    }
  });

  it('no topic at all (a host passing null or undefined) is an empty one, also before any topic was found valid', async () => {
    vi.resetModules(); // a fresh strings module: no topic found valid yet
    const fresh = await import('../../src/codec/strings');
    expect(fresh.topicNameError(undefined as never)).toBe(Err.TOPIC_EMPTY);
    expect(fresh.topicNameError(null as never)).toBe(Err.TOPIC_EMPTY);
    expect(fresh.topicFilterError(undefined as never)).toBe(Err.TOPIC_EMPTY);
    expect(fresh.topicNameError('a/b')).toBe(0);
    expect(fresh.topicNameError(undefined as never)).toBe(Err.TOPIC_EMPTY);
  });

  it('packet identifier 0 or above 65535 is refused [MQTT-2.3.1-1]', () => {
    for (const id of [0, 65536, 1.5]) {
      refuses((b) => encodePublish(b, 't', '', 1, false, false, id), Err.BAD_ID);
      refuses((b) => encodeAck(b, Type.PUBACK, id), Err.BAD_ID);
      refuses((b) => encodeSubscribe(b, id, ['t'], [0]), Err.BAD_ID);
    }
    expect(encodePublish(new Uint8Array(64), 't', '', 0, false, false, 0)).toBe(5); // QoS 0 carries no id [MQTT-2.3.1-5]
  });

  it('clean=false with an empty client id is refused [MQTT-3.1.3-7]', () => {
    refuses((b) => encodeConnect(b, { clientId: '', keepalive: 0, clean: false }), Err.EMPTY_CLIENT_ID);
    expect(encodeConnect(new Uint8Array(64), { clientId: '', keepalive: 0, clean: true })).toBe(14);
  });

  it('a password without a username is refused [MQTT-3.1.2-22]', () => {
    refuses((b) => encodeConnect(b, { ...connect, password: 'p' }), Err.PASSWORD_WITHOUT_USERNAME);
  });

  it('CONNECT sets each flag exactly when its field is present, and writes only those fields [MQTT-3.1.2-9] [MQTT-3.1.2-11] [MQTT-3.1.2-13] [MQTT-3.1.2-15] [MQTT-3.1.2-18] [MQTT-3.1.2-19] [MQTT-3.1.2-20] [MQTT-3.1.2-21]', () => {
    const will = { topic: 'w', payload: 'gone', qos: 2, retain: true };
    for (const w of [undefined, will, { ...will, qos: 0, retain: false }]) {
      for (const user of [undefined, 'u']) {
        for (const pass of user ? [undefined, 'p'] : [undefined]) {
          const buf = new Uint8Array(64);
          const n = encodeConnect(buf, { ...connect, clean: false, will: w, username: user, password: pass });
          const flags = buf[9]; // after the 2-byte fixed header, "MQTT" with its length, and the level
          expect(flags & 1, 'reserved').toBe(0);
          expect(!!(flags & 4), 'will flag').toBe(!!w);
          expect((flags >> 3) & 3, 'will QoS').toBe(w ? w.qos : 0);
          expect(!!(flags & 32), 'will retain').toBe(!!(w && w.retain));
          expect(!!(flags & 128), 'user name flag').toBe(user !== undefined);
          expect(!!(flags & 64), 'password flag').toBe(pass !== undefined);
          const parsed: mqttPacket.Packet[] = [];
          const parser = mqttPacket.parser({ protocolVersion: 4 });
          parser.on('packet', (x) => parsed.push(x));
          parser.parse(Buffer.from(buf.subarray(0, n)));
          const p = parsed[0] as mqttPacket.IConnectPacket;
          expect(p.will ? p.will.topic : undefined).toBe(w && w.topic);
          expect(p.username).toBe(user);
          expect(p.password === undefined ? undefined : p.password.toString()).toBe(pass);
          // nothing beyond the fields the flags announce: the packet ends with the last of them
          const fields = 2 + 1 + (w ? 2 + 1 + 2 + 4 : 0) + (user ? 3 : 0) + (pass ? 3 : 0);
          expect(n).toBe(2 + 10 + fields);
        }
      }
    }
  });

  it('a keep-alive outside 0..65535 seconds is refused', () => {
    for (const k of [-1, 65536, 0.5, NaN]) refuses((b) => encodeConnect(b, { ...connect, keepalive: k }), Err.BAD_KEEPALIVE);
  });

  it('SUBSCRIBE and UNSUBSCRIBE need at least one filter [MQTT-3.8.3-3] [MQTT-3.10.3-2]', () => {
    refuses((b) => encodeSubscribe(b, 1, [], []), Err.NO_FILTERS);
    refuses((b) => encodeSubscribe(b, 1, [], null), Err.NO_FILTERS);
  });

  it('DUP is written only for QoS 1 and 2 [MQTT-3.3.1-2]', () => {
    const buf = new Uint8Array(16);
    encodePublish(buf, 't', '', 0, false, true, 0);
    expect(buf[0]).toBe(0x30);
    encodePublish(buf, 't', '', 1, false, true, 1);
    expect(buf[0]).toBe(0x3a);
  });
});

describe('the reader refuses malformed packets from the broker [MQTT-4.8.0-1]', () => {
  // Whole (the reader's short way for a packet that came in one chunk) and a byte at a time (its long way):
  // the same packets before the same error.
  const fails = (hex: string, code: Err, size = 64) => {
    const bytes = new Uint8Array(Buffer.from(hex.replace(/ /g, ''), 'hex'));
    const { packets, errors } = decodeAll([bytes], size);
    expect(errors).toEqual([code]);
    const split = decodeAll(Array.from(bytes, (b) => new Uint8Array([b])), size);
    expect(split.errors, 'a byte at a time').toEqual([code]);
    expect(split.packets, 'a byte at a time').toEqual(packets);
    return packets;
  };

  it('a packet type a server never sends (BAD_TYPE)', () => {
    for (const first of ['00', '10', '82', 'a2', 'c0', 'e0', 'f0']) fails(first + '00', Err.BAD_TYPE);
  });

  it('reserved fixed-header flags that are not as specified [MQTT-2.2.2-1] [MQTT-2.2.2-2]', () => {
    for (const hex of ['21 02 00 00', '41 02 00 01', '58 02 00 01', '60 02 00 01', '72 02 00 01', '94 03 00 01 00', 'b1 02 00 01', 'd1 00']) {
      fails(hex, Err.BAD_FLAGS);
    }
  });

  it('a PUBLISH with both QoS bits set [MQTT-3.3.1-4]', () => {
    fails('36 05 00 01 74 00 01', Err.BAD_QOS);
  });

  it('a remaining length with a fifth byte, or wrong for the type', () => {
    fails('30 ff ff ff ff 01', Err.BAD_LENGTH);
    fails('40 03 00 01 00', Err.BAD_LENGTH);
    fails('20 01 00', Err.BAD_LENGTH);
    fails('d0 01 00', Err.BAD_LENGTH);
    fails('90 02 00 01', Err.BAD_LENGTH);
    fails('32 04 00 01 74 00', Err.BAD_LENGTH); // QoS 1 without room for its packet id
    fails('30 04 00 05 74 74', Err.BAD_LENGTH); // topic longer than the packet
  });

  it('the largest remaining length, 4 bytes, is accepted', () => {
    const { errors } = decodeAll([new Uint8Array(Buffer.from('30ffffff7f', 'hex'))], 64);
    expect(errors).toEqual([]);
  });

  it('a CONNACK with reserved acknowledge flags or a reserved return code', () => {
    fails('20 02 02 00', Err.BAD_CONNACK);
    fails('20 02 00 06', Err.BAD_CONNACK);
  });

  it('a SUBACK return code other than 0, 1, 2 and 0x80', () => {
    fails('90 04 00 01 00 03', Err.BAD_SUBACK);
    fails('90 03 00 01 81', Err.BAD_SUBACK);
  });

  it('packet identifier 0 in an acknowledgement or a QoS 1 PUBLISH [MQTT-2.3.1-1]', () => {
    for (const hex of ['40 02 00 00', '50 02 00 00', '62 02 00 00', '70 02 00 00', '90 03 00 00 00', 'b0 02 00 00']) fails(hex, Err.BAD_ID);
    fails('32 05 00 01 74 00 00', Err.BAD_ID);
  });

  it('an inbound topic with a wildcard, empty, ill-formed UTF-8 or U+0000 [MQTT-3.3.2-2] [MQTT-1.5.3-1] [MQTT-1.5.3-2]', () => {
    fails('30 03 00 01 2b', Err.TOPIC_WILDCARD);
    fails('30 03 00 01 23', Err.TOPIC_WILDCARD);
    fails('30 03 00 00 78', Err.TOPIC_EMPTY);
    fails('30 04 00 02 c0 80', Err.BAD_UTF8);
    fails('30 05 00 03 ed a0 80', Err.BAD_UTF8);
    fails('30 03 00 01 00', Err.NUL_CHAR);
  });

  it('a BOM in a topic is kept, not stripped [MQTT-1.5.3-3]', () => {
    const { packets } = decodeAll([new Uint8Array(Buffer.from('30 06 00 04 ef bb bf 74'.replace(/ /g, ''), 'hex'))]);
    expect(packets[0].topic).toBe(bytes(0xef, 0xbb, 0xbf, 0x74));
  });

  it('after an error the reader ignores input until reset, then decodes a new stream', () => {
    const packets: number[] = [];
    const errors: number[] = [];
    const reader = createReader(64, (_, p) => packets.push(p.type), (_, c) => errors.push(c));
    reader.push(new Uint8Array([0x41, 0x02, 0x00, 0x01, 0xd0, 0x00]));
    reader.push(new Uint8Array([0xd0, 0x00]));
    expect(errors).toEqual([Err.BAD_FLAGS]);
    expect(packets).toEqual([]);
    reader.reset();
    reader.push(new Uint8Array([0xd0, 0x00]));
    expect(packets).toEqual([Type.PINGRESP]);
  });

  it('a reset from inside the callback drops the rest of that chunk', () => {
    const packets: number[] = [];
    const reader = createReader(
      64,
      (_, p) => {
        packets.push(p.type);
        reader.reset();
      },
      () => {},
    );
    reader.push(new Uint8Array([0xd0, 0x00, 0xd0, 0x00]));
    expect(packets).toEqual([Type.PINGRESP]);
  });
});

describe('a PUBLISH larger than the receive buffer', () => {
  const big = (qos: number, topic: string, size: number) =>
    new Uint8Array(mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.alloc(size, 0x55), qos: qos as 0, messageId: qos ? 0x1234 : undefined, retain: false, dup: false }));
  const ping = new Uint8Array([0xd0, 0x00]);

  it('is skipped whole and reported with its topic, QoS, packet id and size; the next packet decodes', () => {
    for (const qos of [0, 1, 2]) {
      const pkt = big(qos, 'big/topic', 500);
      const { packets, errors } = decodeAll([pkt, ping], 64);
      expect(errors).toEqual([]);
      expect(packets.length).toBe(2);
      expect(packets[0]).toMatchObject({ type: Type.PUBLISH, error: Err.TOO_LARGE, topic: 'big/topic', qos, id: qos ? 0x1234 : 0, length: pkt.length - 3, payload: [] });
      expect(packets[1].type).toBe(Type.PINGRESP);
    }
  });

  it('keeps the packet id even when the topic itself does not fit, at any chunk split', () => {
    const pkt = big(1, 'x'.repeat(100), 300);
    for (let cut = 1; cut < pkt.length; cut += 7) {
      const { packets, errors } = decodeAll([pkt.subarray(0, cut), pkt.subarray(cut), ping], 32);
      expect(errors).toEqual([]);
      expect(packets[0]).toMatchObject({ error: Err.TOO_LARGE, topic: '', qos: 1, id: 0x1234 });
      expect(packets[1].type).toBe(Type.PINGRESP);
    }
  });

  it('keeps the packet id when it straddles the end of the buffer', () => {
    for (let topicLength = 26; topicLength <= 30; topicLength++) {
      const { packets } = decodeAll([big(2, 'y'.repeat(topicLength), 100), ping], 32);
      expect(packets[0]).toMatchObject({ error: Err.TOO_LARGE, qos: 2, id: 0x1234 });
    }
  });

  it('fits exactly at the buffer size and is delivered whole', () => {
    const pkt = big(0, 't', 60); // remaining length 63
    const { packets } = decodeAll([pkt], 63);
    expect(packets[0].error).toBe(0);
    expect(packets[0].payload!.length).toBe(60);
  });

  it('any other packet larger than the buffer is malformed', () => {
    const suback = new Uint8Array(mqttPacket.generate({ cmd: 'suback', messageId: 1, granted: Array(20).fill(0) }));
    expect(decodeAll([suback], 16).errors).toEqual([Err.TOO_LARGE]);
  });
});
