// Certificates for mutual TLS tests: a CA, a server certificate for 127.0.0.1 and a client certificate, both
// signed by the CA (SHA-256: OpenSSL refuses SHA-1 signatures). Made once per process; never written to git.
import selfsigned from 'selfsigned';

export interface MutualTls {
  ca: string; // the CA's certificate
  server: { key: string; cert: string };
  client: { key: string; cert: string }; // common name "node-1"
  stranger: { key: string; cert: string }; // self-signed, not by the CA
}

let made: Promise<MutualTls> | null = null;

export function mutualTls(): Promise<MutualTls> {
  return (made ||= (async () => {
    const opts = { keySize: 2048, algorithm: 'sha256' } as const;
    const ca = await selfsigned.generate([{ name: 'commonName', value: 'espruino-mqtt test CA' }], {
      ...opts,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    const signed = { ...opts, ca: { key: ca.private, cert: ca.cert } };
    // the server's address as an IP subject alternative name: Node checks an IP host against those
    const server = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
      ...signed,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const client = await selfsigned.generate([{ name: 'commonName', value: 'node-1' }], signed);
    const stranger = await selfsigned.generate([{ name: 'commonName', value: 'node-1' }], opts);
    return {
      ca: ca.cert,
      server: { key: server.private, cert: server.cert },
      client: { key: client.private, cert: client.cert },
      stranger: { key: stranger.private, cert: stranger.cert },
    };
  })());
}
