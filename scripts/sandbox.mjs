// An Espruino-like realm for the built bundles (../shared/ESPRUINO.md), used by the tests (test/sim/) and by
// `npm start`: node:vm with what the interpreter lacks removed and its API provided.
// - Sockets behave as the interpreter's: `data` delivers byte strings in random chunks of at most 536 bytes
//   (268 on the ESP8266 profile), write() stringifies its argument with String(x) (so a Uint8Array goes out
//   as the text "1,2,3"), always returns false and buffers without limit in its `dSnd` string, `drain` fires
//   when that buffer is empty (queued only if a listener is set then, as socketserver.c does), events are
//   emitted asynchronously with this = the socket, and an on('connect') listener beside a
//   connect callback fails as the interpreter's assertion does. They are bridged to real node:net sockets,
//   so the bundle talks to a real broker on 127.0.0.1.
// - Wi-Fi can be dropped and restored (sockets die, and none connects while it is down); Storage holds
//   files; pins, pin watches (with debounce) and simulated DHT22, BME280 and DS18B20 modules read values
//   the caller sets; E.on('kill') handlers run on kill(), as on a reset.
import net from 'node:net';
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';

// The interpreter's net socket, bridged to a real one.
export class SimSocket {
  constructor(opts, cb, chunk, secure, online) {
    this.dSnd = ''; // bytes written and not yet flushed (the interpreter's send buffer, socketserver.c)
    this.closed = false;
    if (cb) this.connectCallback = cb;
    if (!online) {
      // no Wi-Fi: the interpreter reports the failure as an error, then closes
      this.real = new net.Socket();
      this.closed = true;
      this.emit('error', { code: -1, message: 'no connection' });
      this.emit('close', true);
      return;
    }
    // Espruino's tls verifies no certificate; the host side here is given the test's CA, and no SNI check.
    // A client certificate and key (mutual TLS) are presented as the interpreter presents them: it takes them
    // as DER bytes, and refuses PEM text (it hands mbedtls no terminating NUL), with this error.
    const der = (v, name, label) => {
      if (v == null) return v;
      if (String(v).indexOf('-----BEGIN') >= 0) throw new Error(`HTTPS init failed! mbedtls_${name === 'key' ? 'pk_parse_key' : `x509_crt_parse of '${name}'`}: Invalid format`);
      return `-----BEGIN ${label}-----\n${Buffer.from(String(v), 'latin1').toString('base64')}\n-----END ${label}-----\n`;
    };
    this.real = secure
      ? tls.connect({ host: opts.host, port: opts.port, ca: der(opts.ca, 'ca', 'CERTIFICATE'), key: der(opts.key, 'key', 'PRIVATE KEY'), cert: der(opts.cert, 'cert', 'CERTIFICATE'), checkServerIdentity: () => undefined })
      : net.connect(opts.port, opts.host);
    this.real.on(secure ? 'secureConnect' : 'connect', () => this.emit('connect', this)); // with the socket, as the interpreter
    this.real.on('data', (d) => {
      // deliver as byte strings, in random chunk sizes, as the board does
      for (let i = 0; i < d.length; ) {
        const n = 1 + Math.floor(Math.random() * chunk);
        this.emit('data', d.subarray(i, i + n).toString('latin1'));
        i += n;
      }
    });
    this.real.on('error', (e) => this.emit('error', { code: e.code, message: e.message }));
    this.real.on('close', () => {
      this.closed = true;
      this.emit('end');
      this.emit('close', false);
    });
  }
  // The interpreter keeps an event's listeners in the `#on<event>` field: on() makes it a new array (even
  // for one), and it may also hold a single function, which is called as well (src/jswrap_object.c,
  // jsinteractive.c)
  on(ev, fn) {
    if (ev === 'connect' && this.connectCallback) throw new Error('ASSERT FAILED: on("connect") with a connect callback');
    // (on() beside a single function there: the interpreter's assertion, measured on the Linux build)
    if (typeof this['#on' + ev] === 'function') throw new Error('ASSERT(jsvIsArray(source)) FAILED');
    this['#on' + ev] = [].concat(this['#on' + ev] || [], fn);
  }
  emit(ev, ...args) {
    // the interpreter queues events: listeners run later, with this = the socket. It queues a drain with the
    // listener set at that moment (jsiQueueObjectCallbacks); the others are looked up when they run, since
    // this constructor raises some that the interpreter raises later, from its idle loop.
    const queued = this['#on' + ev];
    setImmediate(() => {
      if (ev === 'connect' && this.connectCallback) this.connectCallback.apply(this, args);
      const l = ev === 'drain' ? queued : this['#on' + ev];
      for (const fn of typeof l === 'function' ? [l] : l || []) fn.apply(this, args);
    });
  }
  write(x) {
    if (this.closed) throw new Error('This socket is closed');
    const s = String(x); // exactly what the interpreter does: a Uint8Array becomes "1,2,3"
    this.dSnd = (this.dSnd || '') + s;
    this.real.write(Buffer.from(s, 'latin1'), () => {
      if (this.dSnd === undefined) return; // dropped by a forced end (espruino.ts)
      this.dSnd = this.dSnd.substring(s.length);
      // the interpreter passes the socket, and queues the event only for a listener set now
      if (!this.dSnd && this['#ondrain']) this.emit('drain', this);
    });
    return false;
  }
  end() {
    this.real.end();
  }
}

