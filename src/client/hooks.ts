import { Client } from './client';
import { flush } from './events';
import { lose } from './session';
import { Session, State } from './state';

// What the Sparkplug node needs beyond the public API. Only bundles that import these carry them. (Its will
// made for each CONNECT is an option: `will.payload` a function, client.ts.)

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
