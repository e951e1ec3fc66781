import { Endpoint, Link, LinkEvent, LinkEvents, Transport } from './transport';

type Load = (name: string) => { connect(opts: object, cb: (sock: never) => void): unknown }; // cb gets the socket

// One connection's state, shared by the socket's listeners (`this` is the socket in Espruino listeners)
// and the link the client writes to. Listeners are top-level functions: none is made per connection.
interface EspruinoLink extends Link {
  _ev: LinkEvents;
  _sock: Sock | null;
  _err?: { message?: string };
  _st: number; // 0 opening, 1 open, 2 closed (a number costs the board one block, a boolean two)
}

interface Sock extends EspruinoSocket {
  _l: EspruinoLink;
  dSnd?: string; // the interpreter's send buffer (libs/network/socketserver.c)
  clsNow?: boolean; // close at the next idle-loop pass, sending nothing more
  opt?: object; // the options connect was given
  // the listeners of its events (see connect)
  '#ondata'?: typeof sockEvent | ((data: string) => void);
  '#ondrain'?: typeof sockEvent;
  '#onerror'?: typeof sockEvent;
  '#onclose'?: typeof sockEvent;
}

// Espruino's net and (ESP32) tls modules, loaded through `load` (the interpreter's require; tls only when
// asked for, since the ESP8266 has none). Their sockets deliver byte strings, buffer every write without
// limit and fire 'drain' when empty; write() stringifies its argument, so bytes go out as E.toString()
// (../shared/ESPRUINO.md). tls takes ca/key/cert but does not verify the server certificate.
// There is one interpreter, so one `load`: kept at top level, and the transport is the top-level connect
// itself, not a closure (on an ESP8266 that is RAM for the board's whole life). Every transport this returns
// uses the `load` of the latest call: each bundle makes one, at load (tests pass their own in turn).
let loader: Load;
export function espruinoTransport(load: Load): Transport {
  loader = load;
  return connect;
}

// A PEM certificate or key as the DER bytes Espruino's tls takes: it hands mbedtls the string without a
// terminating NUL, which mbedtls needs to read PEM ("mbedtls_x509_crt_parse of 'cert': Invalid format",
// seen on the interpreter), while DER parses. Anything else (DER already, a file name) is passed as given.
// Of several PEM blocks: a private key's (openssl's EC keys come after an EC PARAMETERS block), else the
// first (a chain's own certificate). Regular expressions, not indexOf: the interpreter's indexOf also
// reports a match that runs off the end of the string, so DER bytes ending in '-' would pass for PEM.
function der(pem?: string): string | undefined {
  const m = pem && (/PRIVATE KEY-----([^-]+)-----/.exec(pem) || /-----BEGIN[^-]+-----([^-]+)-----/.exec(pem));
  return m ? atob(m[1].replace(/\s/g, '')) : pem;
}

function connect(to: Endpoint, on: LinkEvents): Link {
  const link: EspruinoLink = { write: write, end: end, _ev: on, _sock: null, _st: 0 };
  try {
    // One connect callback and no on('connect'): both together trip an interpreter assertion. TLS's options
    // only for TLS (three names, three blocks, on every plain connection, until they are let go below).
    // (a firmware built without TLS gets mqtts:// only from a node.json written past the build's check)
    if (!TLS && to.protocol === 'mqtts') throw new Error('mqtts:// needs TLS, which this firmware has not');
    const tls = TLS && to.protocol === 'mqtts';
    const opts = tls ? { host: to.host, port: to.port, ca: der(to.ca), key: der(to.key), cert: der(to.cert) } : { host: to.host, port: to.port };
    const sock = loader(tls ? 'tls' : 'net').connect(opts, sockEvent) as Sock;
    sock._l = link;
    link._sock = sock;
    // The socket keeps its options for its whole life, and a client socket's are read only in connect itself
    // (clientRequestConnect in libs/network/socketserver.c, and ssl_newSocketData for TLS's, read in 2v29;
    // the ESP8266's DNS takes the name from a copy): let go, 6 blocks (12-byte) on every plain connection, and
    // the certificates' DER strings, kilobytes, on a TLS one.
    delete sock.opt;
    // One function for the events, told apart by their argument (in the library all but data, below): a
    // function costs the board blocks. Set where the interpreter keeps an event's listeners, a `#on<event>`
    // field, rather than by on(), which keeps even one listener in an array: 2 blocks for each of the four,
    // for the connection's life. The interpreter calls what that field holds, a function or an array of them
    // (jsiExecuteEventCallbackInner, src/jsinteractive.c, read in 2v29). Only for an object no one else
    // listens to, as this socket: an on() beside a function there fails an interpreter assertion (measured).
    // In the library (KEEP_HOT_CALLS), data, the event of every packet, goes to the client without a step
    // between: sockEvent telling its argument apart costs about 9 us an event on the board, 2-3% of a
    // message; the bound function 5 blocks for the connection's life, which the firmware keeps instead.
    sock['#ondata'] = sock['#ondrain'] = sock['#onerror'] = sock['#onclose'] = sockEvent;
    if (KEEP_HOT_CALLS) sock['#ondata'] = on.notify.bind(on, LinkEvent.DATA);
  } catch (e) {
    // DNS failure or refusal can throw synchronously on some ports; report it as a closed link, later (as the
    // socket's close would: a stand-in for the socket, made only here).
    link._err = e as Error;
    setTimeout(sockEvent.bind({ _l: link } as Sock), 0, false);
  }
  return link;
}

// The socket's events (libs/network/socketserver.c; in the library all but data): 'data' brings a byte
// string; the connect callback and 'drain' bring the socket itself, and the interpreter queues the connect
// before any drain, so the first is the connect; 'error' brings {code, message}, 'close' a boolean. The
// interpreter's order is error, end, close: the error is kept, and close reports it.
function sockEvent(this: Sock, x: string | Sock | { message?: string } | boolean): void {
  const l = this._l;
  if (!KEEP_HOT_CALLS && typeof x === 'string') l._ev.notify(LinkEvent.DATA, x);
  else if (x === this) {
    if (l._st === 1) {
      // nothing unsent now; the client told only when it waits (transport.ts)
      l._unsent = 0;
      if (l._wait) l._ev.notify(LinkEvent.DRAIN);
    } else if (!l._st) {
      l._st = 1;
      l._ev.notify(LinkEvent.CONNECT);
    }
  } else if (x && typeof x === 'object') l._err = x as { message?: string };
  else if (l._st !== 2) {
    // closed: reported once, with the error kept, if any
    l._st = 2;
    l._ev.notify(LinkEvent.CLOSE, l._err);
  }
}

function write(this: EspruinoLink, buf: Uint8Array | string, start: number, stop: number): void {
  const sock = this._sock;
  if (this._st === 2 || !sock) return;
  // copied: write appends it to the socket's buffer (a byte string is written whole: transport.ts)
  const data = typeof buf === 'string' ? buf : E.toString(buf.subarray(start, stop));
  try {
    if (data === undefined) throw new Error('out of memory');
    sock.write(data);
  } catch (e) {
    this._err = e as Error;
    end.call(this);
    setTimeout(sockEvent.bind({ _l: this } as Sock), 0, false); // as the socket's close would, later
  }
}

function end(this: EspruinoLink, force?: boolean): void {
  const sock = this._sock;
  try {
    if (sock && force) {
      // end() alone sends the whole (unbounded) send buffer first, beside the next connection: drop it
      // and close now; later writes are no-ops
      this._sock = null;
      delete sock.dSnd;
      sock.clsNow = true;
    }
    if (sock) sock.end();
  } catch (e) {
    // already closed
  }
}
