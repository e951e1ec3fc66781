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
  bytes: Uint8Array;
  count: number;
  // per message, index 0 the oldest: offset and length of its PUBLISH in bytes, packet id, QoS, stage
  at: Int32Array;
  len: Int32Array;
  id: Uint16Array;
  qos: Uint8Array;
  stage: Uint8Array;
  done: (Done | undefined)[];
}

export function createOutbox(capacity: number, slots: number): Outbox {
  return {
    bytes: new Uint8Array(capacity),
    count: 0,
    at: new Int32Array(slots),
    len: new Int32Array(slots),
    id: new Uint16Array(slots),
    qos: new Uint8Array(slots),
    stage: new Uint8Array(slots),
    done: [],
  };
}

function end(box: Outbox): number {
  const k = box.count - 1;
  return k < 0 ? 0 : box.at[k] + box.len[k];
}

// Room for one more message of n bytes: its offset, or -1. Messages leave from the front without copying;
// the survivors are moved down only when the tail has no room.
export function reserve(box: Outbox, n: number): number {
  if (box.count === box.at.length) return -1;
  let e = end(box);
  if (e + n > box.bytes.length && box.count) {
    const base = box.at[0];
    box.bytes.set(box.bytes.subarray(base, e), 0);
    for (let k = 0; k < box.count; k++) box.at[k] -= base;
    e -= base;
  }
  return e + n > box.bytes.length ? -1 : e;
}

// Records the message just written at reserve()'s offset.
export function append(box: Outbox, at: number, n: number, id: number, qos: number, done: Done | undefined): void {
  const k = box.count++;
  box.at[k] = at;
  box.len[k] = n;
  box.id[k] = id;
  box.qos[k] = qos;
  box.stage[k] = Stage.QUEUED;
  box.done[k] = done;
}

// Takes message k out, keeping the others in order. The oldest leaves without a copy; from the middle,
// the bytes after it move down over its space.
export function remove(box: Outbox, k: number): void {
  const last = box.count - 1;
  const gap = k ? box.len[k] : 0;
  if (k && k < last) box.bytes.set(box.bytes.subarray(box.at[k + 1], end(box)), box.at[k]);
  for (let i = k; i < last; i++) {
    box.at[i] = box.at[i + 1] - gap;
    box.len[i] = box.len[i + 1];
    box.id[i] = box.id[i + 1];
    box.qos[i] = box.qos[i + 1];
    box.stage[i] = box.stage[i + 1];
    box.done[i] = box.done[i + 1];
  }
  box.done[last] = undefined;
  box.count = last;
}

export function findId(box: Outbox, id: number): number {
  for (let k = 0; k < box.count; k++) if (box.qos[k] && box.id[k] === id) return k;
  return -1;
}
