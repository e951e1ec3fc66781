import { Err, Type } from '../codec/constants';
import { Properties, propsSize } from '../codec/properties';
import { Packet } from '../codec/reader';
import { fromBytes, toBytes } from '../codec/strings';
import { SCRATCH, encodeEmpty, measured, scratch } from '../codec/writer';
import { EndOptions } from './client';
import { ClientErr, MqttError, mqttError } from './errors';
import { emit, flush } from './events';
import { Stage, remove, slotOf } from './outbox';
import { pump, reportDrop, send } from './outbound';
import { lose } from './session';
import { Request, Session } from './state';

// MQTT 5.0's rules for the session, in the v5 builds only (every caller is behind MQTT5 && s._v5): what the
// server's CONNACK sets for the connection, reason codes as errors, the server's DISCONNECT, topic aliases.

// A copy of properties the client keeps (CONNECT's, a subscription's), made once: an application that
// changes its object later changes nothing that was checked. null for none.
export function copyProps(p?: Properties | null): Properties | null {
  if (!p) return null;
  const c: Properties = {};
  // the user properties' object too (a level deeper)
  for (const name in p) c[name] = name === 'userProperties' ? copyProps(p[name] as Properties) : p[name];
  return c;
}

// ---- reason codes (5.0 2.4) as errors

// "Not authorized (0x87)": the name the standard gives a reason code.
export function reasonName(rc: number): string {
  const names =
    '|04Disconnect with Will Message|10No matching subscribers|11No subscription existed|18Continue authentication|19Re-authenticate' +
    '|80Unspecified error|81Malformed Packet|82Protocol Error|83Implementation specific error|84Unsupported Protocol Version' +
    '|85Client Identifier not valid|86Bad User Name or Password|87Not authorized|88Server unavailable|89Server busy|8aBanned' +
    '|8bServer shutting down|8cBad authentication method|8dKeep Alive timeout|8eSession taken over|8fTopic Filter invalid' +
    '|90Topic Name invalid|91Packet Identifier in use|92Packet Identifier not found|93Receive Maximum exceeded|94Topic Alias invalid' +
    '|95Packet too large|96Message rate too high|97Quota exceeded|98Administrative action|99Payload format invalid' +
    '|9aRetain not supported|9bQoS not supported|9cUse another server|9dServer moved|9eShared Subscriptions not supported' +
    '|9fConnection rate exceeded|a0Maximum connect time|a1Subscription Identifiers not supported|a2Wildcard Subscriptions not supported|';
  const hex = (rc < 16 ? '0' : '') + rc.toString(16);
  const at = names.indexOf('|' + hex);
  return (at < 0 ? 'reason' : names.substring(at + 3, names.indexOf('|', at + 1))) + ' (0x' + hex + ')';
}

// An error that carries the server's reason code (err.reasonCode) and its Reason String and properties.
export function reasonError(code: number, rc: number, props?: Properties, detail?: string): MqttError {
  const why = props && props.reasonString;
  const e = mqttError(code, (detail ? detail + ': ' : '') + reasonName(rc) + (why ? ': ' + why : ''));
  e.reasonCode = rc;
  if (props) e.properties = props;
  return e;
}

// Reason codes after which coming back at once would meet the same answer: the client waits its longest
// backoff (credentials, authorization, a ban, quotas and rates, a busy server, another client taking over).
function waitLong(rc: number): boolean {
  return ' 84 85 86 87 89 8a 8c 8e 96 97 9f '.indexOf(' ' + rc.toString(16) + ' ') >= 0;
}

// ---- CONNACK

