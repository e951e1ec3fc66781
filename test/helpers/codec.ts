// Shared test helpers for the codec: encode into a scratch buffer, collect decoded packets.
import { createReader, Packet } from '../../src/codec/index';

export function encoded(write: (buf: Uint8Array) => number, size = 1 << 17): Uint8Array {
  const buf = new Uint8Array(size);
  const n = write(buf);
  if (n < 0) throw new Error(`encoder refused: code ${-n}`);
  return buf.slice(0, n);
}

// A plain copy of what the reader reported, safe to keep after the callback.
export interface Decoded {
  type: number;
  length: number;
  id: number;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  topic?: string;
  payload?: number[];
  codes?: number[];
  code?: number;
  sessionPresent?: boolean;
  props?: Record<string, unknown>; // 5.0
  error: number;
}

export function snapshot(p: Packet, v5 = false): Decoded {
  const d: Decoded = { type: p.type, length: p.length, id: p.id, error: p.error };
  if (v5) {
    d.code = p.code;
    if (p.props) d.props = p.props;
  }
  if (p.type === 3) {
    d.qos = p.qos;
    d.dup = p.dup;
    d.retain = p.retain;
    d.topic = p.topic;
    d.payload = Array.prototype.slice.call(p.buf.subarray(p.start, p.end));
  } else if (p.type === 9 || (v5 && p.type === 11)) {
    d.codes = Array.prototype.slice.call(p.buf.subarray(p.start, p.end));
  } else if (p.type === 2) {
    d.code = p.code;
    d.sessionPresent = p.sessionPresent;
  }
  return d;
}

// Feeds chunks to a fresh reader; returns the packets and errors in order.
export function decodeAll(chunks: (string | Uint8Array)[], size = 1 << 17, v5 = false): { packets: Decoded[]; errors: number[] } {
  const packets: Decoded[] = [];
  const errors: number[] = [];
  const reader = createReader(
    size,
    (_, p) => packets.push(snapshot(p, v5)),
    (_, code) => errors.push(code),
    undefined,
    v5,
  );
  for (const c of chunks) reader.push(c);
  return { packets, errors };
}

// A Uint8Array as the byte string an Espruino socket would deliver.
export function byteString(u8: Uint8Array): string {
  let s = '';
  for (let i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]);
  return s;
}