// options: board 'ESP32' | 'ESP8266' (chunks of at most 268 bytes, 1600 blocks, no tls); chunk (largest
// chunk a socket delivers); serial; toStringLimit (E.toString of more bytes returns undefined, as on a
// board out of memory); storage ({file: contents}).
export function createSandbox(opts = {}) {
  const esp8266 = opts.board === 'ESP8266';
  const chunk = opts.chunk || (esp8266 ? 268 : 536);
  // Pins as the drivers see them: what digitalWrite/analogWrite set, what digitalRead/analogRead return.
  const pins = { level: {}, analog: {}, pwm: {}, mode: {} };
  // Simulated sensor modules read these, keyed by pin (a BME280 by its sda pin):
  // DHT22 {temp, rh} or {fail: 'no response' | 'checksum'}; BME280 {temp, pressure, humidity} (absent: the
  // bus NACKs); DS18B20 a number, null (CRC failure), or absent (no device).
  const sensors = {};
  const storage = { ...(opts.storage || {}) };
  const watches = [];
  const killHandlers = [];
  const wifiListeners = {};
  const sockets = [];
  const log = [];
  const timers = new Set();
  const modules = {};
  const wifi = {
    connected: false,
    available: true, // the access point is in reach
    wanted: false, // the firmware asked to join
    joins: 0,
    emit(ev, ...a) {
      setImmediate(() => (wifiListeners[ev] || []).forEach((fn) => fn(...a)));
    },
    // The access point goes away: every socket dies, nothing connects until restore().
    drop() {
      wifi.available = false;
      if (!wifi.connected) return;
      wifi.connected = false;
      for (const s of sockets) s.real.destroy();
      wifi.emit('disconnected', { reason: 'beacon_timeout' });
    },
    restore() {
      wifi.available = true;
      if (wifi.wanted && !wifi.connected) join();
    },
  };
  const join = () => {
    setImmediate(() => {
      if (!wifi.available || wifi.connected) return;
      wifi.connected = true;
      wifi.emit('connected', { ip: '127.0.0.1' });
    });
  };
  const socketModule = (secure) => ({
    connect(o, cb) {
      const s = new SimSocket(o, cb, chunk, secure, !wifi.wanted || wifi.connected);
      sockets.push(s);
      return s;
    },
  });
  const pinNumber = (p) => (typeof p === 'object' && p ? p.n : Number(p));
  const fromCharCode = String.fromCharCode;
  const later = (fn, ms) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };
  const context = vm.createContext({
    console: { log: (...a) => log.push(a.join(' ')) },
    setTimeout: (fn, ms, ...args) => later(() => fn(...args), ms),
    clearTimeout: (t) => {
      clearTimeout(t);
      timers.delete(t);
    },
    setInterval: (fn, ms, ...args) => {
      const t = setInterval(() => fn(...args), ms);
      timers.add(t);
      return t;
    },
    clearInterval: (t) => {
      clearInterval(t);
      timers.delete(t);
    },
    getSerial: () => opts.serial || '3c71bf0a1b2c',
    // base64 of byte strings, as the interpreter's
    atob: (b64) => Buffer.from(String(b64), 'base64').toString('latin1'),
    btoa: (bytes) => Buffer.from(String(bytes), 'latin1').toString('base64'),
    // Not a measurement: blocks are counted only by the real interpreter (npm run bench:memory).
    process: { memory: () => ({ free: esp8266 ? 1600 : 16383, usage: 0, total: esp8266 ? 1600 : 16383, blocksize: esp8266 ? 12 : 14 }), version: '2v29', env: { BOARD: esp8266 ? 'ESP8266_4MB' : 'ESP32' } },
    Pin: function (n) {
      this.n = n;
    },
    digitalWrite: (p, v) => {
      pins.level[pinNumber(p)] = v ? 1 : 0;
    },
    digitalRead: (p) => pins.level[pinNumber(p)] || 0,
    analogRead: (p) => pins.analog[pinNumber(p)] || 0,
    analogWrite: (p, v, o) => {
      pins.pwm[pinNumber(p)] = { duty: v, freq: o && o.freq };
    },
    pinMode: (p, mode) => {
      pins.mode[pinNumber(p)] = mode;
    },
    setWatch: (fn, p, o = {}) => {
      const pin = pinNumber(p);
      const w = { fn, pin, repeat: !!o.repeat, debounce: o.debounce || 0, id: watches.length + 1, last: pins.level[pin] || 0, timer: null };
      watches.push(w);
      return w.id;
    },
    clearWatch: (id) => {
      const k = watches.findIndex((w) => w.id === id);
      if (k >= 0) watches.splice(k, 1);
    },
    I2C: function () {
      this.setup = (o) => {
        this.sda = pinNumber(o.sda);
      };
    },
    OneWire: function (p) {
      this.pin = pinNumber(p);
    },
  });
  // What the interpreter lacks is removed from this realm; strings are made 8-bit where it matters.
  vm.runInContext(
    `for (const name of ['Map', 'Set', 'WeakMap', 'WeakSet', 'Proxy', 'Reflect', 'TextEncoder', 'TextDecoder', 'Symbol', 'escape', 'unescape']) delete globalThis[name];
     delete Array.from; delete Array.of; delete Object.freeze; delete Object.seal;
     delete Number.isInteger; delete Number.isNaN; delete Math.trunc; delete Math.imul;
     delete String.prototype.codePointAt; delete Promise.prototype.finally;
     // Espruino's typed-array set() also takes a string, as its bytes (V8 reads it as NaNs), stopping at the end
     const typed = Object.getPrototypeOf(Uint8Array.prototype), set = typed.set;
     typed.set = function (a, at) {
       if (typeof a !== 'string') return set.call(this, a, at);
       for (let i = 0; i < a.length && (at | 0) + i < this.length; i++) this[(at | 0) + i] = a.charCodeAt(i) & 255;
     };
     // Espruino 2v29's typed-array slice() gives a plain Array (measured on the Linux build): a copy that must
     // stay typed is new Uint8Array(a.subarray(...))
     typed.slice = function (from, to) { return [].slice.call(this, from, to); };
     // Every Espruino object inherits the event methods (measured): a field named like one of them that was
     // never set reads as a function, which is truthy
     for (const name of ['on', 'emit', 'removeListener', 'removeAllListeners']) {
       Object.defineProperty(Object.prototype, name, { value: function () {}, writable: true, configurable: true, enumerable: false });
     }`,
    context,
  );
  // A board's clock starts at 1970 (opts.clock: 'boot'), until SNTP sets it (box.setClock()).
  vm.runInContext(
    `(function () {
       const realNow = Date.now;
       let offset = 0;
       Date.now = function () { return realNow() + offset; };
       globalThis.__setClock = function (ms) { offset = ms - realNow(); };
     })();`,
    context,
  );
  // Espruino's strings are 8-bit: a character code is truncated to a byte.
  const setClock = vm.runInContext('__setClock', context);
  vm.runInContext('delete globalThis.__setClock', context);
  if (opts.clock === 'boot') setClock(0);
  const U8 = vm.runInContext('Uint8Array', context);
  const StringCtor = vm.runInContext('String', context);
  StringCtor.fromCharCode = (...codes) => fromCharCode(...codes.map((c) => c & 255));
  // Espruino 2v29's String indexOf also reports a match that runs off the end of the string
  // ("abcd".indexOf("cdX") is 2, measured on the Linux build): code that searches for more than one character
  // must check that a match fits.
  const indexOf = StringCtor.prototype.indexOf;
  StringCtor.prototype.indexOf = function (sought, from) {
    const at = indexOf.call(this, sought, from);
    const s = String(this);
    const t = String(sought);
    if (at >= 0 || t.length < 2) return at;
    for (let i = Math.max(from | 0, s.length - t.length + 1, 0); i < s.length; i++) if (t.startsWith(s.substring(i))) return i;
    return -1;
  };
  const inRealm = (x) => vm.runInContext('(function (s) { return JSON.parse(s); })', context)(JSON.stringify(x));
  context.E = {
    toString: (...args) => {
      if (opts.toStringLimit !== undefined && args.length === 1 && args[0].length > opts.toStringLimit) return undefined;
      let s = '';
      for (const a of args) {
        if (typeof a === 'string') s += a;
        else if (typeof a === 'number') s += fromCharCode(a & 255);
        else for (const b of Object.prototype.toString.call(a) === '[object ArrayBuffer]' ? new Uint8Array(a) : a) s += fromCharCode(b & 255);
      }
      return s;
    },
    toUint8Array: (...args) => {
      const out = [];
      for (const a of args) {
        if (typeof a === 'string') for (let i = 0; i < a.length; i++) out.push(a.charCodeAt(i) & 255);
        else if (typeof a === 'number') out.push(a & 255);
        else for (const b of a) out.push(b & 255);
      }
      return new U8(out);
    },
    // jswrap_espruino_CRC32: the IEEE CRC-32 of the bytes (npm run flash reads its uploads back with it)
    CRC32: (data) => {
      let crc = 0xffffffff;
      const bytes = typeof data === 'string' ? Array.from(data, (c) => c.charCodeAt(0) & 255) : Array.from(data, (b) => b & 255);
      for (const b of bytes) {
        crc ^= b;
        for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
      }
      return (~crc) >>> 0;
    },
    // An estimate, not the interpreter's count (npm run bench:memory measures that): about 12 bytes a block.
    getSizeOf: (x) => Math.ceil((JSON.stringify(x) || '').length / 12),
    on: (ev, fn) => {
      if (ev === 'kill') killHandlers.push(fn);
    },
  };
  modules.net = socketModule(false);
  if (!esp8266) modules.tls = socketModule(true); // the ESP8266 has no tls
  // libs/crypto: SHA1 of a byte string as an ArrayBuffer (ESP32 and the 4 MB ESP8266; not 512 KB ESP8266 builds)
  modules.crypto = { SHA1: (s) => new Uint8Array(createHash('sha1').update(String(s), 'latin1').digest()).buffer };
  modules.Wifi = {
    // As on the boards: only a bad password is reported; otherwise it keeps trying by itself.
    connect(_ssid, _o, cb) {
      wifi.wanted = true;
      wifi.joins++;
      if (cb) setImmediate(() => cb(null));
      join();
    },
    disconnect(cb) {
      wifi.wanted = false;
      wifi.drop();
      wifi.available = true;
      if (cb) setImmediate(cb);
    },
    getIP: () => ({ ip: wifi.connected ? '127.0.0.1' : '0.0.0.0' }),
    // as on the ESP32 and ESP8266: the clock is set from the server some time later (box.setClock() here)
    // (the zone: a TZ string on the ESP32, hours -11..13 on the ESP8266; each throws on the other's, in
    // 2v29's libs/network/esp32 and esp8266 sources)
    setSNTP(server, tz) {
      if (typeof server !== 'string') throw new (vm.runInContext('Error', context))('Server is not a string');
      if (esp8266 ? typeof tz !== 'number' : typeof tz !== 'string') throw new (vm.runInContext('Error', context))(esp8266 ? 'Zone is not a number' : 'Zone is not a string');
      wifi.sntp = { server, tz };
    },
    on(ev, fn) {
      (wifiListeners[ev] ||= []).push(fn);
    },
  };
  modules.Storage = {
    readJSON: (name, noExceptions) => {
      if (!(name in storage)) return undefined;
      try {
        return inRealm(JSON.parse(storage[name]));
      } catch (e) {
        if (noExceptions) return undefined;
        throw e;
      }
    },
    read: (name) => storage[name],
    // write(name, data) replaces a file; write(name, data, 0, size) makes one of `size` bytes (unwritten bytes
    // read as 0xFF, as erased flash) and later writes fill it at their offsets
    write: (name, data, offset, size) => {
      const d = String(data);
      if (offset === undefined) storage[name] = d;
      else {
        let f = size !== undefined ? '\xff'.repeat(size) : storage[name];
        if (f === undefined || offset + d.length > f.length) throw new (vm.runInContext('Error', context))(`Storage.write: ${name} is not that big`);
        f = f.slice(0, offset) + d + f.slice(offset + d.length);
        storage[name] = f;
      }
      return true;
    },
    erase: (name) => {
      delete storage[name];
    },
    list: () => Object.keys(storage),
  };
  // Espruino's sensor modules, simulated: same calls, same result shapes, values from `sensors`.
  modules.DHT22 = {
    connect: (pin) => ({
      read(cb) {
        // the module takes ~50 ms a try and retries a failed read up to 10 times, 500 ms apart
        const v = sensors[pinNumber(pin)];
        const fail = !v || v.fail;
        later(() => cb(inRealm(fail ? { err: true, checksumError: v && v.fail === 'checksum', raw: '', temp: -1, rh: -1 } : { raw: '', temp: v.temp, rh: v.rh })), fail ? 200 : 50);
      },
    }),
  };
  modules.BME280 = {
    connect: (i2c) => {
      const get = () => {
        const v = sensors[i2c.sda];
        if (!v) throw new (vm.runInContext('Error', context))('I2C Error: got NACK');
        return v;
      };
      get(); // the module reads the calibration at connect
      return { getData: () => inRealm(get()) };
    },
  };
  modules.DS18B20 = {
    connect: (ow) => {
      if (sensors[ow.pin] === undefined) throw new (vm.runInContext('Error', context))('No DS18B20 found');
      return {
        getTemp(cb) {
          if (sensors[ow.pin] === undefined) throw new (vm.runInContext('Error', context))('No DS18B20 found');
          later(() => cb(sensors[ow.pin]), 20);
        },
      };
    },
  };
  // As on the board, a module stored in Storage under its name (as npm run flash leaves them) comes first.
  const stored = {};
  context.require = (name) => {
    if (name in stored) return stored[name];
    if (name in storage && !name.startsWith('.')) {
      const module = { exports: vm.runInContext('({})', context) };
      vm.runInContext(`(function (exports, module) {${storage[name]}\n})`, context)(module.exports, module);
      return (stored[name] = module.exports);
    }
    if (name in modules) return modules[name];
    if (name === 'espruino-mqtt' || name === 'espruino-mqtt-ws' || name === 'espruino-mqtt5') {
      const exports = {};
      vm.runInContext(`(function (exports, module) {${readFileSync(`dist/${name}.js`, 'latin1')}\n})`, context)(exports, { exports });
      modules[name] = exports;
      return exports;
    }
    throw new (vm.runInContext('Error', context))(`Module ${name} not found`);
  };
  const box = {
    context,
    pins,
    sensors,
    storage,
    wifi,
    sockets,
    log,
    run: (code, filename) => vm.runInContext(code, context, { filename }),
    require: (name) => context.require(name),
    // A level on an input pin, as a button or PIR drives it: watches fire once it has held for their debounce.
    // What SNTP does on the board: sets the clock (ms since 1970, UTC).
    setClock,
    setPin(pin, level) {
      const v = level ? 1 : 0;
      if ((pins.level[pin] || 0) === v) return;
      pins.level[pin] = v;
      for (const w of watches.filter((x) => x.pin === pin)) {
        // debounced as the interpreter does: reported once the level has held, and only if it changed
        if (w.timer) clearTimeout(w.timer);
        w.timer = later(() => {
          w.timer = null;
          const now = pins.level[pin] || 0;
          if (now === w.last) return;
          w.last = now;
          if (!w.repeat) context.clearWatch(w.id);
          w.fn(inRealm({ state: !!now, time: Date.now() / 1000, pin }));
        }, w.debounce);
      }
    },
    // Runs a bundle as the board does: its text is bytes (a UTF-8 source's "°" is two characters).
    load(file) {
      return vm.runInContext(readFileSync(file, 'latin1'), context, { filename: file });
    },
    // What a reset does first: E.on('kill') handlers run.
    kill() {
      for (const fn of killHandlers) fn();
    },
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.real.destroy();
    },
  };
  return box;
}
