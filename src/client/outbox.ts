// The outbox: every PUBLISH the client has accepted and not finished, encoded, in one preallocated byte
// ring, oldest first. QoS 0 leaves when written, QoS 1 on PUBACK, QoS 2 on PUBCOMP. Bounded twice: by
// bytes and by message count, so memory never grows past what the board was configured for.

// Where a message stands. In flight (SENT, RELEASE, RELEASED) counts against the window.
export const enum Stage {
  QUEUED = 0, // not written on this connection
  SENT = 1, // PUBLISH written, waiting for PUBACK or PUBREC
  RELEASE = 2, // PUBREC received: PUBREL to be (re)written [MQTT-4.4.0-1]
  RELEASED = 3, // PUBREL written, waiting for PUBCOMP
}

export type Done = (err?: Error) => void;

export interface Outbox {
  _bytes: Uint8Array;
  _used: number; // bytes held by messages
  _count: number;
  // per message, index 0 the oldest: offset and length of its PUBLISH in the ring, packet id, QoS, stage,
  // and its place in the order of the application's calls (see Request._after in state.ts)
  _at: Int32Array;
  _len: Int32Array;
  _id: Uint16Array;
  _qos: Uint8Array;
  _stage: Uint8Array;
  _seq: Int32Array;
  _done: (Done | undefined)[];
}

export function createOutbox(capacity: number, slots: number): Outbox {
  return {
    _bytes: new Uint8Array(capacity),
    _used: 0,
    _count: 0,
    _at: new Int32Array(slots),
    _len: new Int32Array(slots),
    _id: new Uint16Array(slots),
    _qos: new Uint8Array(slots),
    _stage: new Uint8Array(slots),
    _seq: new Int32Array(slots),
    _done: [],
  };
}

// The bytes are a ring: each message follows the one before it, and one may run past the end of the buffer
// and go on at its start. A message taken from the middle leaves a gap; when the new one does not fit
// after the newest, the messages are packed together again, so every free byte is usable.

// Whether a message of n bytes can be stored now.
export function room(box: Outbox, n: number): boolean {
  return box._count < box._at.length && box._bytes.length - box._used >= n;
}

// Stores n bytes of src as the newest message; the caller has checked room().
export function store(box: Outbox, src: Uint8Array, n: number, id: number, qos: number, seq: number, done: Done | undefined): void {
  const cap = box._bytes.length;
  const k = box._count;
  let at = 0;
  if (k) {
    at = (box._at[k - 1] + box._len[k - 1]) % cap;
    // bytes from the oldest to the end of the newest, gaps included
    const span = (at - box._at[0] + cap) % cap || cap;
    if (cap - span < n) at = compact(box);
  }
  const first = cap - at < n ? cap - at : n;
  box._bytes.set(first < n ? src.subarray(0, first) : src.subarray(0, n), at);
  if (first < n) box._bytes.set(src.subarray(first, n), 0);
  box._count = k + 1;
  box._used += n;
  box._at[k] = at;
  box._len[k] = n;
  box._id[k] = id;
  box._qos[k] = qos;
  box._stage[k] = Stage.QUEUED;
  box._seq[k] = seq;
  box._done[k] = done;
}

// Moves every message next to the one before it, from the oldest on; returns where the newest ends. Each
// moves back in ring order, never past an unmoved one, so copying forward is safe (set() copies
// overlapping ranges as memmove does, on Espruino too).
function compact(box: Outbox): number {
  const cap = box._bytes.length;
  const b = box._bytes;
  let to = box._at[0];
  for (let k = 0; k < box._count; k++) {
    let from = box._at[k];
    let n = box._len[k];
    box._at[k] = to;
    while (n && from !== to) {
      // in pieces that cross neither end of the buffer
      let c = cap - from < n ? cap - from : n;
      if (cap - to < c) c = cap - to;
      b.set(b.subarray(from, from + c), to);
      from = (from + c) % cap;
      to = (to + c) % cap;
      n -= c;
    }
    to = (to + n) % cap;
  }
  return to;
}

// Byte i of message k.
export function byteOf(box: Outbox, k: number, i: number): number {
  return box._bytes[(box._at[k] + i) % box._bytes.length];
}

// Takes message k out, keeping the others in order.
export function remove(box: Outbox, k: number): void {
  const last = box._count - 1;
  box._used -= box._len[k];
  for (let i = k; i < last; i++) {
    box._at[i] = box._at[i + 1];
    box._len[i] = box._len[i + 1];
    box._id[i] = box._id[i + 1];
    box._qos[i] = box._qos[i + 1];
    box._stage[i] = box._stage[i + 1];
    box._seq[i] = box._seq[i + 1];
    box._done[i] = box._done[i + 1];
  }
  box._done[last] = undefined;
  box._count = last;
}

export function findId(box: Outbox, id: number): number {
  for (let k = 0; k < box._count; k++) if (box._qos[k] && box._id[k] === id) return k;
  return -1;
}
