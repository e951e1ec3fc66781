import { ClientErr, mqttError } from './errors';
import { Options } from './client';

// Options are validated like publishes: a value the board cannot honour is refused by connect(), naming
// the option, before anything is allocated. Buffers stay within 65535 bytes: on Espruino a typed array's
// offset is 16 bits, so a view past that wraps (the outbox keeps 12 bytes a message in one buffer, viewed six
// ways: at most 5461 messages); counts are whole numbers.
export function checkOptions(o: Options): void {
  // name, smallest, largest; whole numbers unless marked ~. A local, not a top-level table: at top level
  // its text would be RAM for the board's whole life.
  const LIMITS =
    'rxBuffer 8 65535 txBuffer 8 65535 outboxBytes 5 65535 outboxMessages 1 5461 window 1 65535 ' +
    'qos2Ids 1 65535 pendingRequests 1 4096 connectTimeout 1 2147483647 min 1 2147483647 max 1 2147483647 ' +
    '~factor 1 1000 ~jitter 0 1 protocolVersion 4 ' + (MQTT5 ? '5 topicAliases 0 65535' : '4');
  const l = LIMITS.split(' ');
  const backoff = typeof o.reconnect === 'object' && o.reconnect ? o.reconnect : {};
  for (let i = 0; i < l.length; i += 3) {
    const whole = l[i].charAt(0) !== '~';
    const name = whole ? l[i] : l[i].substr(1);
    const v = ((name in backoff ? backoff : o) as { [k: string]: unknown })[name];
    if (v == null) continue;
    if (typeof v !== 'number' || !(v >= +l[i + 1] && v <= +l[i + 2]) || (whole && v % 1)) {
      throw mqttError(ClientErr.BAD_OPTION, name + ' must be ' + (whole ? 'a whole number ' : '') + l[i + 1] + '..' + l[i + 2]);
    }
  }
  if (backoff.min && backoff.max && backoff.min > backoff.max) throw mqttError(ClientErr.BAD_OPTION, 'min must not exceed max');
}
