// The MQTT packets in bytes a client wrote (a loopback proxy's record): [first byte, body] each, the body
// after the fixed header. For the scenarios that read a node's CONNECT and DISCONNECT off the wire.
export function packetsOf(bytes) {
  const out = [];
  for (let at = 0; at < bytes.length; ) {
    let len = 0;
    let k = at + 1;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[k++];
      len += (b & 127) << shift;
      if (b < 128 || k >= bytes.length) break;
    }
    out.push([bytes[at], bytes.subarray(k, k + len)]);
    at = k + len;
  }
  return out;
}
