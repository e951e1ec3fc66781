// SHA-1 (FIPS 180-4) of a byte string, as a byte string of 20: the WebSocket handshake's only use of it
// (RFC 6455 4.1, Sec-WebSocket-Accept), for interpreters built without Espruino's crypto module (the 512 KB
// ESP8266 builds). Where the module exists its native SHA1 is used instead. About 10 ms on the Linux build.
export function sha1(s: string): string {
  const n = s.length;
  // typed arrays, not arrays: on the board an array element is a block or two, an Int32Array's four bytes
  const w = new Int32Array(16); // the message schedule, rolling: w[t] overwrites w[t - 16]
  const h = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  // padding: 0x80, zeros to 56 bytes mod 64, the length in bits as 64 bits (here at most 2^32 - 1)
  let m = s + String.fromCharCode(128);
  while (m.length % 64 !== 56) m += String.fromCharCode(0);
  m += String.fromCharCode(0, 0, 0, 0, (n >>> 21) & 255, (n >>> 13) & 255, (n >>> 5) & 255, (n << 3) & 255);
  let i = 0;
  for (let o = 0; o < m.length; o += 64) {
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    for (i = 0; i < 80; i++) {
      if (i < 16) w[i] = (m.charCodeAt(o + 4 * i) << 24) | (m.charCodeAt(o + 4 * i + 1) << 16) | (m.charCodeAt(o + 4 * i + 2) << 8) | m.charCodeAt(o + 4 * i + 3);
      else {
        const x = w[(i - 3) & 15] ^ w[(i - 8) & 15] ^ w[(i - 14) & 15] ^ w[i & 15];
        w[i & 15] = (x << 1) | (x >>> 31);
      }
      const f = i < 20 ? (b & c) | (~b & d) : i < 40 || i >= 60 ? b ^ c ^ d : (b & c) | (b & d) | (c & d);
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc | 0 : 0xca62c1d6 | 0;
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i & 15]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  let out = '';
  for (i = 0; i < 20; i++) out += String.fromCharCode((h[i >> 2] >>> (24 - 8 * (i & 3))) & 255);
  return out;
}
