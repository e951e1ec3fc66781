import { Endpoint, Link, LinkEvent, LinkEvents, Transport } from '../transport/transport';
import { Client } from './client';
import { flush } from './events';
import { payloadBytes } from './outbound';
import { lose } from './session';
import { Events, Session, State } from './state';

// What the Sparkplug node needs beyond the public API. Only bundles that import these carry them.

interface WillEvents extends LinkEvents {
  _on: Events; // the client's own events of this link
}

interface WillSession extends Session {
  _inner: Transport; // the transport the client was made with
  _willFor: () => unknown;
}

// Renews the will for every connection: fn runs as each socket opens, just before the client writes its
// CONNECT, and returns the will payload that CONNECT carries (Sparkplug's NDEATH, whose bdSeq goes up by one
// with every CONNECT [tck-id-topics-nbirth-bdseq-increment]). Done by standing between the client and its
// transport, so the client itself is not one byte larger; with top-level functions, not closures (RAM).
export function willPerConnect(c: Client, fn: () => unknown): void {
  const s = c as WillSession;
  s._inner = s._transport;
  s._willFor = fn;
  s._transport = openWithWill;
}

function openWithWill(to: Endpoint, on: LinkEvents): Link {
  const ev: WillEvents = { _on: on as Events, notify: willNotify };
  return ((on as Events)._client as WillSession)._inner(to, ev);
}

function willNotify(this: WillEvents, event: LinkEvent, arg?: unknown): void {
  const s = this._on._client as WillSession;
  // a link the client has already given up on writes no CONNECT: no new will for it
  if (event === LinkEvent.CONNECT && this._on._gen === s._gen && s._fields.will) {
    try {
      s._fields.will.payload = payloadBytes(s._willFor());
    } catch (e) {
      // no room for the new one (the board's memory): this CONNECT carries the previous will
    }
  }
  this._on.notify(event, arg);
}

// Drops a live connection, and connects to the next server of the list after the backoff, as after any
// loss (Sparkplug: the primary host went offline
// [tck-id-operational-behavior-edge-node-termination-host-offline-reconnect]). Nothing when not connected
// (the client is already on its way to another connection) or when end() was called.
export function reconnectNext(c: Client): void {
  const s = c as Session;
  if (s._state !== State.CONNECTED || s._ending) return; // (ending: its DISCONNECT is on its way)
  s._server = (s._server + 1) % s._servers.length;
  lose(s, 0);
  flush(s);
}
