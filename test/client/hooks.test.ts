// What the Sparkplug node needs: a will made for every CONNECT (an option of the client, `will.payload` a
// function), and a move to the next server on demand (src/client/hooks.ts).
import { describe, expect, it } from 'vitest';
import { reconnectNext } from '../../src/client/hooks';
import { setup } from './setup';

type Connect = { cmd: string; will?: { topic: string; payload: Buffer } };

describe('a will made for each connection (will.payload a function)', () => {
  it('asks for the will once per CONNECT written, and that CONNECT carries it', () => {
    let n = 0;
    const t = setup({ will: { topic: 'w', payload: () => 'will ' + n++, qos: 1 }, connectTimeout: 500 });
    expect(n).toBe(0); // not while connecting: making it may count something (a bdSeq)
    let link = t.online();
    expect((link.take('connect')[0] as Connect).will!.payload.toString()).toBe('will 0');
    link.close();
    t.clock.advance(1000); // the backoff: a new socket, whose CONNECT is not written until it opens
    expect(n).toBe(1);
    link = t.mock.last();
    link.open();
    expect((link.take('connect')[0] as Connect).will!.payload.toString()).toBe('will 1');
    // no CONNACK: the attempt times out; the next one carries the next will
    t.clock.advance(500);
    t.clock.advance(2000);
    link = t.mock.last();
    link.connack();
    expect((link.take('connect')[0] as Connect).will!.payload.toString()).toBe('will 2');
    expect(n).toBe(3);
  });

  it('asks nothing for a socket the client has already given up on', () => {
    let n = 0;
    const t = setup({ will: { topic: 'w', payload: () => String(n++) }, connectTimeout: 500 });
    t.clock.advance(0);
    const stale = t.mock.last();
    t.clock.advance(500); // connect timeout before the socket opened
    stale.open(); // it opens late: the client ignores it, and no will is made for it
    expect(n).toBe(0);
    expect(stale.sent).toEqual([]);
  });

  it('keeps the previous will when making the new one throws (no memory on the board)', () => {
    let fail = false;
    const t = setup({
      will: {
        topic: 'w',
        payload: () => {
          if (fail) throw new Error('out of memory');
          return new Uint8Array([1, 2, 3]);
        },
      },
    });
    let link = t.online();
    expect([...(link.take('connect')[0] as Connect).will!.payload]).toEqual([1, 2, 3]);
    fail = true;
    link.close();
    t.clock.advance(1000);
    link = t.mock.last();
    link.connack();
    expect([...(link.take('connect')[0] as Connect).will!.payload]).toEqual([1, 2, 3]);
    expect(t.client.connected).toBe(true);
  });
  it('fails the connection, writing nothing, when the first will cannot be made, and makes it again next time', () => {
    let fail = true;
    const t = setup({ will: { topic: 'w', payload: () => (fail ? (null as unknown as string).slice() : 'made') } });
    t.clock.advance(0);
    const first = t.mock.last();
    first.open();
    expect(first.sent).toEqual([]); // no CONNECT with an empty will
    expect(first.ended).toBe(true);
    expect(t.of('error').length).toBe(1);
    fail = false;
    t.clock.advance(60000);
    const second = t.mock.last();
    expect(second).not.toBe(first);
    second.connack();
    expect((second.take('connect')[0] as Connect).will!.payload.toString()).toBe('made');
  });

  it('refuses a will too long for the transmit buffer with an error, not a silent wait for the timeout', () => {
    const t = setup({ will: { topic: 'w', payload: () => 'x'.repeat(200) }, txBuffer: 128 });
    t.clock.advance(0);
    const link = t.mock.last();
    link.open();
    expect(link.sent).toEqual([]);
    expect(link.ended).toBe(true);
    expect((t.of('error')[0].args[0] as Error).message).toMatch(/will/);
  });

  it('takes a will function that returns nothing as an empty will', () => {
    const t = setup({ will: { topic: 'w', payload: () => undefined as unknown as string } });
    const link = t.online();
    expect((link.take('connect')[0] as Connect).will!.payload.length).toBe(0);
  });
});

describe('reconnectNext', () => {
  it('drops a live connection, and connects to the next server of the list after the backoff', () => {
    const t = setup({ servers: [{ host: 'a' }, { host: 'b' }] });
    const first = t.online();
    expect(first.to.host).toBe('a');
    reconnectNext(t.client);
    expect(first.ended).toBe(true);
    expect(t.of('offline').length).toBe(1);
    t.clock.advance(999);
    expect(t.mock.links.length).toBe(1); // the backoff (1 s here), as after any loss: no reconnect storm
    t.clock.advance(1);
    const second = t.mock.last();
    expect(second.to.host).toBe('b');
    second.connack();
    reconnectNext(t.client);
    t.clock.advance(2000); // the second short-lived connection in a row: twice the wait
    expect(t.mock.last().to.host).toBe('a'); // round the list
  });

  it('does nothing while not connected: the client is already on its way to the next connection', () => {
    const t = setup({ servers: [{ host: 'a' }, { host: 'b' }, { host: 'c' }] });
    t.clock.advance(0); // opening a
    reconnectNext(t.client);
    t.mock.last().close(); // refused: the client moves on to b by itself
    t.clock.advance(1000);
    expect(t.mock.links.map((l) => l.to.host)).toEqual(['a', 'b']);
  });
});
