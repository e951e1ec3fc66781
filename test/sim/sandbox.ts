// An Espruino-like realm for the built bundles (../shared/ESPRUINO.md): node:vm with what the interpreter
// lacks removed and its API provided. Sockets behave as the interpreter's: `data` delivers byte strings in
// random chunks of at most 536 bytes (268 on the ESP8266 profile), write() stringifies its argument with
// String(x) (so a Uint8Array goes out as the text "1,2,3"), always returns false and buffers without
// limit, `drain` fires when that buffer is empty, events are emitted asynchronously with this = the socket,
// and an on('connect') listener beside a connect callback fails as the interpreter's assertion does. They
// are bridged to real node:net sockets, so the bundle talks to a real broker on 127.0.0.1.
import net from 'node:net';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';

export interface SandboxOptions {
  chunk?: number; // largest chunk a socket delivers: 536 (ESP32) or 268 (ESP8266)
  serial?: string;
}

export interface Sandbox {
  context: vm.Context;
  run(code: string): unknown;
  require(name: string): unknown;
  sockets: SimSocket[];
  log: string[];
  close(): void;
}

type Listener = (...a: unknown[]) => void;

// The interpreter's net socket, bridged to a real one.
export class SimSocket {
  listeners: Record<string, Listener[]> = {};
  pending = 0; // bytes written and not yet flushed
  closed = false;
  real: net.Socket;
  constructor(opts: { host: string; port: number }, cb: Listener | undefined, chunk: number) {
    if (cb) this.connectCallback = cb;
    this.real = net.connect(opts.port, opts.host);
    this.real.on('connect', () => this.emit('connect'));
    this.real.on('data', (d: Buffer) => {
      // deliver as byte strings, in random chunk sizes, as the board does
      for (let i = 0; i < d.length; ) {
        const n = 1 + Math.floor(Math.random() * chunk);
        this.emit('data', d.subarray(i, i + n).toString('latin1'));
        i += n;
      }
    });
    this.real.on('error', (e: Error & { code?: string }) => this.emit('error', { code: e.code, message: e.message }));
    this.real.on('close', () => {
      this.closed = true;
      this.emit('end');
      this.emit('close', false);
    });
  }
  connectCallback?: Listener;
  on(ev: string, fn: Listener): void {
    if (ev === 'connect' && this.connectCallback) throw new Error('ASSERT FAILED: on("connect") with a connect callback');
    (this.listeners[ev] ||= []).push(fn);
  }
  emit(ev: string, ...args: unknown[]): void {
    // the interpreter queues events: listeners run later, with this = the socket
    setImmediate(() => {
      if (ev === 'connect' && this.connectCallback) this.connectCallback.apply(this, args);
      for (const fn of this.listeners[ev] || []) fn.apply(this, args);
    });
  }
  write(x: unknown): boolean {
    if (this.closed) throw new Error('This socket is closed');
    const s = String(x); // exactly what the interpreter does: a Uint8Array becomes "1,2,3"
    this.pending += s.length;
    this.real.write(Buffer.from(s, 'latin1'), () => {
      this.pending -= s.length;
      if (!this.pending) this.emit('drain');
    });
    return false;
  }
  end(): void {
    this.real.end();
  }
}

export function createSandbox(opts: SandboxOptions = {}): Sandbox {
  const chunk = opts.chunk || 536;
  const sockets: SimSocket[] = [];
  const log: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const modules: Record<string, unknown> = {};
  const netModule = {
    connect(o: { host: string; port: number }, cb?: Listener) {
      const s = new SimSocket(o, cb, chunk);
      sockets.push(s);
      return s;
    },
  };
  const fromCharCode = String.fromCharCode;
  const context = vm.createContext({
    console: { log: (...a: unknown[]) => log.push(a.join(' ')) },
    setTimeout: (fn: Listener, ms: number, ...args: unknown[]) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn(...args);
      }, ms);
      timers.add(t);
      return t;
    },
    clearTimeout: (t: NodeJS.Timeout) => {
      clearTimeout(t);
      timers.delete(t);
    },
    setInterval: (fn: Listener, ms: number) => {
      const t = setInterval(fn, ms);
      timers.add(t);
      return t;
    },
    clearInterval: (t: NodeJS.Timeout) => {
      clearInterval(t);
      timers.delete(t);
    },
    getSerial: () => opts.serial || '3c71bf0a1b2c',
    process: { memory: () => ({ free: 0, usage: 0, total: 0, blocksize: 14 }), version: '2v29' },
  });
  // What the interpreter lacks is removed from this realm; strings are made 8-bit where it matters.
  vm.runInContext(
    `for (const name of ['Map', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect', 'TextEncoder', 'TextDecoder', 'Symbol', 'escape', 'unescape']) delete globalThis[name];
     delete Array.from; delete Array.of; delete Object.freeze; delete Object.seal;
     delete Number.isInteger; delete Number.isNaN; delete Math.trunc; delete Math.imul;
     delete String.prototype.codePointAt; delete Promise.prototype.finally;`,
    context,
  );
  // Espruino's strings are 8-bit: a character code is truncated to a byte.
  const U8 = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor;
  const StringCtor = vm.runInContext('String', context) as StringConstructor;
  StringCtor.fromCharCode = (...codes: number[]) => fromCharCode(...codes.map((c) => c & 255));
  context.E = {
    toString: (...args: unknown[]) => {
      let s = '';
      for (const a of args) {
        if (typeof a === 'string') s += a;
        else if (typeof a === 'number') s += fromCharCode(a & 255);
        else for (const b of a as ArrayLike<number>) s += fromCharCode(b & 255);
      }
      return s;
    },
    toUint8Array: (...args: unknown[]) => {
      const out: number[] = [];
      for (const a of args) {
        if (typeof a === 'string') for (let i = 0; i < a.length; i++) out.push(a.charCodeAt(i) & 255);
        else if (typeof a === 'number') out.push(a & 255);
        else for (const b of a as ArrayLike<number>) out.push(b & 255);
      }
      return new U8(out);
    },
    getSizeOf: () => 0, // not modelled here: the real interpreter measures (npm run bench:memory)
  };
  modules.net = netModule;
  context.require = (name: string) => {
    if (name in modules) return modules[name];
    if (name === 'tls') throw new Error('Module "tls" not found'); // as on an ESP8266; the ESP32 has it
    if (name === 'espruino-mqtt') {
      const exports = {};
      vm.runInContext(`(function (exports, module) {${readFileSync('dist/espruino-mqtt.js', 'utf8')}\n})`, context)(exports, { exports });
      modules[name] = exports;
      return exports;
    }
    throw new Error(`Module "${name}" not found`);
  };
  return {
    context,
    run: (code) => vm.runInContext(code, context),
    require: (name) => (context.require as (n: string) => unknown)(name),
    sockets,
    log,
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.real.destroy();
    },
  };
}