// A 5.0 CONNACK. A refusal (a reason code of 0x80 or more) closes the connection, reported with the 3.1.1
// code where 3.1.1 has the same refusal, else REFUSED5; true when the connection was accepted, its limits
// then apply to it (3.2.2.3 of 5.0).
export function connack5(s: Session, p: Packet): boolean {
  const props = p.props || {};
  const rc = p.code;
  if (rc >= 0x80) {
    const same = ' 84 85 88 86 87'.indexOf(' ' + rc.toString(16));
    emit(s, 'error', reasonError(same < 0 ? ClientErr.REFUSED5 : ClientErr.REFUSED + 1 + same / 3, rc, p.props));
    lose(s, 0, '', waitLong(rc));
    return false;
  }
  // the server's Receive Maximum caps QoS 1 and 2 messages in flight (3.3.4 of 5.0)
  s._window = Math.min(s._userWindow!, (props.receiveMaximum as number) || 65535);
  s._maxQos = props.maximumQoS != null ? (props.maximumQoS as number) : 2;
  s._retainOk = props.retainAvailable !== false;
  s._maxPacket = (props.maximumPacketSize as number) || 268435460;
  s._subNo = (props.wildcardSubscriptionAvailable === false ? 1 : 0) + (props.sharedSubscriptionAvailable === false ? 2 : 0) + (props.subscriptionIdentifiersAvailable === false ? 4 : 0);
  s._serverKeepalive = props.serverKeepAlive as number | undefined; // used in place of ours (3.2.2.3.14)
  s._aliasMax = Math.min(s._aliasCap!, (props.topicAliasMaximum as number) || 0);
  s._aliasOut = []; // topic aliases are per connection, both ways (3.3.2.3.4)
  s._aliasIn = [];
  // an identifier the server assigned is this client's from now on: a session resumed later is under it
  if (props.assignedClientIdentifier != null && !s._fields!.clientId) s._fields!.clientId = toBytes(props.assignedClientIdentifier as string);
  return true;
}

// Why outbox message k may not go to this server, as an error code, or 0: its QoS above the server's
// Maximum QoS, retained where the server has no retain, larger than the server's Maximum Packet Size, or its
// Message Expiry Interval passed while it waited (3.2.2.3.4, 3.2.2.3.5, 3.2.2.3.6, 3.3.2.3.3 of 5.0). `held`:
// the server may hold it (sent before, under the session it kept): then it is resent with its packet id
// whatever its age [MQTT-4.4.0-1]: its expiry is the server's to apply.
export function unsendable(s: Session, k: number, held: boolean): number {
  const box = s._box;
  const exp = box._exp![k];
  return ((box._bytes[box._at[k]] >> 1) & 3) > s._maxQos! // (the PUBLISH's own QoS: outbox.ts)
    ? ClientErr.QOS_NOT_SUPPORTED
    : box._bytes[box._at[k]] & 1 && !s._retainOk
      ? ClientErr.RETAIN_NOT_SUPPORTED
      : box._len[k] > s._maxPacket!
        ? ClientErr.PACKET_TOO_LARGE
        : exp && !held && exp <= s._clock.now()
          ? ClientErr.EXPIRED
          : 0;
}

// Drops outbox message k, expired before it could be written on a live connection (53, with 'drop');
// returns the slot before the one that followed it, for pump's loop to go on from.
export function expire(s: Session, k: number): number {
  const done = s._box._done && s._box._done[k];
  const err = reportDrop(s, ClientErr.EXPIRED, k);
  const next = remove(s._box, k);
  emit(s, done, err);
  return next - 1;
}

