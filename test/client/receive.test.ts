// Receiving: acknowledgements after the handler, exactly-once QoS 2, dispatch to per-filter handlers,
// subscriptions remembered and renewed, malformed and oversized input.
import { describe, expect, it, vi } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { ClientErr } from '../../src/client/errors';
import { Err } from '../../src/codec/constants';
import { forEachChunkKind, setup } from './setup';

const publish = (topic: string, payload: string, qos = 0, messageId?: number, dup = false) => ({
  cmd: 'publish',
  topic,
  payload: Buffer.from(payload),
  qos,
  messageId,
  dup,
  retain: false,
});

// Every case twice: as Uint8Array chunks and as byte strings (setup.ts).
forEachChunkKind(() => {
  describe('receiving', () => {
    it('delivers a message with topic, payload and packet details', () => {
      const t = setup();
      const link = t.online();
      link.receive({ ...publish('a/\u00e9', 'caf\u00e9', 1, 7), retain: true });
      const [topic, payload, packet] = t.of('message')[0].args as [string, Buffer, object];
      expect(topic).toBe('a/\u00e9');
      expect(payload.toString('utf8')).toBe('caf\u00e9');
      expect(packet).toMatchObject({ topic: 'a/\u00e9', qos: 1, retain: true, dup: false, messageId: 7 });
    });

    it('acknowledges QoS 1 with PUBACK once the message is the application\'s; its handlers run after [MQTT-4.3.2-2] [MQTT-3.3.4-1]', () => {
      const t = setup();
      const link = t.online();
      link.take();
      const order: string[] = [];
      t.client.on('message', (topic: string, payload: Buffer) => order.push(`handler ${topic} ${payload}, acks so far: ${link.take('puback').length}`));
      link.receive(publish('q', 'x', 1, 42));
      expect(order).toEqual(['handler q x, acks so far: 1']);
      expect(link.take()).toEqual([]);
    });

    it('acknowledges in the order received [MQTT-4.6.0-2]', () => {
      const t = setup();
      const link = t.online();
      link.take();
      link.receive(publish('q', 'a', 1, 5), publish('q', 'b', 1, 3), publish('q', 'c', 1, 9));
      expect(link.take('puback').map((p) => (p as { messageId: number }).messageId)).toEqual([5, 3, 9]);
    });

    it('delivers QoS 2 exactly once: PUBREC, a resent PUBLISH ignored, PUBCOMP on PUBREL [MQTT-4.3.3-2] [MQTT-3.3.4-1]', () => {
      const t = setup();
      const link = t.online();
      link.take();
      link.receive(publish('two', 'x', 2, 11));
      link.receive(publish('two', 'x', 2, 11, true));
      expect(t.of('message').length).toBe(1);
      expect(link.take().map((p) => p.cmd)).toEqual(['pubrec', 'pubrec']);
      link.receive({ cmd: 'pubrel', messageId: 11 });
      expect(link.take()).toEqual([expect.objectContaining({ cmd: 'pubcomp', messageId: 11 })]);
      link.receive(publish('two', 'y', 2, 11)); // the id is free again: a new message
      expect(t.of('message').length).toBe(2);
    });

    it('answers a PUBREL for an unknown id with PUBCOMP', () => {
      const t = setup();
      const link = t.online();
      link.take();
      link.receive({ cmd: 'pubrel', messageId: 77 });
      expect(link.take()).toEqual([expect.objectContaining({ cmd: 'pubcomp', messageId: 77 })]);
      expect(t.errors()).toEqual([]);
    });

    it('remembers the last qos2Ids QoS 2 ids and forgets the ones before [MQTT-4.3.3-2]', () => {
      const N = 4;
      // ids 1..10 received and not yet released: 7..10 are the last N
      const received = () => {
        const t = setup({ qos2Ids: N });
        const link = t.online();
        for (let id = 1; id <= 10; id++) link.receive(publish('two', `first ${id}`, 2, id));
        expect(t.of('message').length).toBe(10);
        link.take();
        return { t, link };
      };
      // each of the last N, resent: acknowledged again, not delivered twice
      const { t, link } = received();
      for (const id of [7, 8, 9, 10]) link.receive(publish('two', `again ${id}`, 2, id, true));
      expect(t.of('message').length).toBe(10);
      expect(link.take().map((p) => `${p.cmd}:${(p as { messageId: number }).messageId}`)).toEqual(['pubrec:7', 'pubrec:8', 'pubrec:9', 'pubrec:10']);
      // each before them is forgotten: delivered again (each on a fresh client, since delivering one makes it the
      // newest and pushes out the oldest remembered)
      for (let id = 1; id <= 10 - N; id++) {
        const f = received();
        f.link.receive(publish('two', `again ${id}`, 2, id, true));
        expect(f.t.of('message').map((e) => String(e.args[1]))).toEqual([...Array.from({ length: 10 }, (_, i) => `first ${i + 1}`), `again ${id}`]);
        expect(f.link.take().map((p) => `${p.cmd}:${(p as { messageId: number }).messageId}`)).toEqual([`pubrec:${id}`]);
      }
    });

    it('still acknowledges a message whose handler throws, and reports the throw', () => {
      const t = setup();
      const link = t.online();
      link.take();
      t.client.on('message', () => {
        throw new Error('boom');
      });
      link.receive(publish('q', 'x', 1, 1));
      expect(link.take('puback').length).toBe(1);
      expect(t.errors()).toEqual([ClientErr.HANDLER]);
    });

    it('survives an error listener that throws on a handler report: its own throw is logged, not re-reported', () => {
      const t = setup();
      const link = t.online();
      link.take();
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      let calls = 0;
      t.client.on('error', () => {
        calls++;
        throw new Error('listener broke');
      });
      t.client.on('message', () => {
        throw new Error('boom');
      });
      link.receive(publish('q', 'x', 1, 1));
      const logged = log.mock.calls.map((c) => String(c[0]));
      log.mockRestore();
      expect(link.take('puback').length).toBe(1);
      expect(calls).toBe(1);
      expect(t.errors()).toEqual([ClientErr.HANDLER]);
      expect(logged).toEqual(['mqtt: handler threw: Error: listener broke']);
    });

    it('logs an error only when no listener has it: one listener is not "none"', () => {
      const t = setup();
      const link = t.online();
      link.take();
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      t.client.on('message', () => {
        throw new Error('boom');
      });
      link.receive(publish('q', 'x', 1, 1)); // the setup's one error listener has it
      const withListener = log.mock.calls.length;
      // (one listener is kept as itself, several in an array: events.ts)
      for (const fn of ([] as (() => void)[]).concat((t.client as unknown as { _listeners: Record<string, (() => void) | (() => void)[]> })._listeners.error || [])) t.client.removeListener('error', fn);
      link.receive(publish('q', 'y', 1, 2)); // nobody listens: still seen
      const logged = log.mock.calls.map((c) => String(c[0]));
      log.mockRestore();
      expect(withListener).toBe(0);
      expect(t.errors()).toEqual([ClientErr.HANDLER]);
      expect(logged).toEqual(['mqtt: handler threw: Error: boom']);
    });

    it('handles 1000 packets arriving in one chunk', () => {
      const t = setup({ rxBuffer: 64 });
      const link = t.online();
      link.take();
      const one = mqttPacket.generate(publish('bulk', 'y', 1, 1) as mqttPacket.Packet);
      const chunk = Buffer.concat(Array.from({ length: 1000 }, (_, i) => {
        const b = Buffer.from(one);
        b.writeUInt16BE(i + 1, 8); // packet id after the 2-byte topic length and "bulk"
        return b;
      }));
      link.receiveBytes(new Uint8Array(chunk));
      expect(t.of('message').length).toBe(1000);
      expect(link.take('puback').length).toBe(1000);
    });

    it('accepts byte strings from the socket, as Espruino delivers them', () => {
      const t = setup();
      const link = t.online();
      link.receiveBytes(mqttPacket.generate(publish('s', 'ok') as mqttPacket.Packet).toString('latin1'));
      expect(String(t.of('message')[0].args[1])).toBe('ok');
    });
  });

  // The usual case on the board, one 'message' listener and nothing queued, is run as the message arrives rather
  // than through the event queue (dispatch in subscriptions.ts): the same order and the same guarantees.
  describe('a message with one listener', () => {
    const alone = () => {
      const t = setup();
      delete (t.client as unknown as { _listeners: Record<string, unknown> })._listeners.message; // not the recorder
      return t;
    };

    it('runs it after the PUBACK, reports its throw, and the next message is still delivered and acknowledged', () => {
      const t = alone();
      const link = t.online();
      link.take();
      const seen: string[] = [];
      t.client.on('message', (topic: string, payload: Buffer) => {
        seen.push(`${topic} ${payload}, acks so far: ${link.take('puback').length}`);
        if (String(payload) === 'a') throw new Error('boom');
      });
      link.receive(publish('q', 'a', 1, 5), publish('q', 'b', 1, 6));
      expect(seen).toEqual(['q a, acks so far: 1', 'q b, acks so far: 1']);
      expect(t.errors()).toEqual([ClientErr.HANDLER]);
      expect(link.ended).toBe(false);
    });

    it('holds what its calls queue until it returns, as the queue would', () => {
      const t = alone();
      const link = t.online();
      const seen: string[] = [];
      t.client.on('message', () => {
        t.client.publish('out', 'x', () => seen.push('callback'));
        seen.push('returned');
      });
      link.receive(publish('q', '1'));
      expect(seen).toEqual(['returned', 'callback']);
    });

    it('runs it after the per-filter handlers, and what they queue after it, as the queue would', () => {
      const t = alone();
      const link = t.online();
      const seen: string[] = [];
      t.client.subscribe('q', { handler: () => {
        seen.push('handler');
        t.client.publish('out', 'x', () => seen.push('published'));
      } });
      t.client.on('message', (topic: string) => {
        seen.push(`message ${topic}`);
        t.client.publish('out', 'y', () => seen.push('published from message'));
      });
      link.receive(publish('q', '1'), publish('other', '2'));
      expect(seen).toEqual(['handler', 'message q', 'published', 'published from message', 'message other', 'published from message']);
    });
  });

  describe('malformed and oversized input', () => {
    it('closes the connection cleanly on a malformed packet and reconnects', () => {
      const t = setup();
      const link = t.online();
      link.receiveBytes(new Uint8Array([0x41, 0x02, 0x00, 0x01])); // PUBACK with reserved flags set
      expect(t.errors()).toEqual([Err.BAD_FLAGS]);
      expect(link.ended).toBe(true);
      expect(t.client.connected).toBe(false);
      t.clock.advance(1000);
      const next = t.mock.last();
      expect(next).not.toBe(link);
      next.connack();
      expect(t.client.connected).toBe(true);
    });

    it('closes on a second CONNACK, and on any packet before CONNACK', () => {
      const t = setup();
      const link = t.online();
      link.receive({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      expect(t.errors()).toEqual([ClientErr.PROTOCOL]);
      t.clock.advance(1000);
      const next = t.mock.last();
      next.open();
      next.receive({ cmd: 'pingresp' });
      expect(t.errors()).toEqual([ClientErr.PROTOCOL, ClientErr.PROTOCOL]);
    });

    it('acknowledges an oversized PUBLISH per its QoS and reports it as dropped; the stream goes on', () => {
      const t = setup({ rxBuffer: 32 });
      const link = t.online();
      link.take();
      link.receive(publish('big', 'z'.repeat(200), 1, 5), publish('big', 'z'.repeat(200), 2, 6), publish('small', 'ok'));
      expect(link.take().map((p) => `${p.cmd}:${(p as { messageId?: number }).messageId}`)).toEqual(['puback:5', 'pubrec:6']);
      const drops = t.of('drop').map((e) => e.args[0]);
      expect(drops).toEqual([
        expect.objectContaining({ code: Err.TOO_LARGE, topic: 'big', qos: 1, size: 207 }),
        expect.objectContaining({ code: Err.TOO_LARGE, topic: 'big', qos: 2, size: 207 }),
      ]);
      expect(t.of('message').map((e) => e.args[0])).toEqual(['small']);
      expect(t.client.connected).toBe(true);
    });

    it('never throws out of the socket callback, whatever arrives', () => {
      const t = setup();
      const link = t.online();
      let breaks = 0;
      for (let i = 0; i < 200; i++) {
        const junk = new Uint8Array(1 + (i % 50)).map((_, j) => (i * 31 + j * 17) & 255);
        expect(() => t.mock.last().receiveBytes(junk)).not.toThrow();
        if (!t.client.connected) {
          breaks++;
          const links = t.mock.links.length;
          while (t.mock.links.length === links) t.clock.advance(100); // the backoff, whatever it is
          t.mock.last().connack();
        }
      }
      // the junk broke the first link; every broken link was closed at once, reported once as malformed
      // input (a codec error), and replaced by exactly one new link; the client ends on the newest, connected
      expect(breaks).toBeGreaterThan(0);
      expect(link.ended && link.forced).toBe(true);
      expect(t.mock.links.length).toBe(1 + breaks);
      expect(t.mock.links.slice(0, -1).every((l) => l.ended && l.forced)).toBe(true);
      expect(t.mock.last().ended).toBe(false);
      expect(t.client.connected).toBe(true);
      expect(t.of('offline').length).toBe(breaks);
      const errors = t.errors();
      expect(errors.length).toBe(breaks);
      expect(errors.filter((code) => !(code > 0 && code < ClientErr.REFUSED))).toEqual([]);
    });
  });

  describe('subscriptions', () => {
    it('subscribes and reports what was granted', () => {
      const t = setup();
      const link = t.online();
      let granted: unknown;
      t.client.subscribe(['a/+', 'b/#'], { qos: 1 }, (err, g) => (granted = err || g));
      const [s] = link.take('subscribe') as unknown as { messageId: number; subscriptions: object[] }[];
      expect(s.subscriptions).toEqual([{ topic: 'a/+', qos: 1 }, { topic: 'b/#', qos: 1 }]);
      link.receive({ cmd: 'suback', messageId: s.messageId, granted: [1, 0] });
      expect(granted).toEqual([{ topic: 'a/+', qos: 1 }, { topic: 'b/#', qos: 0 }]);
    });

    it('calls each matching per-filter handler, with + and # and the $ rule [MQTT-4.7.2-1]', () => {
      const t = setup();
      const link = t.online();
      const got: string[] = [];
      t.client.subscribe('home/+/temp', { handler: (topic) => got.push(`temp ${topic}`) });
      t.client.subscribe('home/#', { handler: (topic) => got.push(`all ${topic}`) });
      t.client.subscribe('#', { handler: (topic) => got.push(`root ${topic}`) });
      link.receive(publish('home/kitchen/temp', '1'), publish('home', '2'), publish('$SYS/x', '3'), publish('other', '4'));
      expect(got).toEqual([
        'temp home/kitchen/temp',
        'all home/kitchen/temp',
        'root home/kitchen/temp',
        'all home',
        'root home',
        'root other',
      ]);
      expect(t.of('message').length).toBe(4);
    });

    it('subscribes while offline once connected, and renews subscriptions once after a reconnect without a session', () => {
      const t = setup();
      t.client.subscribe('a', { qos: 1 });
      t.client.subscribe('b');
      let link = t.online();
      const first = link.take('subscribe') as unknown as { messageId: number; subscriptions: object[] }[];
      expect(first.flatMap((s) => s.subscriptions)).toEqual([{ topic: 'a', qos: 1 }, { topic: 'b', qos: 0 }]);
      for (const s of first) link.receive({ cmd: 'suback', messageId: s.messageId, granted: s.subscriptions.map(() => 0) });
      link.close();
      t.clock.advance(1000);
      link = t.mock.last();
      link.connack(0, false);
      const renewed = link.take('subscribe') as unknown as { subscriptions: object[] }[];
      expect(renewed.length).toBe(1);
      expect(renewed[0].subscriptions).toEqual([{ topic: 'a', qos: 1 }, { topic: 'b', qos: 0 }]);
    });

    it('does not renew when the broker kept the session', () => {
      const t = setup({ clean: false });
      t.client.subscribe('a');
      let link = t.online();
      const [s] = link.take('subscribe') as unknown as { messageId: number }[];
      link.receive({ cmd: 'suback', messageId: s.messageId, granted: [0] });
      link.close();
      t.clock.advance(1000);
      link = t.mock.last();
      link.connack(0, true);
      expect(link.take('subscribe')).toEqual([]);
    });

    it('reports a refused filter (0x80) as an error and does not renew it', () => {
      const t = setup();
      let link = t.online();
      let result: unknown;
      t.client.subscribe(['ok', 'denied'], (err, granted) => (result = { err, granted }));
      const [s] = link.take('subscribe') as unknown as { messageId: number }[];
      link.receive({ cmd: 'suback', messageId: s.messageId, granted: [0, 128] });
      expect(result).toMatchObject({ err: { code: ClientErr.SUBSCRIBE_REFUSED, topic: 'denied' }, granted: [{ topic: 'ok', qos: 0 }, { topic: 'denied', qos: 128 }] });
      link.close();
      t.clock.advance(1000);
      link = t.mock.last();
      link.connack();
      expect((link.take('subscribe') as unknown as { subscriptions: object[] }[])[0].subscriptions).toEqual([{ topic: 'ok', qos: 0 }]);
    });

    it('without a callback a refused filter goes to the error event', () => {
      const t = setup();
      const link = t.online();
      t.client.subscribe('denied');
      const [s] = link.take('subscribe') as unknown as { messageId: number }[];
      link.receive({ cmd: 'suback', messageId: s.messageId, granted: [128] });
      expect(t.errors()).toEqual([ClientErr.SUBSCRIBE_REFUSED]);
    });

    it('unsubscribes: handlers stop at once, UNSUBACK calls back, no renewal after', () => {
      const t = setup();
      const link = t.online();
      const got: string[] = [];
      t.client.subscribe('u', { handler: (topic) => got.push(topic) });
      let done = false;
      t.client.unsubscribe('u', () => (done = true));
      link.receive(publish('u', 'x'));
      expect(got).toEqual([]);
      const [u] = link.take('unsubscribe') as unknown as { messageId: number; unsubscriptions: string[] }[];
      expect(u.unsubscriptions).toEqual(['u']);
      link.receive({ cmd: 'unsuback', messageId: u.messageId });
      expect(done).toBe(true);
    });

    it.each([
      ['a+', Err.BAD_FILTER],
      ['a/#/b', Err.BAD_FILTER],
      ['', Err.TOPIC_EMPTY],
      ['a\0', Err.NUL_CHAR],
    ])('refuses the filter "%s" before sending anything', (filter, code) => {
      const t = setup();
      const link = t.online();
      link.take();
      let err: { code: number } | undefined;
      expect(t.client.subscribe(filter, (e) => (err = e))).toBe(false);
      expect(err!.code).toBe(code);
      expect(t.client.unsubscribe(filter)).toBe(false);
      expect(link.take()).toEqual([]);
    });

    it('takes QoS 0, 1 and 2 and refuses any other, "1" and 1.5 too, before sending anything [MQTT-3.8.3-4]', () => {
      const t = setup();
      const link = t.online();
      link.take();
      for (const qos of [0, 1, 2]) t.client.subscribe('q' + qos, { qos });
      expect(link.take('subscribe').map((p) => (p as unknown as { subscriptions: { qos: number }[] }).subscriptions[0].qos)).toEqual([0, 1, 2]);
      t.client.subscribe('a', { qos: '1' as never });
      t.client.subscribe('a', { qos: 1.5 as never });
      expect(link.take()).toEqual([]);
      expect(t.errors()).toEqual([Err.BAD_QOS, Err.BAD_QOS]);
    });

    it('refuses QoS 3 and an empty list', () => {
      const t = setup();
      t.online();
      expect(t.client.subscribe('a', { qos: 3 })).toBe(false);
      expect(t.client.subscribe([])).toBe(false);
      expect(t.errors()).toEqual([Err.BAD_QOS, Err.NO_FILTERS]);
    });
  });
});
