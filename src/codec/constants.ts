// Control packet types, the high nibble of the fixed header (MQTT 3.1.1, 2.2.1).
export const enum Type {
  CONNECT = 1,
  CONNACK = 2,
  PUBLISH = 3,
  PUBACK = 4,
  PUBREC = 5,
  PUBREL = 6,
  PUBCOMP = 7,
  SUBSCRIBE = 8,
  SUBACK = 9,
  UNSUBSCRIBE = 10,
  UNSUBACK = 11,
  PINGREQ = 12,
  PINGRESP = 13,
  DISCONNECT = 14,
  AUTH = 15, // MQTT 5.0 only
}

// Every failure of the codec is one of these codes; words are attached at the API edge (see ../errors.ts).
// Encoders return the negated code, the reader passes it to its error callback.
export const enum Err {
  // refused before a byte is written
  BUFFER_TOO_SHORT = 1,
  STRING_TOO_LONG = 2, // [MQTT-4.7.3-3] a string field over 65535 bytes
  NOT_BYTES = 3, // a character above 0xFF where a byte string was expected
  BAD_UTF8 = 4, // [MQTT-1.5.3-1]
  NUL_CHAR = 5, // [MQTT-1.5.3-2] [MQTT-4.7.3-2]
  TOPIC_EMPTY = 6, // [MQTT-4.7.3-1]
  TOPIC_WILDCARD = 7, // [MQTT-3.3.2-2] [MQTT-4.7.1-1]
  BAD_FILTER = 8, // [MQTT-4.7.1-2] [MQTT-4.7.1-3]
  BAD_QOS = 9, // [MQTT-3.1.2-14] [MQTT-3.3.1-4]
  BAD_ID = 10, // [MQTT-2.3.1-1] packet identifier 0 or above 65535
  EMPTY_CLIENT_ID = 11, // [MQTT-3.1.3-7] clean=false needs a client id
  PASSWORD_WITHOUT_USERNAME = 12, // [MQTT-3.1.2-22]
  BAD_KEEPALIVE = 13,
  NO_FILTERS = 14, // [MQTT-3.8.3-3] [MQTT-3.10.3-2]
  // malformed input from the broker: the connection must close [MQTT-4.8.0-1]
  BAD_TYPE = 15, // a packet type a server never sends to a client
  BAD_FLAGS = 16, // [MQTT-2.2.2-1] [MQTT-2.2.2-2]
  BAD_LENGTH = 17, // remaining length: a fifth byte, or wrong for the packet type
  BAD_CONNACK = 18, // reserved bits or a reserved return code
  BAD_SUBACK = 19, // a return code other than 0, 1, 2, 0x80
  // not fatal: a PUBLISH larger than the receive buffer, skipped whole and reported
  TOO_LARGE = 20,
  // The board could not allocate (a received chunk's or payload's copy): numbered in the client's range,
  // where it was first used; the code space is one (../client/errors.ts).
  NO_MEMORY = 35,
  // MQTT 5.0 (numbered after the client's codes, ../client/errors.ts): both ways, a property where its packet
  // allows none [MQTT-2.2.2-2 of 5.0], a value outside its range, a second one of a kind that may appear once,
  // a variable byte integer of more than 4 bytes [MQTT-1.5.5-1 of 5.0], a reason code its packet does not have
  BAD_PROPERTY = 42,
  DUPLICATE_PROPERTY = 43,
  BAD_VARINT = 44,
  BAD_REASON = 45,
}

// CONNECT flags (3.1.2.2 - 3.1.2.9)
export const enum ConnectFlag {
  CLEAN = 0x02,
  WILL = 0x04,
  WILL_RETAIN = 0x20,
  PASSWORD = 0x40,
  USERNAME = 0x80,
}

export const MAX_REMAINING = 268435455;
