// txBuffer: the longest packet the client writes. The client holds no buffer that long (writer.ts: a packet is
// encoded into an 8-byte scratch, then, when longer, into a buffer of its own length), so every kind of packet
// is written whole up to exactly txBuffer bytes, and one a byte longer is refused before a byte is sent.
import { describe, expect, it } from 'vitest';
import { Err } from '../../src/codec/constants';
import { setup } from './setup';

const TX = 64;

type Pub = { topic: string; payload: Buffer; qos: number; messageId?: number };

describe('txBuffer: packets up to exactly its length, and not a byte more', () => {
  // a PUBLISH with topic 't': 2 bytes of fixed header, 3 of topic, 2 of packet id at QoS 1, then the payload
  for (const qos of [0, 1] as const) {
    for (const kind of ['text', 'bytes']) {
      it(`PUBLISH QoS ${qos}, ${kind} payload`, () => {
        const t = setup({ txBuffer: TX });
        const link = t.online();
        link.drain(); // the CONNECT taken by the socket: the next packet may be written at once
        const n = TX - 5 - (qos ? 2 : 0);
        const payload = (k: number) => (kind === 'text' ? 'p'.repeat(k - 1) + 'q' : Uint8Array.from({ length: k }, (_, i) => (i * 7 + 1) & 255));
        const errs: unknown[] = [];
        const start = link.bytes;
        expect(t.client.publish('t', payload(n), { qos }, (e) => errs.push(e))).toBe(true);
        expect(link.bytes - start).toBe(TX);
        expect(t.client.publish('t', payload(n + 1), { qos }, (e) => errs.push(e))).toBe(false);
        expect(link.bytes - start).toBe(TX); // nothing written of the refused one
        const [p, more] = link.take('publish') as unknown as Pub[];
        expect(more).toBeUndefined();
        expect(Buffer.from(p.payload).equals(Buffer.from(payload(n) as string | Uint8Array))).toBe(true);
        expect(t.client.queued()).toBe(qos); // the QoS 1 one waits for its PUBACK, the refused one is nowhere
        expect(errs.map((e) => (e as { code?: number } | undefined)?.code)).toEqual(qos ? [Err.BUFFER_TOO_SHORT] : [undefined, Err.BUFFER_TOO_SHORT]);
      });
    }
  }

  it('SUBSCRIBE and UNSUBSCRIBE', () => {
    const t = setup({ txBuffer: TX });
    const link = t.online();
    link.drain();
    // fixed header 2, packet id 2, then the filter's length 2, the filter, and (SUBSCRIBE) its QoS byte
    const fits = 'f/' + 'x'.repeat(TX - 7 - 2);
    const errs: unknown[] = [];
    expect(t.client.subscribe(fits + 'y', (e) => errs.push(e))).toBe(false);
    expect(t.client.subscribe(fits, { qos: 1 }, (e) => errs.push(e))).toBe(true);
    const [s] = link.take('subscribe') as unknown as { subscriptions: { topic: string; qos: number }[] }[];
    expect(s.subscriptions).toEqual([{ topic: fits, qos: 1 }]);
    expect(t.client.unsubscribe(fits + 'yz', (e) => errs.push(e))).toBe(false);
    expect(t.client.unsubscribe(fits + 'y', (e) => errs.push(e))).toBe(true);
    expect((link.take('unsubscribe')[0] as unknown as { unsubscriptions: string[] }).unsubscriptions).toEqual([fits + 'y']);
    expect(errs.map((e) => (e as { code: number }).code)).toEqual([Err.BUFFER_TOO_SHORT, Err.BUFFER_TOO_SHORT]);
  });

  it("a new session's SUBSCRIBEs renewing the subscriptions, packed up to txBuffer each", () => {
    const t = setup({ txBuffer: TX });
    let link = t.online();
    // each filter takes 2 + 20 + 1 bytes of a SUBSCRIBE: two fit one (4 + 46 = 50), three do not (73)
    const filters = ['a', 'b', 'c', 'd', 'e'].map((c) => c + '/' + 'x'.repeat(18));
    for (const f of filters) t.client.subscribe(f);
    for (const p of link.take('subscribe')) link.receive({ cmd: 'suback', messageId: p.messageId, granted: [0] });
    link.close();
    t.clock.advance(60000);
    link = t.mock.last();
    link.connack(0, false);
    const subs = link.take('subscribe') as unknown as { length: number; subscriptions: { topic: string }[] }[];
    expect(subs.map((s) => s.subscriptions.map((x) => x.topic))).toEqual([filters.slice(0, 2), filters.slice(2, 4), filters.slice(4)]);
  });

  it('CONNECT with a will', () => {
    // fixed header 2; protocol name 6, level, flags, keep-alive 4; client id 2 + 4; will topic 2 + 1; payload 2 + k
    const k = TX - 2 - 10 - 6 - 3 - 2;
    const will = (n: number) => ({ txBuffer: TX, will: { topic: 'w', payload: 'g'.repeat(n) } });
    expect(() => setup(will(k + 1))).toThrow(expect.objectContaining({ code: Err.BUFFER_TOO_SHORT }));
    const t = setup(will(k));
    let link = t.online();
    expect(link.bytes).toBe(TX);
    // the CONNECT is written on every connection
    for (let i = 0; i < 2; i++) {
      expect(String((link.take('connect')[0] as unknown as { will: { payload: Buffer } }).will.payload)).toBe('g'.repeat(k));
      link.close();
      t.clock.advance(60000);
      link = t.mock.last();
      link.open();
    }
  });

  it("5.0: the client's DISCONNECT with end()'s properties", () => {
    const t = setup({ txBuffer: TX, protocolVersion: 5 });
    const link = t.online();
    link.drain();
    // fixed header 2, reason code 1, properties' length 1, then the Reason String: its id 1, length 2, k bytes
    const k = TX - 7;
    const errs: unknown[] = [];
    const done = (e?: unknown) => errs.push(e && (e as { code: number }).code);
    t.client.end(false, { reasonCode: 0, properties: { reasonString: 'r'.repeat(k + 1) } }, done);
    expect(errs).toEqual([Err.BUFFER_TOO_SHORT]); // refused, and nothing ends
    expect(link.ended).toBe(false);
    const start = link.bytes;
    t.client.end(false, { reasonCode: 0, properties: { reasonString: 'r'.repeat(k) } }, done);
    expect(link.bytes - start).toBe(TX);
    const [d] = link.take('disconnect') as unknown as { properties: { reasonString: string } }[];
    expect(d.properties.reasonString).toBe('r'.repeat(k));
  });

  it('a will made for each connection: refused on the connection it does not fit, written whole where it does', () => {
    let k = TX - 2 - 10 - 6 - 3 - 2;
    const t = setup({ txBuffer: TX, will: { topic: 'w', payload: () => 'g'.repeat(k) } });
    let link = t.online();
    expect(link.bytes).toBe(TX);
    expect(String((link.take('connect')[0] as unknown as { will: { payload: Buffer } }).will.payload)).toBe('g'.repeat(k));
    k++;
    link.close();
    t.clock.advance(60000);
    link = t.mock.last();
    link.open();
    expect(link.take('connect')).toEqual([]); // not a byte of it
    expect(t.errors()).toContain(Err.BUFFER_TOO_SHORT);
  });
});
