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
  // their lengths, kept: on the board a typed array's `length` costs seven field reads, and a QoS 1 message
  // asked for them seven times
  _cap: number;
  _slots: number;
  _used: number; // bytes held by messages
  // The messages are slots _head.._end-1, oldest first (none when _head = _end). Taking the oldest
  // moves nothing (the head advances); the slots move down, in one native copy, only when the last one is
  // needed. So a message costs the same whether 10 or 1,000 are queued.
  _head: number;
  _end: number;
  // Every slot from _head to _next-1 is in flight (SENT or RELEASED): pump starts writing at _next instead
  // of passing over each of them on every call. Only ever too low, never too high: a slot below it that
  // goes back to being written (a PUBREC, a new session) lowers it.
  _next: number;
  // per slot: offset and length of its PUBLISH in the ring, packet id (0 in a free slot: see slotOf), stage,
  // and its place in the order of the application's calls (see Request._after in state.ts). Its QoS is the
  // PUBLISH's own, in its first byte: (_bytes[_at[k]] >> 1) & 3 (a slot array of its own cost the board blocks
  // and a store on every message).
  _at: Uint16Array; // offsets and lengths fit 16 bits: outboxBytes is at most 65535 (options.ts)
  _len: Uint16Array;
  _id: Uint16Array;
  _stage: Uint8Array;
  _seq: Int32Array;
  // the callbacks of those that have one, by slot; null until one is stored after a store found the outbox
  // empty (on the board an element read of an empty array costs 4.6 us, a delete 4, the test of a null field
  // 1.5, twice a QoS 1 message; a client giving every message a callback, one at a time, makes an array each)
  _done: (Done | undefined)[] | null;
  _exp?: Float64Array; // 5.0: when each message expires (ms, the client's clock), 0 for never
}

export function createOutbox(capacity: number, slots: number): Outbox {
  // The per-slot arrays are views of one buffer, 11 bytes a slot, the widest first so each is aligned: on
  // the board each typed array of its own costs a buffer and a string header besides (16 slots: 35 blocks
  // apart, 26 together). Espruino keeps a view's offset in 16 bits: options.ts allows at most 5461 slots.
  const b = new ArrayBuffer(11 * slots);
  return {
    _bytes: new Uint8Array(capacity),
    _cap: capacity,
    _slots: slots,
    _used: 0,
    _head: 0,
    _end: 0,
    _next: 0,
    _at: new Uint16Array(b, 4 * slots, slots),
    _len: new Uint16Array(b, 6 * slots, slots),
    _id: new Uint16Array(b, 8 * slots, slots),
    _stage: new Uint8Array(b, 10 * slots, slots),
    _seq: new Int32Array(b, 0, slots),
    _done: null,
  };
}

// The bytes are a ring: each message follows the one before it, and one may run past the end of the buffer
// and go on at its start. A message taken from the middle leaves a gap; when the new one does not fit
// after the newest, the messages are packed together again, so every free byte is usable.

// Whether a message of n bytes can be stored now: a slot free (at the end, or behind the head) and n bytes
// free, `(box._end < box._slots || box._head > 0) && box._cap - box._used >= n`. Written out where it is
// used (publish, twice, makeRoom and pump in outbound.ts: keep the four the same): on the board a function
// costs RAM for good, and the call costs more than the test.

