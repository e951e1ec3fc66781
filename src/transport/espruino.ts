import { Endpoint, Link, LinkEvents, Transport } from './transport';

type Load = (name: string) => { connect(opts: object, cb: () => void): unknown };

// Espruino's net and (ESP32) tls modules, loaded through `load` (the interpreter's require; tls only when
// asked for, since the ESP8266 has none). Their sockets deliver byte strings, buffer every write without
// limit and fire 'drain' when empty; write() stringifies its argument, so bytes go out as E.toString()
// (../shared/ESPRUINO.md). tls takes ca/key/cert but does not verify the server certificate.
export function espruinoTransport(load: Load): Transport {
  return function (to, on) {
    return open(load, to, on);
  };
}

function open(load: Load, to: Endpoint, on: LinkEvents): Link {
  let closed = false;
  let error: { message?: string } | undefined;
  function close(): void {
    if (!closed) {
      closed = true;
      on.close(error);
    }
  }
  let sock: EspruinoSocket | undefined;
  try {
    // One connect callback and no on('connect'): both together trip an interpreter assertion.
    sock = load(to.protocol === 'mqtts' ? 'tls' : 'net').connect(
      { host: to.host, port: to.port, ca: to.ca, key: to.key, cert: to.cert },
      function () {
        if (!closed) on.connect();
      },
    ) as EspruinoSocket;
    sock.on('data', on.data);
    sock.on('drain', on.drain);
    sock.on('error', function (e: { message?: string }) {
      error = e;
    });
    sock.on('close', close);
  } catch (e) {
    // DNS failure or refusal can throw synchronously on some ports; report it as a closed link, later.
    error = e as Error;
    setTimeout(close, 0);
  }
  return {
    write: function (buf, start, end) {
      if (closed || !sock) return;
      const data = E.toString(buf.subarray(start, end)); // copies (write appends to the socket's buffer)
      try {
        if (data === undefined) throw new Error('out of memory');
        sock.write(data);
      } catch (e) {
        error = e as Error;
        try {
          sock.end();
        } catch (x) {
          // already closed
        }
        setTimeout(close, 0);
      }
    },
    end: function () {
      try {
        if (sock) sock.end();
      } catch (e) {
        // already closed
      }
    },
  };
}
