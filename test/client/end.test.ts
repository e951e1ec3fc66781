// Ending: DISCONNECT after the outbox drains (or at once when forced), every timer cancelled, no reconnect.
import { describe, expect, it } from 'vitest';
import { ClientErr } from '../../src/client/errors';
import { setup } from './setup';

describe('end()', () => {
  it('sends DISCONNECT only after the outbox is acknowledged and the socket drained, then closes', () => {
    const t = setup();
    const link = t.online();
    t.client.publish('a', '1', { qos: 1 });
    const [p] = link.take('publish') as unknown as { messageId: number }[];
    let ended = false;
    t.client.end(() => (ended = true));
    expect(link.take('disconnect')).toEqual([]);
    link.receive({ cmd: 'puback', messageId: p.messageId });
    expect(link.take('disconnect')).toEqual([]); // written bytes not yet drained
    link.drain();
    expect(link.take('disconnect').length).toBe(1);
    expect(link.ended && !link.forced).toBe(true);
    expect(ended).toBe(true);
    expect(t.of('end').length).toBe(1);
    expect(t.clock.pending()).toBe(0);
  });

  it('sends DISCONNECT as the last acknowledgement arrives when the socket has drained already', () => {
    const t = setup();
    const link = t.online();
    t.client.publish('a', '1', { qos: 1 });
    const [p] = link.take('publish') as unknown as { messageId: number }[];
    link.drain();
    t.client.end();
    expect(link.take('disconnect')).toEqual([]); // the message is still in flight
    link.receive({ cmd: 'puback', messageId: p.messageId });
    expect(link.take('disconnect').length).toBe(1);
    expect(link.ended && !link.forced).toBe(true);
    expect(t.of('end').length).toBe(1);
  });

  it('forced, sends DISCONNECT at once, reports what it gives up, and sends nothing after [MQTT-3.14.4-2]', () => {
    const t = setup();
    const link = t.online();
    link.drain();
    let gaveUp: { code: number } | undefined;
    t.client.publish('a', '1', { qos: 1 }, (e) => (gaveUp = e as never));
    t.client.end(true);
    expect(link.take().map((p) => p.cmd)).toEqual(['connect', 'publish', 'disconnect']);
    expect(gaveUp!.code).toBe(ClientErr.CLOSED);
    // nothing more on that connection after DISCONNECT [MQTT-3.14.4-2]
    expect(t.client.publish('b', '2')).toBe(false);
    t.clock.advance(120000);
    expect(link.take()).toEqual([]);
    expect(t.of('drop').length).toBe(1);
    expect(t.clock.pending()).toBe(0);
  });

  it('is followed by no reconnect, whatever happens to the socket after', () => {
    const t = setup();
    const link = t.online();
    t.client.end(true);
    link.close();
    t.clock.advance(3600 * 1000);
    expect(t.mock.links.length).toBe(1);
    expect(t.of('reconnect')).toEqual([]);
  });

  it('while waiting to reconnect, cancels the wait', () => {
    const t = setup();
    t.online().close();
    expect(t.clock.pending()).toBe(1);
    t.client.end();
    expect(t.clock.pending()).toBe(0);
    t.clock.advance(60000);
    expect(t.mock.links.length).toBe(1);
  });

  it('before the first connection, opens none', () => {
    const t = setup();
    t.client.end();
    t.clock.advance(60000);
    expect(t.mock.links.length).toBe(0);
    expect(t.of('end').length).toBe(1);
  });

  it('twice is harmless, and both callbacks run', () => {
    const t = setup();
    const link = t.online();
    let calls = 0;
    t.client.end(() => calls++);
    t.client.end(() => calls++);
    link.drain();
    expect(calls).toBe(2);
    t.client.end(() => calls++);
    expect(calls).toBe(3);
    expect(link.take('disconnect').length).toBe(1);
    expect(t.of('end').length).toBe(1);
  });

  it('when the connection drops while waiting for the outbox, finishes without reconnecting', () => {
    const t = setup();
    const link = t.online();
    t.client.publish('a', '1', { qos: 1 });
    t.client.end();
    link.close();
    expect(t.of('end').length).toBe(1);
    t.clock.advance(60000);
    expect(t.mock.links.length).toBe(1);
    expect(t.of('drop').length).toBe(1);
  });
});