// Stores n bytes of src as the newest message; the caller has made sure there is room. On the board src may
// be a byte string of n bytes (the usual PUBLISH, outbound.ts): set() takes a string's bytes (strings.ts).
// The board library's fastPublish (outbound.ts) writes the first case and the one-piece case of the second out
// for the usual message, and calls this for the rest: keep them the same.
export function store(box: Outbox, src: Uint8Array | string, n: number, id: number, seq: number, done: Done | undefined): void {
  const h = box._head;
  let k = box._end;
  let at = 0;
  const str = typeof BYTE_STRINGS !== 'undefined' && typeof src === 'string';
  if (h === k) {
    // none held (one message at a time, the usual case): at the start, in one piece; no callback is held
    box._head = box._next = k = 0;
    box._done = null;
    box._bytes.set(str ? (src as unknown as Uint8Array) : (src as Uint8Array).subarray(0, n), 0);
  } else {
    const cap = box._cap;
    if (k === box._slots) {
      // every slot taken or left behind the head: free those behind it
      box._head = 0;
      box._next -= h;
      shift(box, h, h);
      k = box._end;
    }
    at = (box._at[k - 1] + box._len[k - 1]) % cap;
    // bytes from the oldest to the end of the newest, gaps included
    const span = (at - box._at[box._head] + cap) % cap || cap;
    // (a call in the library, not its text inlined here: on the board a function's text is read on every
    // call, taken or not, and this runs only when the ring is too fragmented; KEEP_HOT_CALLS)
    if (cap - span < n) at = KEEP_HOT_CALLS ? /*#__NOINLINE__*/ compact(box) : compact(box);
    // (a byte string whole, the string itself, not a copy; in pieces, substring for subarray. The usual case
    // first, in one step: on the board each costs about 2 us, and a branch not taken is skipped as a block)
    if (cap - at >= n) box._bytes.set((str ? src : (src as Uint8Array).subarray(0, n)) as Uint8Array, at);
    else {
      // past the end of the ring: in two pieces
      const first = cap - at;
      box._bytes.set((str ? (src as string).substring(0, first) : (src as Uint8Array).subarray(0, first)) as Uint8Array, at);
      box._bytes.set((str ? (src as string).substring(first, n) : (src as Uint8Array).subarray(first, n)) as Uint8Array, 0);
    }
  }
  box._end = k + 1;
  box._used += n;
  box._at[k] = at;
  box._len[k] = n;
  box._id[k] = id;
  box._stage[k] = Stage.QUEUED;
  box._seq[k] = seq;
  // only callbacks are kept (a free slot has no element): on Espruino an array element is found by walking
  // the elements before it, so 1,000 queued messages without callbacks would make each access cost ~35 us
  if (done) (box._done || (box._done = []))[k] = done;
}

// Moves slots from..end-1 down by `by`, native copies (set() copies overlapping ranges as memmove does).
function shift(box: Outbox, from: number, by: number): void {
  const end = box._end;
  const a = [box._at, box._len, box._id, box._stage, box._seq] as Int32Array[];
  if (MQTT5 && box._exp) a.push(box._exp as unknown as Int32Array);
  for (let i = 0; i < (MQTT5 ? a.length : 5); i++) a[i].set(a[i].subarray(from, end), from - by);
  if (box._done) box._done.splice(from - by, by);
  box._end = end - by;
  box._id.fill(0, end - by, end);
}

// Moves every message next to the one before it, from the oldest on; returns where the newest ends. Each
// moves back in ring order, never past an unmoved one, so copying forward is safe (set() copies
// overlapping ranges as memmove does, on Espruino too).
function compact(box: Outbox): number {
  const cap = box._cap;
  const b = box._bytes;
  let to = box._at[box._head];
  for (let k = box._head; k < box._end; k++) {
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

// The slot of the message with packet id `id` (1..65535), or -1. Acknowledgements usually answer the oldest;
// otherwise the live slots alone are searched natively: on Espruino a typed array's indexOf visits each
// element at about 0.12 us, so over every slot of a 1,000-message outbox it cost 120 us a search. (The 3.1.1
// client writes this out, in inbound.ts and nextId: the 5.0 build calls it as well.)
export function slotOf(box: Outbox, id: number): number {
  const h = box._head;
  if (box._id[h] === id) return h;
  const k = h < box._end ? box._id.subarray(h, box._end).indexOf(id) : -1;
  return k < 0 ? -1 : h + k;
}

// Takes message k out, keeping the others in order; returns the slot of the message that followed it.
export function remove(box: Outbox, k: number): number {
  box._used -= box._len[k];
  box._id[k] = 0;
  if (k > box._head) {
    if (box._next > k) box._next--;
    shift(box, k + 1, 1);
    return k;
  }
  if (box._done) delete box._done[k]; // an element set to undefined would still hold a block
  if (box._next <= k) box._next = k + 1;
  return (box._head = k + 1);
}

