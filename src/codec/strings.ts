import { Err } from './constants';

// The codec's strings are byte strings: one character per byte, codes 0-255. On Espruino every JS string
// already is one (its strings are 8-bit and literals are stored as their UTF-8 bytes); V8 strings are UTF-16,
// so host code converts at the API edge with toBytes/fromBytes. The check runs once at load: Espruino
// truncates a character code to 8 bits. The Espruino bundles are built with BYTE_STRINGS defined: there the
// check is known and only String() is left of the conversions below.
const WIDE = typeof BYTE_STRINGS === 'undefined' && String.fromCharCode(256).charCodeAt(0) === 256;

// Text to the bytes MQTT puts on the wire. Throws URIError on a lone surrogate (ill-formed UTF-16).
// With 8-bit strings both are the interpreter's own String(): a function of ours would cost 5 blocks.
export const toBytes: (s: string) => string = WIDE
  ? function (s) {
      return unescape(encodeURIComponent(s));
    }
  : String;

// String.fromCharCode under a name of our own: on the board a builtin's method found by name costs about
// 3 us a call more (four arguments: 13.1 us against 9.4, measured), and a message makes one to three.
export const chars: (...codes: number[]) => string = String.fromCharCode;

// Bytes from the wire to text; call only on bytes that passed utf8Error.
export const fromBytes: (b: string) => string = WIDE
  ? function (b) {
      return decodeURIComponent(escape(b));
    }
  : String;

// On Espruino a loop over bytes costs thousands of times a native call, so where strings are 8-bit (the
// Espruino bundles) the codec's byte work is done by the interpreter's own methods: E.toString of a view
// here, typed-array set() from a string in writer.ts, a regular expression below. Undefined when the
// board has no room for the copy.
export function bytesToString(b: Uint8Array, start: number, end: number): string {
  if (typeof BYTE_STRINGS !== 'undefined') return E.toString(b.subarray(start, end));
  let s = '';
  while (start < end) s += String.fromCharCode(b[start++]);
  return s;
}

// Binary fields (payloads, password): a byte string or a Uint8Array.
export type Bytes = string | Uint8Array;

// Copies raw bytes; returns the new offset, or -1 when a string holds a character above 0xFF.
export function putBytes(buf: Uint8Array, p: number, b: Bytes): number {
  const n = b.length;
  // Espruino's set() takes a string's bytes (see bytesToString in strings.ts); V8's would read them as NaN
  if (typeof b !== 'string' || typeof BYTE_STRINGS !== 'undefined') {
    buf.set(b as Uint8Array, p);
    return p + n;
  }
  let seen = 0;
  for (let i = 0; i < n; i++) seen |= buf[p++] = b.charCodeAt(i);
  return seen > 255 ? -1 : p;
}

// 0 when s is well-formed UTF-8 [MQTT-1.5.3-1] without U+0000 [MQTT-1.5.3-2] and fits a length prefix
// [MQTT-4.7.3-3]; otherwise the error code. Overlong forms, surrogates (U+D800-U+DFFF) and code points
// above U+10FFFF are ill-formed (RFC 3629). A BOM (EF BB BF) is ordinary data [MQTT-1.5.3-3].
export function utf8Error(s: string): number {
  const n = s.length;
  if (n > 65535) return Err.STRING_TOO_LONG;
  if (!/[^\x01-\x7f]/.test(s)) return 0; // ASCII without NUL, the usual case: one native scan
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i++);
    if (c < 0x80) {
      if (c === 0) return Err.NUL_CHAR;
      continue;
    }
    if (c > 0xff) return Err.NOT_BYTES;
    const more = c < 0xc2 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : c < 0xf5 ? 3 : 0;
    if (!more) return Err.BAD_UTF8;
    let cp = c & (0x3f >> more);
    for (let k = 0; k < more; k++) {
      const d = s.charCodeAt(i++); // NaN past the end, which fails the test below
      if ((d & 0xc0) !== 0x80) return Err.BAD_UTF8;
      cp = (cp << 6) | (d & 0x3f);
    }
    // below the smallest code point that needs this many continuation bytes is an overlong form
    if (cp < (more === 1 ? 0x80 : more === 2 ? 0x800 : 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return Err.BAD_UTF8;
    }
  }
  return 0;
}

// The topic name topicError last found valid (never an invalid one; 0, no string, until there is one). The
// message path's callers compare with it before calling: on the board the call costs more than the comparison.
export let validTopic: string | 0 = 0;

// A topic name for PUBLISH (filter 0 or absent): not empty [MQTT-4.7.3-1], no wildcards [MQTT-3.3.2-2]
// [MQTT-4.7.1-1]. A topic filter for SUBSCRIBE/UNSUBSCRIBE (filter 1): not empty, '#' alone in the last level
// [MQTT-4.7.1-2], '+' alone in its level [MQTT-4.7.1-3]. (One function for both: on the board each function
// costs RAM for good.)
export function topicError(t: string, filter?: number): number {
  const n = t ? t.length : 0; // (a host's caller may pass null: empty)
  if (!filter) {
    // the topic found valid last time, the usual case (a node publishes to, and hears on, the same few
    // topics): on the board comparing costs about a microsecond, the scan below about twenty
    if (t === validTopic) return 0;
    // the usual case in one native scan: ASCII without NUL, '#' (0x23) or '+' (0x2b). (The literal makes a new
    // object each time, 4 us on the board; one kept at top level would cost 19 blocks for good.)
    if (!/[^\x01-\x22\x24-\x2a\x2c-\x7f]/.test(t) && n && n < 65536) {
      validTopic = t;
      return 0;
    }
  }
  if (!n) return Err.TOPIC_EMPTY;
  if (!filter && (t.indexOf('+') >= 0 || t.indexOf('#') >= 0)) return Err.TOPIC_WILDCARD;
  // the v5 builds: a shared subscription is $share/<name>/<filter>, the name not empty and without '/', '+'
  // or '#', the filter not empty [MQTT-4.8.2-1] [MQTT-4.8.2-2] of 5.0 (the filter is checked below)
  if (MQTT5 && filter && t.indexOf('$share/') === 0 && !/^\$share\/[^\/+#]+\/./.test(t)) return Err.BAD_FILTER;
  for (let i = 0; filter && i < n; i++) {
    const c = t.charAt(i);
    if (c !== '+' && c !== '#') continue;
    if ((i > 0 && t.charAt(i - 1) !== '/') || (c === '#' ? i !== n - 1 : i < n - 1 && t.charAt(i + 1) !== '/')) {
      return Err.BAD_FILTER;
    }
  }
  return utf8Error(t);
}

// The codec's public names for the two (the board's bundles call topicError).
export function topicNameError(t: string): number {
  return topicError(t);
}

export function topicFilterError(f: string): number {
  return topicError(f, 1);
}
