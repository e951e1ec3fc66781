import { Endpoint, Link, LinkEvent, LinkEvents, Transport } from './transport';

// Node's net and tls, passed in (nodeTransport(require('net'), require('tls'))) so that src/ never imports
// a Node module and the board bundles cannot pull one in. For host tests and tools.
export function nodeTransport(net: NodeNetLike, tls?: NodeNetLike): Transport {
  return function (to: Endpoint, on: LinkEvents): Link {
    const secure = to.protocol === 'mqtts';
    let closed = false;
    let error: { message?: string } | undefined;
    const sock = (secure && tls ? tls : net).connect({
      host: to.host,
      port: to.port,
      ca: to.ca,
      key: to.key,
      cert: to.cert,
      servername: to.host,
    });
    sock.setNoDelay(true);
    sock.on(secure ? 'secureConnect' : 'connect', function () {
      if (!closed) on.notify(LinkEvent.CONNECT);
    });
    sock.on('data', function (chunk: Uint8Array) {
      on.notify(LinkEvent.DATA, chunk);
    });
    sock.on('error', function (e: { message?: string }) {
      error = e;
    });
    sock.on('close', function () {
      closed = true;
      on.notify(LinkEvent.CLOSE, error);
    });
    return {
      write: function (buf, start, end) {
        if (closed || sock.destroyed) return;
        // (a byte string only from a board build run on a host, as tests do)
        sock.write(typeof buf === 'string' ? Buffer!.from(buf.substring(start, end), 'latin1') : buf.slice(start, end), function () {
          if (!closed && !sock.writableLength) on.notify(LinkEvent.DRAIN);
        });
      },
      end: function (force) {
        if (force) sock.destroy();
        else sock.end();
      },
    };
  };
}

export interface NodeNetLike {
  connect(opts: object): NodeSocketLike;
}

interface NodeSocketLike {
  destroyed: boolean;
  writableLength: number;
  setNoDelay(on: boolean): void;
  on(ev: string, fn: (...a: never[]) => void): void;
  write(data: Uint8Array, cb: () => void): boolean;
  end(): void;
  destroy(): void;
}
