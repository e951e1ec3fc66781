// The Espruino transport over a fake of Espruino's net module, as ../shared/ESPRUINO.md describes it:
// byte-string data, write() stringifies, 'drain' when empty, throws from connect and from a closed socket.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { espruinoTransport } from '../../src/transport/espruino';

type Listener = (...a: unknown[]) => void;

class FakeSocket {
  [field: `#on${string}`]: Listener | Listener[] | undefined;
  written: string[] = [];
  closed = false;
  dSnd?: string; // the interpreter's send buffer: what write() queued and the idle loop has yet to send
  clsNow?: boolean;
  opt?: object; // the options it was made with, kept by the interpreter (clientRequestNew, socketserver.c)
  // As the interpreter keeps them: an event's listeners in its `#on<event>` field, which on() makes a new
  // array (even for one), and which may also hold a single function (src/jswrap_object.c, jsinteractive.c)
  on(ev: string, fn: Listener) {
    if (ev === 'connect') throw new Error('on("connect") with a connect callback trips an interpreter assertion');
    if (typeof this[`#on${ev}`] === 'function') throw new Error('ASSERT(jsvIsArray(source)) FAILED'); // (measured)
    this[`#on${ev}`] = ([] as Listener[]).concat(this[`#on${ev}`] || [], fn);
  }
  emit(ev: string, ...a: unknown[]) {
    // listeners get this = the socket, as on the board, and 'drain' gets it as its argument too
    const l = this[`#on${ev}`];
    for (const fn of typeof l === 'function' ? [l] : l || []) fn.apply(this, ev === 'drain' ? [this] : a);
  }
  write(x: unknown) {
    if (this.closed) throw new Error('This socket is closed');
    this.written.push(String(x)); // exactly what the interpreter does with its argument
    this.dSnd = (this.dSnd || '') + String(x);
    return false;
  }
  end() {
    this.closed = true;
  }
}

const g = globalThis as Record<string, unknown>;
let sockets: FakeSocket[];
let modules: string[];
let failConnect: boolean;
let options: object[];
let load: (name: string) => { connect(opts: object, cb: () => void): unknown };

beforeEach(() => {
  sockets = [];
  modules = [];
  options = [];
  failConnect = false;
  load = (name: string) => {
    modules.push(name);
    return {
      connect(opts: object, cb: () => void) {
        options.push(opts);
        if (failConnect) throw new Error('DNS lookup failed');
        const s = new FakeSocket();
        s.opt = opts;
        sockets.push(s);
        setTimeout(() => cb.call(s, s), 0); // the interpreter calls it with this = the socket, and the socket
        return s;
      },
    };
  };
  g.E = {
    toString: (u8: Uint8Array) => String.fromCharCode(...u8),
    toUint8Array: (s: string) => new Uint8Array([...s].map((c) => c.charCodeAt(0))),
  };
});

afterEach(() => {
  delete g.E;
});

function events() {
  const log: string[] = [];
  const names = ['connect', 'data', 'drain', 'close'];
  return {
    log,
    on: {
      notify: (event: number, arg?: string | Uint8Array | { message?: string }) => {
        if (event === 1) log.push(`data ${typeof arg} ${(arg as string).length}`);
        else if (event === 3) log.push(`close ${arg ? (arg as { message?: string }).message : ''}`);
        else log.push(names[event]);
      },
    },
  };
}

