// The outbox: every PUBLISH the client has accepted and not finished, encoded, in one preallocated byte
// buffer, oldest first. QoS 0 leaves when written, QoS 1 on PUBACK, QoS 2 on PUBCOMP. Bounded twice: by
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

function end(box: Outbox): number {
  const k = box._count - 1;
  return k < 0 ? 0 : box._at[k] + box._len[k];
}

// Room for one more message of n bytes: its offset, or -1. Messages leave from the front without copying;
// the survivors are moved down only when the tail has no room.
export function reserve(box: Outbox, n: number): number {
  if (box._count === box._at.length) return -1;
  let e = end(box);
  if (e + n > box._bytes.length && box._count) {
    const base = box._at[0];
    box._bytes.set(box._bytes.subarray(base, e), 0);
    for (let k = 0; k < box._count; k++) box._at[k] -= base;
    e -= base;
  }
  return e + n > box._bytes.length ? -1 : e;
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

// Takes message k out, keeping the others in order. The oldest leaves without a copy; from the middle,
// the bytes after it move down over its space.
export function remove(box: Outbox, k: number): void {
  const last = box._count - 1;
  const gap = k ? box._len[k] : 0;
  if (k && k < last) box._bytes.set(box._bytes.subarray(box._at[k + 1], end(box)), box._at[k]);
  for (let i = k; i < last; i++) {
    box._at[i] = box._at[i + 1] - gap;
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
