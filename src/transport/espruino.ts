import { Endpoint, Link, LinkEvents, Transport } from './transport';

type Load = (name: string) => { connect(opts: object, cb: () => void): unknown };

// One connection's state, shared by the socket's listeners (`this` is the socket in Espruino listeners)
// and the link the client writes to. Listeners are top-level functions: none is made per connection.
interface EspruinoLink extends Link {
  ev: LinkEvents;
  sock: Sock | null;
  err?: { message?: string };
  closed: boolean;
}

interface Sock extends EspruinoSocket {
  l: EspruinoLink;
}

// Espruino's net and (ESP32) tls modules, loaded through `load` (the interpreter's require; tls only when
// asked for, since the ESP8266 has none). Their sockets deliver byte strings, buffer every write without
// limit and fire 'drain' when empty; write() stringifies its argument, so bytes go out as E.toString()
// (../shared/ESPRUINO.md). tls takes ca/key/cert but does not verify the server certificate.
export function espruinoTransport(load: Load): Transport {
  return function (to, on) {
    return connect(load, to, on);
  };
}

function connect(load: Load, to: Endpoint, on: LinkEvents): Link {
  const link: EspruinoLink = { write: write, end: end, ev: on, sock: null, closed: false };
  try {
    // One connect callback and no on('connect'): both together trip an interpreter assertion.
    const sock = load(to.protocol === 'mqtts' ? 'tls' : 'net').connect(
      { host: to.host, port: to.port, ca: to.ca, key: to.key, cert: to.cert },
      sockConnect,
    ) as Sock;
    sock.l = link;
    link.sock = sock;
    sock.on('data', sockData);
    sock.on('drain', sockDrain);
    sock.on('error', sockError);
    sock.on('close', sockClose);
  } catch (e) {
    // DNS failure or refusal can throw synchronously on some ports; report it as a closed link, later.
    link.err = e as Error;
    setTimeout(report, 0, link);
  }
  return link;
}

function sockConnect(this: Sock): void {
  if (!this.l.closed) this.l.ev.connect();
}

function sockData(this: Sock, data: string): void {
  this.l.ev.data(data);
}

function sockDrain(this: Sock): void {
  this.l.ev.drain();
}

function sockError(this: Sock, e: { message?: string }): void {
  this.l.err = e; // the interpreter's order is error, end, close: close reports it
}

function sockClose(this: Sock): void {
  report(this.l);
}

function report(link: EspruinoLink): void {
  if (link.closed) return;
  link.closed = true;
  link.ev.close(link.err);
}

function write(this: EspruinoLink, buf: Uint8Array, start: number, stop: number): void {
  const sock = this.sock;
  if (this.closed || !sock) return;
  const data = E.toString(buf.subarray(start, stop)); // copied: write appends it to the socket's buffer
  try {
    if (data === undefined) throw new Error('out of memory');
    sock.write(data);
  } catch (e) {
    this.err = e as Error;
    end.call(this);
    setTimeout(report, 0, this);
  }
}

function end(this: EspruinoLink): void {
  try {
    if (this.sock) this.sock.end();
  } catch (e) {
    // already closed
  }
}