// Why this server cannot take SUBSCRIBE r, as an error code, or 0: a wildcard filter, a shared one or a
// Subscription Identifier where its CONNACK said it has none (3.2.2.3.11-13 of 5.0). Sending one anyway is a
// protocol error it answers with DISCONNECT (0xA2, 0x9E, 0xA1), and a subscription renewed on every new
// session would meet that on every reconnection.
export function unavailable(s: Session, r: { _filters: string[]; _props?: Properties | null }): number {
  const no = s._subNo!;
  for (let i = 0; i < r._filters.length; i++) {
    const f = r._filters[i];
    if (no & 2 && f.indexOf('$share/') === 0) return ClientErr.SHARED_NOT_SUPPORTED;
    if (no & 1 && /[+#]/.test(f)) return ClientErr.WILDCARD_NOT_SUPPORTED;
  }
  return no & 4 && r._props && r._props.subscriptionIdentifier != null ? ClientErr.SUBSCRIPTION_ID_NOT_SUPPORTED : 0;
}

// ---- acknowledgements

// A PUBACK or PUBREC with a failure code (0x80 or more): the message's flow ends there (4.3.2, 4.3.3 of
// 5.0: no PUBREL after a refused PUBREC), its callback gets the reason.
export function refusedAck(s: Session, p: Packet): void {
  const box = s._box;
  const k = slotOf(box, p.id);
  const stage = k < 0 ? -1 : box._stage[k];
  // the same check as inbound.ts makes for a successful one
  if (stage !== Stage.SENT || (box._bytes[box._at[k]] & 6) !== (p.type === Type.PUBACK ? 2 : 4)) {
    return lose(s, ClientErr.PROTOCOL, 'acknowledgement for unknown packet id ' + p.id);
  }
  const done = box._done && box._done[k];
  remove(box, k);
  emit(s, done || 'error', reasonError(ClientErr.PUBLISH_REFUSED, p.code, p.props));
  pump(s);
}

// A 5.0 UNSUBACK's codes, one per filter of request r: a failure (0x80 or more) reaches its callback (or
// 'error') by name; 0x11 (no subscription existed) is no failure (3.11.3 of 5.0).
export function unsubscribed(s: Session, p: Packet, r: Request): void {
  let failed: MqttError | undefined;
  for (let i = p.start; i < p.end; i++) {
    if (p.buf[i] >= 0x80) failed = reasonError(ClientErr.UNSUBSCRIBE_REFUSED, p.buf[i], p.props, fromBytes(r._filters[i - p.start]));
  }
  emit(s, r._done || (failed && 'error'), failed);
}

// ---- the server ends the connection

// A DISCONNECT from the server (3.14 of 5.0): reported ('disconnect' with the packet's reason code and
// properties, and an error unless it is a normal disconnection), then the connection is closed and the
// reconnect policy applies: the longest wait where coming back at once would meet the same answer, the
// next server where it says to use another one.
export function serverDisconnect(s: Session, p: Packet): void {
  const rc = p.code;
  emit(s, 'disconnect', { reasonCode: rc, properties: p.props });
  if (rc) emit(s, 'error', reasonError(ClientErr.DISCONNECTED, rc, p.props));
  if (rc === 0x9c || rc === 0x9d) s._server = (s._server + 1) % s._servers.length;
  lose(s, 0, '', waitLong(rc));
}

// Before closing a connection for a malformed packet or a protocol error, a 5.0 client says why with a
// DISCONNECT (4.13 of 5.0): 0x81 for what the reader refused (every code up to 20 and the 5.0 codec's come
// from it; 0x95 for a packet larger than the receive buffer), 0x94 for a topic alias, 0x82 for the rest.
// The caller then closes gracefully, after it (a forced close would throw it away), as end() does: so not on
// a link where what was written has waited a second or more (a dead one). True when it was written.
export function goodbye(s: Session, code: number): boolean {
  const rc =
    code === ClientErr.TOPIC_ALIAS ? 0x94 : code === ClientErr.PROTOCOL || code === ClientErr.ACK_MISMATCH ? 0x82 : code === 20 ? 0x95 : (code > 0 && code < 20) || (code >= 42 && code <= 45) ? 0x81 : 0;
  if (!rc || (s._link!._unsent && s._clock.now() - s._unflushedSince >= 1000)) return false;
  const b = scratch || new Uint8Array(SCRATCH); // (writer.ts)
  send(s, encodeEmpty(b, Type.DISCONNECT, rc), b); // (4 bytes)
  return true;
}

// end()'s options for the client's DISCONNECT (5.0 3.14.2): a reason code a client may send (0x04 Disconnect
// with Will Message: the server publishes the will), the properties a DISCONNECT allows but Server Reference
// (the server's), and a Session Expiry Interval only where CONNECT gave one [MQTT-3.14.2-2]; the packet must
// fit txBuffer. Kept (a copy) for the DISCONNECT when they are right; else refused, false: the
// callback `done` gets the error, or else the 'error' event does, and nothing ends.
export function farewell(s: Session, o: EndOptions, done?: () => void): boolean {
  const rc = o.reasonCode || 0;
  const props = o.properties;
  const size = propsSize(props, 1 << Type.DISCONNECT);
  const keeps = s._fields!.properties && s._fields!.properties.sessionExpiryInterval;
  const code =
    size < 0
      ? -size
      : typeof rc !== 'number' || ' 0 4 128 129 130 131 144 147 148 149 150 151 152 153 '.indexOf(' ' + rc + ' ') < 0
        ? Err.BAD_REASON
        : props && (props.serverReference !== undefined || (props.sessionExpiryInterval && !keeps))
          ? Err.BAD_PROPERTY
          : // its length, as the encoder finds it (writer.ts measured: its only failure left here)
            measured(encodeEmpty(scratch || new Uint8Array(SCRATCH), Type.DISCONNECT, rc, props), s._txMax) < 0
            ? Err.BUFFER_TOO_SHORT
            : 0;
  if (code) {
    emit(s, done || 'error', mqttError(code, 'end()'));
    flush(s);
    return false;
  }
  s._byeCode = rc;
  s._byeProps = copyProps(props);
  return true;
}

// Writes the client's DISCONNECT on a 5.0 connection: with end()'s reason code and properties, or with the
// reason code alone where the properties would make it larger than the server's Maximum Packet Size (a
// Reason String or User Property must then be left out: [MQTT-3.14.2-3] [MQTT-3.14.2-4]).
export function bye(s: Session): void {
  let b = scratch || new Uint8Array(SCRATCH);
  let n = measured(encodeEmpty(b, Type.DISCONNECT, s._byeCode, s._byeProps!), s._txMax);
  if (n > s._maxPacket!) n = encodeEmpty(b, Type.DISCONNECT, s._byeCode); // (4 bytes at most)
  else if (n > SCRATCH) n = encodeEmpty((b = new Uint8Array(n)), Type.DISCONNECT, s._byeCode, s._byeProps!);
  send(s, n, b);
}

// ---- topic aliases

// An inbound PUBLISH's topic alias: one with a topic sets it, one without takes the topic it was set to
// (p.topic). False when the alias is 0, above the maximum this client announced (its CONNECT's
// topicAliasMaximum), or unknown: a protocol error that closes the connection (3.3.2.3.4 of 5.0).
export function topicAliasIn(s: Session, p: Packet): boolean {
  const a = p.props && (p.props.topicAlias as number);
  const max = (s._fields!.properties && (s._fields!.properties.topicAliasMaximum as number)) || 0;
  if (!a) {
    if (p.topic || p.error) return true;
  } else if (a <= max) {
    if (p.topic) s._aliasIn![a - 1] = p.topic;
    else p.topic = s._aliasIn![a - 1] || '';
    if (p.topic || p.error) return true;
  }
  lose(s, ClientErr.TOPIC_ALIAS, a ? 'alias ' + a : 'empty topic');
  return false;
}

// The properties to write a message with on this connection, given its topic (bytes): with the alias the
// client gave that topic (the topic itself left out, `[ '', props ]`), or with a new alias set with the
// topic, while the table has room (its size the smaller of the server's Topic Alias Maximum and the client's
// topicAliases). Only messages written at once use aliases: one kept in the outbox may be written on a
// later connection, where the alias means nothing or something else.
export function topicAliasOut(s: Session, topic: string, props: Properties | null): [string, Properties] | null {
  const out = s._aliasOut!;
  let a = out.indexOf(topic) + 1;
  const known = a > 0;
  if (!known) {
    if (out.length >= s._aliasMax!) return null;
    a = out.push(topic);
  }
  const withAlias: Properties = {};
  if (props) for (const name in props) withAlias[name] = props[name];
  withAlias.topicAlias = a;
  return [known ? '' : topic, withAlias];
}
