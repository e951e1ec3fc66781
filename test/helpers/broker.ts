// A real Aedes broker on 127.0.0.1 (ephemeral port) that a test can kill and restart with its state kept,
// as a broker with persistence restarts; and a loopback proxy that can go silent or cut the line.
// Served over TCP (TLS with `secure`), or with `ws` over WebSocket (wss with `secure`), by the `ws` package.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { Aedes, type AedesOptions } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';

export interface WsOptions {
  path?: string; // only upgrades to this path are taken (ws answers others with 400)
  protocols?: boolean; // false: the server accepts no subprotocol
}

export interface TestBroker {
  broker: Aedes;
  port: number;
  kill(): void; // every connection dropped, nothing listening
  restart(): Promise<void>; // listening again on the same port
  close(): Promise<void>;
}

export async function startBroker(opts: AedesOptions = {}, secure?: { key: string; cert: string }, ws?: WsOptions): Promise<TestBroker> {
  const broker = await Aedes.createBroker(opts);
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  const t: TestBroker = {
    broker,
    port: 0,
    kill() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    async restart() {
      if (ws) {
        const web = secure ? https.createServer(secure) : http.createServer();
        const handleProtocols = (offered: Set<string>) => (ws.protocols !== false && offered.has('mqtt') ? 'mqtt' : false);
        new WebSocketServer({ server: web, path: ws.path, handleProtocols }).on('connection', (sock) => broker.handle(createWebSocketStream(sock) as never));
        server = web as unknown as net.Server;
      } else {
        server = secure ? tls.createServer(secure, broker.handle) : net.createServer(broker.handle);
      }
      server.on('connection', (s: net.Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(t.port, '127.0.0.1', resolve));
      t.port = (server.address() as net.AddressInfo).port;
    },
    async close() {
      t.kill();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
  await t.restart();
  return t;
}

export interface TestProxy {
  port: number;
  silent: boolean; // forward nothing either way, close nothing
  sent: Buffer[]; // what the clients wrote, each connection's bytes in one Buffer, in the order they connected
  cut(): void; // drop every connection at once, both sides
  close(): Promise<void>;
}

export async function startProxy(target: () => number): Promise<TestProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((down) => {
    const up = net.connect(target(), '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [down, up];
    pairs.add(pair);
    const k = p.sent.push(Buffer.alloc(0)) - 1;
    down.on('data', (d) => {
      p.sent[k] = Buffer.concat([p.sent[k], d]);
      if (!p.silent) up.write(d);
    });
    up.on('data', (d) => !p.silent && down.write(d));
    const end = () => {
      pairs.delete(pair);
      if (!p.silent) {
        down.destroy();
        up.destroy();
      }
    };
    down.on('close', end).on('error', () => {});
    up.on('close', end).on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const p: TestProxy = {
    port: (server.address() as net.AddressInfo).port,
    silent: false,
    sent: [],
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    async close() {
      p.silent = false;
      p.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return p;
}
