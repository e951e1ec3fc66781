// The server end of MQTT over WebSocket, for tests of src/transport/websocket.ts over a mock inner link:
// what the client writes is read by the `ws` package's own Receiver (the reference: it insists on masked
// frames from a client and checks every header field), the MQTT packets inside by mqtt-packet; what the
// server sends is framed by `ws`'s Sender, or written by hand where a test needs a frame no server should send.
import { createHash } from 'node:crypto';
import mqttPacket from 'mqtt-packet';
import { Receiver, Sender } from 'ws';
import { LinkEvent, type Endpoint, type LinkEvents, type Transport } from '../../src/transport/transport';

export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface Frame {
  kind: 'binary' | 'text' | 'ping' | 'pong' | 'close';
  data: Buffer;
  code?: number; // close
}

export interface WsPeer {
  to: Endpoint;
  on: LinkEvents;
  writes: Buffer[]; // every write, as written
  request: string; // the upgrade request, once complete
  frames: Frame[]; // what the client sent after the request, decoded by ws's Receiver
  packets: mqttPacket.Packet[]; // the MQTT packets in its binary frames
  errors: Error[]; // what ws's Receiver refused
  late: Buffer[]; // writes after end(): none may come
  ended: boolean;
  forced: boolean;
  open(): void;
  key(): string; // the request's Sec-WebSocket-Key
  response(headers?: Record<string, string | null>, status?: string): string; // a 101 with these changes
  receive(bytes: Uint8Array | string, splits?: number[], asString?: boolean): void; // in chunks cut at these offsets; as byte strings, as an Espruino socket gives them
  drain(): void;
  close(err?: { message: string }): void;
}

// A server frame, as ws frames it (unmasked unless asked).
export function serverFrame(opcode: number, data: Uint8Array | string, opts: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {}): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
  return Buffer.concat(Sender.frame(payload, { fin: opts.fin !== false, mask: !!opts.mask, opcode, readOnly: false, rsv1: !!opts.rsv1 }) as Buffer[]);
}

export function mqttBytes(...packets: object[]): Buffer {
  return Buffer.concat(packets.map((p) => mqttPacket.generate(p as mqttPacket.Packet)));
}

export function acceptOf(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function wsPeers(): { transport: Transport; links: WsPeer[]; last(): WsPeer } {
  const links: WsPeer[] = [];
  const transport: Transport = (to, on) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const receiver = new Receiver({ isServer: true, binaryType: 'nodebuffer' });
    let head = '';
    const peer: WsPeer = {
      to,
      on,
      writes: [],
      request: '',
      frames: [],
      packets: [],
      errors: [],
      late: [],
      ended: false,
      forced: false,
      open: () => on.notify(LinkEvent.CONNECT),
      key: () => /\r\nSec-WebSocket-Key: ([^\r]*)\r\n/.exec(peer.request)![1],
      response(headers = {}, status = '101 Switching Protocols') {
        const h: Record<string, string | null> = {
          Upgrade: 'websocket',
          Connection: 'Upgrade',
          'Sec-WebSocket-Accept': acceptOf(peer.key()),
          'Sec-WebSocket-Protocol': 'mqtt',
          ...headers,
        };
        const lines = Object.entries(h).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}\r\n`);
        return `HTTP/1.1 ${status}\r\n${lines.join('')}\r\n`;
      },
      receive(bytes, splits = [], asString = false) {
        const all = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
        const cuts = [...new Set(splits.filter((s) => s > 0 && s < all.length))].sort((a, b) => a - b);
        let from = 0;
        for (const cut of [...cuts, all.length]) {
          on.notify(LinkEvent.DATA, asString ? all.subarray(from, cut).toString('latin1') : new Uint8Array(all.subarray(from, cut)));
          from = cut;
        }
      },
      drain: () => on.notify(LinkEvent.DRAIN),
      close: (err) => on.notify(LinkEvent.CLOSE, err),
    };
    parser.on('packet', (p) => peer.packets.push(p));
    parser.on('error', () => {}); // bytes that are not MQTT (tests of the framing alone): no packets, seen by the test
    receiver.on('message', (data: Buffer, binary: boolean) => {
      peer.frames.push({ kind: binary ? 'binary' : 'text', data });
      if (binary) parser.parse(data);
    });
    receiver.on('ping', (data: Buffer) => peer.frames.push({ kind: 'ping', data }));
    receiver.on('pong', (data: Buffer) => peer.frames.push({ kind: 'pong', data }));
    receiver.on('conclude', (code: number, data: Buffer) => peer.frames.push({ kind: 'close', code, data }));
    receiver.on('error', (e: Error) => peer.errors.push(e));
    links.push(peer);
    return {
      write(buf, start, end) {
        const bytes = Buffer.from(buf.slice(start, end));
        if (peer.ended) return void peer.late.push(bytes);
        peer.writes.push(bytes);
        if (!peer.request) {
          head += bytes.toString('latin1');
          const at = head.indexOf('\r\n\r\n');
          if (at < 0) return;
          peer.request = head.substring(0, at + 4);
          if (at + 4 < head.length) receiver.write(Buffer.from(head.substring(at + 4), 'latin1'));
        } else {
          receiver.write(bytes);
        }
      },
      end(force) {
        peer.ended = true;
        peer.forced = !!force;
      },
    };
  };
  return { transport, links, last: () => links[links.length - 1] };
}
