// fast-check generators for valid MQTT fields and packets, as text (UTF-16) the way a host user writes them.
import fc from 'fast-check';

// Any Unicode text without U+0000 (forbidden in MQTT strings [MQTT-1.5.3-2]).
export const text = (maxLength = 24) =>
  fc.string({ unit: 'grapheme', maxLength }).filter((s) => s.indexOf('\0') < 0);

export const topicName = text().filter((s) => s.length > 0 && !/[+#]/.test(s));

const level = fc.oneof(
  { weight: 3, arbitrary: text(8).filter((s) => !/[+#/]/.test(s)) },
  { weight: 1, arbitrary: fc.constant('+') },
);

export const topicFilter = fc
  .tuple(fc.array(level, { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? levels.concat('#') : levels).join('/'))
  .filter((f) => f.length > 0);

export const packetId = fc.integer({ min: 1, max: 65535 });
export const qos = fc.constantFrom(0, 1, 2);
export const payload = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 16000, maxLength: 20000 }) },
);

// Packets a server sends to a client, as mqtt-packet objects.
export const serverPacket = fc.oneof(
  fc.record({ cmd: fc.constant('connack'), returnCode: fc.integer({ min: 0, max: 5 }), sessionPresent: fc.boolean() }),
  fc
    .record({ topic: topicName, payload, qos, retain: fc.boolean(), dup: fc.boolean(), messageId: packetId })
    .map((p) => ({
      cmd: 'publish',
      ...p,
      payload: Buffer.from(p.payload),
      dup: p.qos > 0 && p.dup,
      messageId: p.qos ? p.messageId : undefined,
    })),
  fc.record({ cmd: fc.constantFrom('puback', 'pubrec', 'pubrel', 'pubcomp', 'unsuback'), messageId: packetId }),
  fc.record({
    cmd: fc.constant('suback'),
    messageId: packetId,
    granted: fc.array(fc.constantFrom(0, 1, 2, 128), { minLength: 1, maxLength: 8 }),
  }),
  fc.constant({ cmd: 'pingresp' }),
);