describe('the Espruino transport', () => {
  it('uses net, or tls for mqtts, with one connect callback', async () => {
    const e = events();
    espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, e.on);
    espruinoTransport(load)({ host: 'h', port: 8883, protocol: 'mqtts', ca: 'PEM' }, events().on);
    await new Promise((r) => setTimeout(r, 5));
    expect(modules).toEqual(['net', 'tls']);
    expect(e.log).toEqual(['connect']);
    // a plain connection's options have no TLS names (a block each)
    expect(Object.keys(options[0])).toEqual(['host', 'port']);
    expect(Object.keys(options[1])).toEqual(['host', 'port', 'ca', 'key', 'cert']);
    expect(options[1]).toMatchObject({ host: 'h', port: 8883, ca: 'PEM' });
    // and the socket, which would keep them for as long as it lives, is rid of them once connect has read them
    expect(sockets.map((s) => 'opt' in s)).toEqual([false, false]);
  });

  it("keeps one function in each of the socket's event fields, not an array of one as on() would (2 blocks each on the board)", async () => {
    const e = events();
    espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, e.on);
    const s = sockets[0];
    const fields = ['#ondata', '#ondrain', '#onerror', '#onclose'] as const;
    for (const f of fields) expect(typeof s[f]).toBe('function');
    // one for all but data, which the library (KEEP_HOT_CALLS, as here) hands to the client directly
    expect(new Set(fields.slice(1).map((f) => s[f])).size).toBe(1);
    expect(s['#ondata']).not.toBe(s['#ondrain']);
    // and the events still arrive through them
    await new Promise((r) => setTimeout(r, 5));
    s.emit('data', '\u0020\u0002\u0000\u0000');
    expect(e.log).toEqual(['connect', 'data string 4']);
  });

  it('writes binary as a byte string (never "1,2,3") and a byte string as it is; passes data through, and a drain while the client waits', async () => {
    const e = events();
    const link = espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, e.on);
    await new Promise((r) => setTimeout(r, 5));
    const buf = new Uint8Array([0x30, 0x03, 0x00, 0x01, 0xff, 0x99]);
    link.write(buf, 0, 5);
    link.write('\x30\x02\xffa', 0, 4);
    expect(sockets[0].written).toEqual([String.fromCharCode(0x30, 0x03, 0x00, 0x01, 0xff), '\x30\x02\xffa']);
    sockets[0].emit('data', '\u00d0\u0000');
    // the client counts what it writes (transport.ts): a drain sets it to 0, and is reported only while the
    // client waits for one
    link._unsent = 9;
    sockets[0].emit('drain');
    expect(link._unsent).toBe(0);
    link._unsent = 4;
    link._wait = 1;
    sockets[0].emit('drain');
    expect(link._unsent).toBe(0);
    // the connect callback and 'drain' both bring the socket: the first is the connect, and only it
    expect(e.log).toEqual(['connect', 'data string 2', 'drain']);
  });

  it('reports a connect that throws as a closed link, later, never by throwing', async () => {
    failConnect = true;
    const e = events();
    const link = espruinoTransport(load)({ host: 'nowhere', port: 1883, protocol: 'mqtt' }, e.on);
    expect(e.log).toEqual([]);
    expect(() => link.write(new Uint8Array(2), 0, 2)).not.toThrow();
    await new Promise((r) => setTimeout(r, 5));
    expect(e.log).toEqual(['close DNS lookup failed']);
  });

  it('catches a write to a closed socket and reports the close once', async () => {
    const e = events();
    const link = espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, e.on);
    sockets[0].closed = true;
    expect(() => link.write(new Uint8Array(2), 0, 2)).not.toThrow();
    sockets[0].emit('close');
    await new Promise((r) => setTimeout(r, 5));
    expect(e.log.filter((l) => l.startsWith('close'))).toEqual(['close This socket is closed']);
  });

  it('end(true) drops the unsent data and closes now; end() leaves it to be sent first', async () => {
    const e = events();
    const forced = espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, e.on);
    const gentle = espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, events().on);
    forced.write(new Uint8Array([0xc0, 0x00]), 0, 2);
    gentle.write(new Uint8Array([0xc0, 0x00]), 0, 2);
    forced.end(true);
    gentle.end();
    expect(sockets[0].dSnd).toBeFalsy();
    expect(sockets[0].clsNow).toBe(true);
    expect(sockets[0].closed).toBe(true);
    expect(sockets[1].dSnd).toBe('\xc0\x00');
    expect(sockets[1].clsNow).toBeUndefined();
    expect(sockets[1].closed).toBe(true);
    // a write after a forced end is a no-op: nothing written, nothing thrown, no close reported for it
    expect(() => forced.write(new Uint8Array([0xe0, 0x00]), 0, 2)).not.toThrow();
    await new Promise((r) => setTimeout(r, 5));
    expect(sockets[0].written).toEqual(['\xc0\x00']);
    expect(e.log.filter((l) => l.startsWith('close'))).toEqual([]);
  });

  it('passes the socket error to close, in the interpreter order error, close', () => {
    const e = events();
    espruinoTransport(load)({ host: 'h', port: 1883, protocol: 'mqtt' }, e.on);
    sockets[0].emit('error', { code: 'ECONNRESET', message: 'connection reset' });
    sockets[0].emit('end');
    sockets[0].emit('close', true);
    expect(e.log).toEqual(['close connection reset']);
  });
});
