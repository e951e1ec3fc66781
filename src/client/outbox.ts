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
  _count: number;
  // per message, index 0 the oldest: offset and length of its PUBLISH in bytes, packet id, QoS, stage
  _at: Int32Array;
  _len: Int32Array;
  _id: Uint16Array;
  _qos: Uint8Array;
  _stage: Uint8Array;
  _done: (Done | undefined)[];
}

export function createOutbox(capacity: number, slots: number): Outbox {
  return {
    _bytes: new Uint8Array(capacity),
    _count: 0,
    _at: new Int32Array(slots),
    _len: new Int32Array(slots),
    _id: new Uint16Array(slots),
    _qos: new Uint8Array(slots),
    _stage: new Uint8Array(slots),
    _done: [],
  };
}

// The bytes are a ring: messages are stored whole, oldest to newest from the offset of the first, wrapping to
// the start when the end has no room. Nothing is ever copied: space comes free as the oldest messages leave
// (a message taken from the middle leaves a gap that comes free once those before it are gone).

// Room for one more message of n bytes: its offset, or -1.
export function reserve(box: Outbox, n: number): number {
  const count = box._count;
  if (count === box._at.length) return -1;
  if (!count) return n <= box._bytes.length ? 0 : -1;
  const head = box._at[0];
  const tail = box._at[count - 1] + box._len[count - 1];
  if (box._at[count - 1] >= head) {
    // not wrapped: room after the newest, or else before the oldest
    if (box._bytes.length - tail >= n) return tail;
    return head >= n ? 0 : -1;
  }
  return head - tail >= n ? tail : -1;
}

// Records the message just written at reserve()'s offset.
export function append(box: Outbox, at: number, n: number, id: number, qos: number, done: Done | undefined): void {
  const k = box._count++;
  box._at[k] = at;
  box._len[k] = n;
  box._id[k] = id;
  box._qos[k] = qos;
  box._stage[k] = Stage.QUEUED;
  box._done[k] = done;
}

// Takes message k out, keeping the others in order.
export function remove(box: Outbox, k: number): void {
  const last = box._count - 1;
  for (let i = k; i < last; i++) {
    box._at[i] = box._at[i + 1];
    box._len[i] = box._len[i + 1];
    box._id[i] = box._id[i + 1];
    box._qos[i] = box._qos[i + 1];
    box._stage[i] = box._stage[i + 1];
    box._done[i] = box._done[i + 1];
  }
  box._done[last] = undefined;
  box._count = last;
}

export function findId(box: Outbox, id: number): number {
  for (let k = 0; k < box._count; k++) if (box._qos[k] && box._id[k] === id) return k;
  return -1;
}
