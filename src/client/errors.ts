import { Err } from '../codec/constants';

// Errors the client adds to the codec's; numbering continues Err so one code space covers both.
export const enum ClientErr {
  // CONNACK return codes 1-5 are REFUSED + code
  REFUSED = 20,
  CONNECT_TIMEOUT = 26,
  PING_TIMEOUT = 27,
  SOCKET = 28,
  SUBSCRIBE_REFUSED = 29, // SUBACK 0x80
  OUTBOX_FULL = 30,
  CLOSED = 31, // the client was ended
  PROTOCOL = 32, // a packet the session does not allow: a second CONNACK, an ack for an unknown id
  HANDLER = 33, // a message handler or listener threw
  NO_TRANSPORT = 34,
  // 35 is Err.NO_MEMORY: the board could not allocate
  OFFLINE = 36, // offlineQos0 'drop': a QoS 0 publish while disconnected, or one left queued when the connection was lost
  BAD_OPTION = 37, // connect() options the board cannot honour; the detail names the option
  ACK_MISMATCH = 38, // a SUBACK/UNSUBACK that does not answer its request (count or kind)
  REQUESTS_FULL = 39, // more (un)subscribe requests pending than `requests` allows
  NO_ID = 40, // every packet id is taken
  SESSION_PRESENT = 41, // Session Present = 1 in reply to a clean CONNECT [MQTT-3.2.2-1]
  // 42-45 are the codec's 5.0 codes (Err). The rest are MQTT 5.0's, in the v5 builds only; an error made from
  // a server's reason code also carries it as `reasonCode` (and the packet's properties), see v5.ts.
  TOPIC_ALIAS = 46, // an inbound topic alias that is 0, above our maximum, or unknown (3.3.2.3.4 of 5.0)
  PUBLISH_REFUSED = 47, // PUBACK or PUBREC with a failure code
  UNSUBSCRIBE_REFUSED = 48, // an UNSUBACK code of 0x80 or more
  DISCONNECTED = 49, // the server sent DISCONNECT with a reason code other than 0
  QOS_NOT_SUPPORTED = 50, // a publish above the server's Maximum QoS
  RETAIN_NOT_SUPPORTED = 51, // a retained publish where the server's Retain Available is 0
  PACKET_TOO_LARGE = 52, // a packet above the server's Maximum Packet Size
  EXPIRED = 53, // a queued message whose Message Expiry Interval passed before it could be sent
  REFUSED5 = 54, // a CONNACK refusal 3.1.1 has no code for (reasonCode says which)
  // a SUBSCRIBE the server's CONNACK said it cannot take (3.2.2.3.11-13 of 5.0)
  WILDCARD_NOT_SUPPORTED = 55,
  SHARED_NOT_SUPPORTED = 56,
  SUBSCRIPTION_ID_NOT_SUPPORTED = 57,
}

export interface MqttError extends Error {
  code: number;
  topic?: string;
  qos?: number;
  size?: number;
  _gone?: boolean; // reports a message the client gave up on (see flush in events.ts)
  reasonCode?: number; // 5.0: the server's reason code
  properties?: { [name: string]: unknown }; // 5.0: the properties of the packet that carried it
}

export function mqttError(code: Err | ClientErr, detail?: string): MqttError {
  // The readable reason for each code, in code order, ten to a string: only the one string that holds the
  // reason is made when this runs (on the board a literal becomes a string in RAM, and one of all of them
  // would need some 60 blocks in one piece, which a fragmented heap may not have when an error is due).
  // Locals, not top-level constants: at top level they would be RAM for the board's whole life.
  const group = MQTT5 && code > 41 ? (code > 51 ? 5 : 4) : code > 30 ? 3 : code > 20 ? 2 : code > 10 ? 1 : 0;
  const reasons =
    group === 0
      ? '|packet larger than the buffer|string over 65535 bytes|character above 0xFF in a byte string|ill-formed UTF-8|U+0000 in a string|empty topic|wildcard in a topic name|bad topic filter|QoS must be 0, 1 or 2|bad packet id|'
      : group === 1
        ? '|clean=false needs a client id|password without username|keepalive must be 0-65535 s|no topic filters|unexpected packet type|bad fixed-header flags|bad remaining length|bad CONNACK|bad SUBACK code|inbound PUBLISH larger than the receive buffer|'
        : group === 2
          ? '|refused: unacceptable protocol version|refused: identifier rejected|refused: server unavailable|refused: bad user name or password|refused: not authorized|no CONNACK in time|no PINGRESP in time|socket error|subscription refused|outbox full|'
          : MQTT5 && group === 4
            ? '||bad property|duplicate property|malformed variable byte integer|reason code not allowed in this packet|bad topic alias|publish refused|unsubscribe refused|disconnected by the server|QoS above the server\'s maximum|retain not available on the server|'
            : MQTT5 && group === 5
              ? '||packet larger than the server\'s maximum|message expired before it was sent|connection refused|wildcard subscriptions not available on the server|shared subscriptions not available on the server|subscription identifiers not available on the server|'
              : '|client ended|protocol violation|handler threw|no transport|out of memory|offline: QoS 0 message not queued|bad option|acknowledgement does not match its request|too many pending requests|no free packet id|session present after a clean CONNECT|';
  // the n-th '|'-separated reason, found without splitting the string (slow on the board). Each string ends
  // with '|' too, so the last reason has one after it: a substring to "-1 >>> 0" read on V8 as to the end, but
  // the interpreter takes 4294967295 as -1 and gave the string before the reason ("outbox full" came out as
  // the nine reasons before it, seen on the interpreter).
  let at = 0;
  for (let i = code - 10 * group; i > 0 && at >= 0; i--) at = reasons.indexOf('|', at) + 1;
  const reason = reasons.substring(at, reasons.indexOf('|', at));
  // An Error without running its constructor: on Espruino `new Error` records a stack trace with an excerpt
  // of the source of every frame, some 100 blocks, which a report (held until its listener runs) never needs.
  const e = Object.create(Error.prototype) as MqttError;
  e.message = reason + (detail ? ': ' + detail : '');
  e.code = code;
  return e;
}
