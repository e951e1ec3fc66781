// The two real brokers the client is tested against, behind one shape: Aedes in-process and Mosquitto as a
// process. `port` takes anonymous clients; `authPort` wants users (with `users` given); `tlsPort` speaks TLS
// (with `secure` given). Mosquitto keeps credentials on its TLS listener, Aedes checks them on its one port.
import { startBroker } from './broker';
import { startMosquitto } from './mosquitto';

export type BrokerKind = 'aedes' | 'mosquitto';
export const KINDS: BrokerKind[] = ['aedes', 'mosquitto'];

export interface AnyBroker {
  kind: BrokerKind;
  port: number;
  authPort: number;
  authProtocol: string; // what a client with credentials uses: 'mqtts' on Mosquitto
  tlsPort: number;
  kill(): unknown;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startKind(kind: BrokerKind, opts: { secure?: { key: string; cert: string }; users?: Record<string, string> } = {}): Promise<AnyBroker> {
  if (kind === 'mosquitto') {
    // persistence on: a restarted Mosquitto keeps sessions and queued messages, as installations run it
    const m = await startMosquitto({ persistence: true, tls: opts.secure || opts.users ? opts.secure : undefined, users: opts.users });
    return { kind, port: m.port, authPort: m.tlsPort, authProtocol: 'mqtts', tlsPort: m.tlsPort, kill: () => m.kill(), restart: () => m.restart(), close: () => m.close() };
  }
  const users = opts.users;
  const b = await startBroker(
    users
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = !!username && users[username] === String(password);
            done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
          },
        }
      : {},
    opts.secure,
  );
  return { kind, port: b.port, authPort: b.port, authProtocol: opts.secure ? 'mqtts' : 'mqtt', tlsPort: b.port, kill: () => b.kill(), restart: () => b.restart(), close: () => b.close() };
}
