// Listeners run only after the state change that caused them is complete, and may call any public method.
import { describe, expect, it, vi } from 'vitest';
import mqttPacket from 'mqtt-packet';
import { ClientErr } from '../../src/client/errors';
import { forEachChunkKind, setup, type Setup } from './setup';

// Drives a client into each event, with `end` called from its listener.
const scenarios: [string, (t: Setup) => void][] = [
  ['close', (t) => t.online().close()],
  ['offline', (t) => t.online().close()],
  ['error', (t) => t.online().close({ message: 'ECONNRESET' })],
  ['reconnect', (t) => {
    t.online().close();
    t.clock.advance(1000);
  }],
  ['drop', (t) => {
    t.online().close();
    t.client.publish('x', '1', { qos: 1 });
    t.client.publish('x', '2', { qos: 1 }); // outboxMessages: 1
  }],
];

// Every case twice: as Uint8Array chunks and as byte strings (setup.ts).
forEachChunkKind(() => {
  describe('end() from a listener', () => {
    for (const [event, cause] of scenarios) {
      for (const force of [false, true]) {
        it(`ends the client for good when called from a '${event}' listener${force ? ', forced' : ''}`, () => {
          const t = setup({ outboxMessages: 1 });
          let calls = 0;
          t.client.on(event, () => {
            calls++;
            t.client.end(force);
          });
          cause(t);
          expect(calls).toBe(event === 'drop' ? 2 : 1); // drop: the message given up, then the one end() gives up
          const links = t.mock.links.length;
          t.clock.advance(3600 * 1000);
          expect(t.mock.links.length).toBe(links); // no reconnect follows
          expect(t.mock.links.every((l) => l.ended)).toBe(true);
          expect(t.client.connected).toBe(false);
          expect(t.of('end').length).toBe(1);
          expect(t.clock.pending()).toBe(0);
          let refused: { code: number } | undefined;
          expect(t.client.publish('later', 'x', (e) => (refused = e as never))).toBe(false);
          expect(refused!.code).toBe(ClientErr.CLOSED);
        });
      }
    }

    // each packet's events run before the next packet of the chunk is read (inbound.ts), through the queue or,
    // for the only listener, at once (dispatch in subscriptions.ts)
    for (const alone of [false, true]) {
      it(`on a message stops the rest of its chunk: the next is neither delivered nor acknowledged${alone ? ' (the only listener)' : ''}`, () => {
        const t = setup();
        if (alone) delete (t.client as unknown as { _listeners: Record<string, unknown> })._listeners.message;
        const link = t.online();
        link.take();
        const seen: string[] = [];
        t.client.on('message', (_topic: string, payload: Buffer) => {
          seen.push(String(payload));
          t.client.end(true);
        });
        const pub = (payload: string, messageId: number) => mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from(payload), qos: 1, messageId, dup: false, retain: false });
        link.receiveBytes(new Uint8Array(Buffer.concat([pub('1', 1), pub('2', 2)])));
        expect(seen).toEqual(['1']);
        expect(link.take('puback').map((p) => (p as { messageId: number }).messageId)).toEqual([1]);
        expect(t.of('end').length).toBe(1);
      });
    }

    it('finds the client in a state that makes sense: connected is already false in close and offline', () => {
      const t = setup();
      const seen: string[] = [];
      t.client.on('close', () => seen.push(`close ${t.client.connected}`));
      t.client.on('offline', () => seen.push(`offline ${t.client.connected}`));
      t.client.on('connect', () => seen.push(`connect ${t.client.connected}`));
      const link = t.online();
      link.close();
      expect(seen).toEqual(['connect true', 'close false', 'offline false']);
    });
  });

  describe('a drop listener that publishes', () => {
    for (const overflow of ['drop-oldest', 'reject-new'] as const) {
      it(`loses nothing silently and never recurses, however full the outbox (${overflow})`, () => {
        const t = setup({ outboxMessages: 200, outboxBytes: 65535, overflow });
        const dropped: string[] = [];
        const called: string[] = [];
        const reports: boolean[] = [];
        t.client.on('drop', (e: { topic: string }) => {
          dropped.push(e.topic);
          reports.push(t.client.publish('report', 'lost ' + e.topic, { qos: 1 }));
        });
        let accepted = 0;
        for (let i = 0; i < 1000; i++) {
          t.client.publish(`m/${i}`, 'x', { qos: 1 }, (e) => {
            called.push(`m/${i}`);
            if (!e) accepted++;
          });
        }
        // every message given up: exactly one drop and one callback
        expect(new Set(dropped).size).toBe(dropped.length);
        expect(dropped.filter((d) => d.startsWith('m/')).sort()).toEqual(called.slice().sort());
        expect(called.length).toBe(1000 - t.client.queued() + dropped.filter((d) => d === 'report').length);
        expect(t.client.queued()).toBeLessThanOrEqual(200);
        expect(reports.every((r) => r === false)).toBe(true); // a full outbox takes no report
        // and what stayed is delivered
        const link = t.online();
        for (let i = 0; i < 1000 && t.client.queued(); i++) {
          link.drain();
          for (const p of link.take('publish')) link.receive({ cmd: 'puback', messageId: p.messageId });
        }
        expect(t.client.queued()).toBe(0);
        expect(accepted + dropped.filter((d) => d.startsWith('m/')).length).toBe(1000);
      });
    }
  });

  describe('a listener that throws', () => {
    it('is reported once and changes nothing else', () => {
      const t = setup();
      t.client.on('connect', () => {
        throw new Error('boom');
      });
      const link = t.online();
      expect(t.errors()).toEqual([ClientErr.HANDLER]);
      expect(t.client.connected).toBe(true);
      expect(t.of('connect').length).toBe(1); // the other listeners still ran
      t.client.publish('a', '1', { qos: 1 });
      expect(link.take('publish').length).toBe(1);
      expect(link.ended).toBe(false);
    });

    it('in a message handler still lets the message be acknowledged and the next one delivered', () => {
      const t = setup();
      const link = t.online();
      let n = 0;
      t.client.subscribe('t', {
        handler: () => {
          n++;
          throw new Error('bad handler');
        },
      });
      link.take();
      link.receive({ cmd: 'publish', topic: 't', payload: Buffer.from('1'), qos: 1, messageId: 5 }, { cmd: 'publish', topic: 't', payload: Buffer.from('2'), qos: 1, messageId: 6 });
      expect(n).toBe(2);
      expect(link.take('puback').map((p) => p.messageId)).toEqual([5, 6]);
      expect(t.errors()).toEqual([ClientErr.HANDLER, ClientErr.HANDLER]);
    });
  });

  describe('public methods called from listeners', () => {
    it('subscribe, publish and reconnect from connect and message listeners all take effect, in order', () => {
      const t = setup();
      t.client.on('connect', () => {
        t.client.subscribe('in');
        t.client.publish('hello', 'x');
      });
      const link = t.online();
      expect(link.take().map((p) => p.cmd)).toEqual(['connect', 'subscribe', 'publish']);
      t.client.on('message', () => t.client.reconnect());
      link.receive({ cmd: 'publish', topic: 'in', payload: Buffer.from('x'), qos: 0 });
      expect(link.ended).toBe(true);
      t.clock.advance(0);
      expect(t.mock.links.length).toBe(2);
    });
  });

  describe('end(true) on a dead link', () => {
    it('closes the socket at once (forced), so no old send buffer lives on beside a new connection', () => {
      const t = setup();
      const link = t.online();
      link.drain();
      t.client.publish('a', 'x'.repeat(100), { qos: 1 }); // written, never taken by the socket
      t.clock.advance(1000);
      t.client.end(true);
      expect(link.ended && link.forced).toBe(true);
    });

    it('a goodbye written just before it on a healthy link is not thrown away', () => {
      const t = setup();
      const link = t.online();
      link.drain();
      link.take();
      t.client.publish('status', 'offline', { retain: true });
      t.client.end(true);
      expect(link.take().map((p) => p.cmd)).toEqual(['publish', 'disconnect']);
      expect(link.ended && !link.forced).toBe(true);
    });

    it('on a healthy link sends DISCONNECT and closes after it, not forced [MQTT-3.14.4-1]', () => {
      const t = setup();
      const link = t.online();
      link.drain();
      t.client.end(true);
      expect(link.take('disconnect').length).toBe(1);
      expect(link.ended && !link.forced).toBe(true);
    });
  });

  describe('listeners', () => {
    it('one that removes itself does not make the next miss the event (there is no once() on Espruino)', () => {
      const t = setup();
      const seen: string[] = [];
      const a = () => {
        seen.push('a');
        t.client.removeListener('connect', a);
      };
      t.client.on('connect', a);
      t.client.on('connect', () => seen.push('b'));
      t.online();
      expect(seen).toEqual(['a', 'b']);
    });

    it('one added by the only listener waits for the next event, as with several: none runs twice, none loops', () => {
      const t = setup();
      delete (t.client as unknown as { _listeners: Record<string, unknown> })._listeners.connect; // the setup's recorder: this one alone
      const seen: string[] = [];
      let adds = 0;
      const again = () => {
        seen.push('again');
        if (++adds < 5) t.client.on('connect', again); // adds one more: it must not run for the connect adding it
      };
      t.client.on('connect', () => {
        seen.push('first');
        t.client.on('connect', again);
      });
      const link = t.online();
      expect(seen).toEqual(['first']);
      link.close();
      t.clock.advance(1000);
      t.mock.last().connack();
      expect(seen).toEqual(['first', 'first', 'again']);
    });

    it('added and removed one by one, from one to two and back to none (one kept as itself, several in an array), each event reaches exactly those listening', () => {
      const t = setup();
      const seen: string[] = [];
      const a = (topic: string) => seen.push('a ' + topic);
      const b = (topic: string) => seen.push('b ' + topic);
      const link = t.online();
      delete (t.client as unknown as { _listeners: Record<string, unknown> })._listeners.message; // not the recorder
      const send = (topic: string, id: number) => link.receive({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 1, messageId: id });
      send('t/0', 1);
      t.client.on('message', a);
      send('t/1', 2);
      t.client.on('message', b);
      send('t/2', 3);
      t.client.removeListener('message', a);
      // (one left is kept as itself again: 2 blocks on the board, and dispatch calls it directly)
      expect(typeof (t.client as unknown as { _listeners: Record<string, unknown> })._listeners.message).toBe('function');
      send('t/3', 4);
      t.client.removeListener('message', a); // (not there: nothing changes)
      send('t/4', 5);
      t.client.removeListener('message', b);
      send('t/5', 6);
      t.client.on('message', b);
      t.client.on('message', b); // twice: called twice, as Node's emitters do
      send('t/6', 7);
      t.client.removeListener('message', b);
      send('t/7', 8);
      expect(seen).toEqual(['a t/1', 'a t/2', 'b t/2', 'b t/3', 'b t/4', 'b t/6', 'b t/6', 'b t/7']);
      // and an error with no listener left is still seen, whether the last was alone or one of several
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const logged = () => log.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith('mqtt: ')).length;
      delete (t.client as unknown as { _listeners: Record<string, unknown> })._listeners.error; // not the recorder
      t.client.on('error', a);
      t.client.removeListener('error', a);
      t.client.publish('t', 'x', { qos: 3 as never });
      expect(logged()).toBe(1);
      t.client.on('error', a);
      t.client.on('error', b);
      t.client.removeListener('error', a);
      t.client.removeListener('error', b);
      t.client.publish('t', 'x', { qos: 3 as never });
      expect(logged()).toBe(2);
      log.mockRestore();
    });

    it('on() refuses a listener that is no function, at once, and the others still run', () => {
      const t = setup();
      const seen: string[] = [];
      expect(() => t.client.on('connect', undefined as never)).toThrow(TypeError);
      t.client.on('connect', () => seen.push('after'));
      t.online();
      expect(seen).toEqual(['after']);
    });
  });
});
