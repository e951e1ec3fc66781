import { Err, Type } from './constants';
import { In, readProps } from './properties';
import { Packet } from './reader';

// The MQTT 5.0 forms of the packets a client receives (the v5 builds only; reader.ts calls here behind
// MQTT5): reason codes and properties after the packet id, AUTH, and DISCONNECT from the server.

// The remaining length a 5.0 packet of this type must at least have (the reader has refused the types a
// client never receives). CONNACK: flags, code, property length (3.2.2.3 of 5.0), or a 3.1.1 server's refusal
// in 2 bytes; PUBLISH: a topic length
// (the topic may be empty: 3.3.2.3.4), the packet id above QoS 0, the property length; the acknowledgements
// of a PUBLISH: a packet id, the rest may be left out (3.4.2.1); SUBACK and UNSUBACK: a packet id, property
// length and one code; PINGRESP nothing; DISCONNECT and AUTH may be empty (3.14.2.1, 3.15.2.1).
export function minLength5(type: number, first: number): number {
  return +'0023222204040000'.charAt(type) + (type === Type.PUBLISH && first & 6 ? 2 : 0);
}

// The reason codes each packet type may carry from a server, as two hex digits each (5.0 2.4, and the
// packet's own section); SUBACK's codes are the granted QoS or a failure.
function reasons(type: number): string {
  return type === Type.CONNACK
    ? '00 80 81 82 83 84 85 86 87 88 89 8a 8c 90 95 97 99 9a 9b 9c 9d 9f'
    : type === Type.PUBACK || type === Type.PUBREC
      ? '00 10 80 83 87 90 91 97 99'
      : type === Type.PUBREL || type === Type.PUBCOMP
        ? '00 92'
        : type === Type.SUBACK
          ? '00 01 02 80 83 87 8f 91 97 9e a1 a2'
          : type === Type.UNSUBACK
            ? '00 11 80 83 87 8f 91'
            : type === Type.AUTH
              ? '00 18 19'
              : '00 80 81 82 83 87 89 8b 8d 8e 8f 90 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f a0 a1 a2';
}

export function reasonAllowed(type: number, code: number): boolean {
  // 0 (Success, Normal disconnection, Granted QoS 0) is every packet's, and the usual one: on the board the
  // table's string costs more than the rest of an acknowledgement. Two hex digits never match across the
  // spaces: a match is a whole code.
  return !code || reasons(type).indexOf((code < 16 ? '0' : '') + code.toString(16)) >= 0;
}

// Reads what follows the fixed header of a whole 5.0 packet in buf[0..len) (a PUBLISH: its properties from
// `at`, after its packet id; p.end is already set); sets p.code, p.props, p.start and p.end. Returns 0, or
// the error that fails the stream. The packet id was read and checked by the caller. A PUBLISH too large for
// the buffer (p.error set) never fails here.
export function finish5(p: Packet, buf: Uint8Array, len: number, at: number): number {
  const type = p.type;
  p.code = 0;
  p.props = undefined;
  if (type === Type.PINGRESP) return 0;
  if (type === Type.CONNACK) {
    // a 3.1.1 server answers a 5.0 CONNECT in its own form, 2 bytes: its refusal as the 5.0 code for it
    // (1, unacceptable protocol version, is 0x84 Unsupported Protocol Version); an acceptance that short is
    // no 5.0 CONNACK
    p.code = len === 2 ? [0, 0x84, 0x85, 0x88, 0x86, 0x87][buf[1]] || 0 : buf[1];
    if (len === 2) return p.code ? 0 : Err.BAD_LENGTH;
    at = 2;
  } else if (type !== Type.PUBLISH) {
    const acked = type !== Type.DISCONNECT && type !== Type.AUTH;
    at = acked ? 2 : 0; // after the packet id
    if (acked && type !== Type.SUBACK && type !== Type.UNSUBACK) {
      // the acknowledgements of a PUBLISH: the reason code and the properties may each be left out
      if (len > 2) p.code = buf[at++];
    } else if (!acked && len) p.code = buf[at++];
    if (at === len && type !== Type.SUBACK && type !== Type.UNSUBACK) return reasonAllowed(type, p.code) ? 0 : Err.BAD_REASON;
  }
  // a PUBLISH without properties (their length 0), as most are: nothing to read (on the board readProps'
  // call and arrays cost a tenth of the packet's reading)
  if (type === Type.PUBLISH && at < len && !buf[at]) {
    if (!p.error) p.start = at + 1;
    return 0;
  }
  const r = readProps(buf, at, len, type === Type.PUBLISH ? In.PUBLISH : 1 << type);
  if (type === Type.PUBLISH && p.error) {
    // too large to hold: its properties when they were whole in the buffer, and no failure
    if (typeof r !== 'number') p.props = r[0];
    return 0;
  }
  if (typeof r === 'number') return r;
  p.props = r[0];
  p.start = r[1];
  if (type === Type.PUBLISH) return 0;
  p.end = r[1];
  if (type === Type.SUBACK || type === Type.UNSUBACK) {
    // a code for each filter, at least one [MQTT-3.9.3-1 of 3.1.1; 3.9.3, 3.11.3 of 5.0]
    p.end = len;
    if (p.start >= len) return Err.BAD_LENGTH;
    for (let i = p.start; i < len; i++) if (!reasonAllowed(type, buf[i])) return Err.BAD_REASON;
    return 0;
  }
  if (r[1] !== len) return Err.BAD_LENGTH; // nothing may follow the properties
  return reasonAllowed(type, p.code) ? 0 : Err.BAD_REASON;
}
