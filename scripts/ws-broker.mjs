// The broker's side of MQTT over WebSocket for the benchmarks: Aedes writes each packet in pieces between
// cork() and uncork() (mqtt-packet's writeToStream), which a TCP socket sends as one segment; the ws
// package's createWebSocketStream sends each piece as a frame of its own (a 16-byte PUBLISH in 3-4 frames).
// Brokers frame whole packets (Mosquitto: one frame per packet), so this stream sends a corked write as one
// frame. The tests use ws's own stream as well: a packet split across frames is legal and must work.
import http from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

// The broker served over WebSocket on 127.0.0.1 (an ephemeral port), each connection through the stream
// below, Nagle off as for the benches' TCP listeners. Resolves to the listening HTTP server.
export async function listenWebSocket(broker) {
  const web = http.createServer();
  new WebSocketServer({ server: web }).on('connection', (sock) => {
    sock._socket.setNoDelay(true);
    broker.handle(wsBrokerStream(sock));
  });
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  return web;
}

export function wsBrokerStream(ws) {
  const stream = new Duplex({
    read() {},
    write(chunk, _encoding, cb) {
      ws.send(chunk, cb);
    },
    writev(chunks, cb) {
      ws.send(Buffer.concat(chunks.map((c) => c.chunk)), cb);
    },
    final(cb) {
      ws.close();
      cb();
    },
    destroy(err, cb) {
      ws.terminate();
      cb(err);
    },
  });
  ws.on('message', (data) => stream.push(data));
  ws.on('close', () => stream.destroy());
  ws.on('error', (e) => stream.destroy(e));
  return stream;
}
