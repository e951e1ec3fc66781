import { Endpoint, Link, LinkEvent, LinkEvents } from '../transport/transport';
import { Client } from './client';
import { payloadBytes } from './outbound';
import { Events, Session } from './state';

// What the Sparkplug node needs beyond the public API. Only bundles that import these carry them.

interface WillEvents extends LinkEvents {
  _on: Events; // the client's own events of this link
  _fn: () => unknown;
}

// Renews the will for every connection: fn runs as each socket opens, just before the client writes its
// CONNECT, and returns the will payload that CONNECT carries (Sparkplug's NDEATH, whose bdSeq goes up by one
// with every CONNECT [tck-id-topics-nbirth-bdseq-increment]). Done by standing between the client and its
// transport, so the client itself is not one byte larger.
export function willPerConnect(c: Client, fn: () => unknown): void {
  const s = c as Session;
  const inner = s._transport;
  s._transport = function (to: Endpoint, on: LinkEvents): Link {
    const ev: WillEvents = { _on: on as Events, _fn: fn, notify: willNotify };
    return inner(to, ev);
  };
}

function willNotify(this: WillEvents, event: LinkEvent, arg?: unknown): void {
  const s = this._on._client;
  // a link the client has already given up on writes no CONNECT: no new will for it
  if (event === LinkEvent.CONNECT && this._on._gen === s._gen && s._fields.will) {
    try {
      s._fields.will.payload = payloadBytes(this._fn());
    } catch (e) {
      // no room for the new one (the board's memory): this CONNECT carries the previous will
    }
  }
  this._on.notify(event, arg);
}

// Drops the connection and connects to the next server of the list now (Sparkplug: the primary host went
// offline [tck-id-operational-behavior-edge-node-termination-host-offline-reconnect]).
export function reconnectNext(c: Client): void {
  const s = c as Session;
  s._server = (s._server + 1) % s._servers.length;
  c.reconnect();
}
