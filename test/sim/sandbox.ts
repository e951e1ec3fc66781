// An Espruino-like realm for the built bundles (../shared/ESPRUINO.md): node:vm with what the interpreter
// lacks removed and its API provided. Sockets behave as the interpreter's: `data` delivers byte strings in
// random chunks of at most 536 bytes (268 on the ESP8266 profile), write() stringifies its argument with
// String(x) (so a Uint8Array goes out as the text "1,2,3"), always returns false and buffers without
// limit, `drain` fires when that buffer is empty, events are emitted asynchronously with this = the socket,
// and an on('connect') listener beside a connect callback fails as the interpreter's assertion does. They
// are bridged to real node:net sockets, so the bundle talks to a real broker on 127.0.0.1.
import net from 'node:net';
import tls from 'node:tls';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';

export interface SandboxOptions {
  board?: 'ESP32' | 'ESP8266'; // ESP8266: chunks of at most 268 bytes, 1600 blocks, no tls
  chunk?: number; // largest chunk a socket delivers: 536 (ESP32) or 268 (ESP8266)
  serial?: string;
  toStringLimit?: number; // E.toString of more bytes than this returns undefined, as on a board out of memory
}

// Pins, as the board's drivers see them: what digitalWrite set, what digitalRead and analogRead return.
export interface Pins {
  level: Record<number, number>;
  analog: Record<number, number>;
}

export interface Sandbox {
  context: vm.Context;
  pins: Pins;
  wifi: { connected: boolean; emit(ev: string, ...a: unknown[]): void };
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
  constructor(opts: { host: string; port: number; ca?: string }, cb: Listener | undefined, chunk: number, secure = false) {
    if (cb) this.connectCallback = cb;
    // Espruino's tls verifies no certificate; the host side here is given the test's CA, and no SNI check.
    this.real = secure
      ? tls.connect({ host: opts.host, port: opts.port, ca: opts.ca, checkServerIdentity: () => undefined })
      : net.connect(opts.port, opts.host);
    this.real.on(secure ? 'secureConnect' : 'connect', () => this.emit('connect'));
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
  const esp8266 = opts.board === 'ESP8266';
  const chunk = opts.chunk || (esp8266 ? 268 : 536);
  const pins: Pins = { level: {}, analog: {} };
  const wifiListeners: Record<string, Listener[]> = {};
  const wifi = {
    connected: false,
    emit(ev: string, ...a: unknown[]) {
      setImmediate(() => (wifiListeners[ev] || []).forEach((fn) => fn(...a)));
    },
  };
  const sockets: SimSocket[] = [];
  const log: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const modules: Record<string, unknown> = {};
  const socketModule = (secure: boolean) => ({
    connect(o: { host: string; port: number; ca?: string }, cb?: Listener) {
      const s = new SimSocket(o, cb, chunk, secure);
      sockets.push(s);
      return s;
    },
  });
  const pinNumber = (p: unknown) => (typeof p === 'object' && p ? (p as { n: number }).n : Number(p));
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
    // Not a measurement: blocks are counted only by the real interpreter (npm run bench:memory).
    process: { memory: () => ({ free: esp8266 ? 1600 : 16383, usage: 0, total: esp8266 ? 1600 : 16383, blocksize: esp8266 ? 12 : 14 }), version: '2v29', env: { BOARD: esp8266 ? 'ESP8266_4MB' : 'ESP32' } },
    Pin: function (this: { n: number }, n: number) {
      this.n = n;
    },
    digitalWrite: (p: unknown, v: unknown) => {
      pins.level[pinNumber(p)] = v ? 1 : 0;
    },
    digitalRead: (p: unknown) => pins.level[pinNumber(p)] || 0,
    analogRead: (p: unknown) => pins.analog[pinNumber(p)] || 0,
    analogWrite: (p: unknown, v: number) => {
      pins.analog[pinNumber(p)] = v;
    },
    pinMode: () => {},
    I2C: function () {
      return { setup() {}, writeTo() {}, readFrom: (_a: number, n: number) => new Uint8Array(n) };
    },
    OneWire: function () {
      return { search: () => [], reset: () => true, select() {}, write() {}, read: () => 0 };
    },
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
      if (opts.toStringLimit !== undefined && args.length === 1 && (args[0] as ArrayLike<number>).length > opts.toStringLimit) return undefined;
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
    // An estimate, not the interpreter's count (npm run bench:memory measures that): about 12 bytes a block.
    getSizeOf: (x: unknown) => Math.ceil((JSON.stringify(x) || '').length / 12),
  };
  modules.net = socketModule(false);
  if (!esp8266) modules.tls = socketModule(true); // the ESP8266 has no tls
  modules.Wifi = {
    connect(_ssid: string, _o: object, cb?: Listener) {
      setImmediate(() => {
        wifi.connected = true;
        if (cb) cb(null);
        wifi.emit('connected', { ip: '127.0.0.1' });
      });
    },
    disconnect(cb?: Listener) {
      wifi.connected = false;
      wifi.emit('disconnected', {});
      if (cb) setImmediate(cb);
    },
    getIP: () => ({ ip: wifi.connected ? '127.0.0.1' : '0.0.0.0' }),
    on(ev: string, fn: Listener) {
      (wifiListeners[ev] ||= []).push(fn);
    },
  };
  context.require = (name: string) => {
    if (name in modules) return modules[name];
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
    pins,
    wifi,
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
