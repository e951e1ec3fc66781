// One small socket interface between the client and a platform. A transport opens one connection and
// reports what happens on it; it never throws into the client (exceptions are caught at this edge).

export interface Endpoint {
  host: string;
  port: number;
  protocol: string; // 'mqtt', 'mqtts', 'ws' or 'wss'
  path?: string; // ws and wss: the HTTP path of the upgrade request
  ca?: string;
  key?: string;
  cert?: string;
}

export const enum LinkEvent {
  CONNECT, // the socket is open
  DATA, // arg: the bytes received, a byte string or a Uint8Array
  DRAIN, // everything written so far has left the send buffer
  CLOSE, // arg: the error, if any; once, last
}

// One method for all four events: on Espruino each function costs RAM whatever its size. Reported later, as
// sockets report them (Espruino queues them, Node emits them from its event loop), never from inside the
// client's write() or end(): the client is then in the middle of a step (a message written and not yet
// marked sent, a packet half read), and an acknowledgement delivered there finds nothing to acknowledge.
export interface LinkEvents {
  notify(event: LinkEvent, arg?: any): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Link {
  // Sends buf[start..end); the bytes are copied before it returns, so buf may be reused at once. On the
  // board's builds (8-bit strings) buf may also be a byte string, from 0 to its length: the usual PUBLISH,
  // made as one (outbound.ts), goes to the socket as it is.
  write(buf: Uint8Array | string, start: number, end: number): void;
  end(force?: boolean): void; // close after what was written is sent, or at once when forced
  // Kept by the client on the link it was given: the bytes written since the socket last drained, and whether
  // it waits for a DRAIN (1) to write more or to close. A transport that knows them (espruino.ts) may, on a
  // drain, set _unsent to 0 itself and report the DRAIN only while _wait is set: most drains then cost the
  // client nothing (on the board the report cost 20 us a write). Any other reports every drain.
  _unsent?: number;
  _wait?: number;
  // On the board, where the link has one (espruino.ts): its socket, which takes a byte string whole; null once
  // ended. The client writes its usual packets straight to it, in a try, and the same bytes through write()
  // when it throws (a socket closed and not yet reported: "This socket is closed"), which then reports the
  // close as its own failures. On the interpreter write()'s call and steps cost about 12 us a packet (issue 13).
  _sock?: { write(data: string): unknown } | null;
}

export type Transport = (to: Endpoint, on: LinkEvents) => Link;
