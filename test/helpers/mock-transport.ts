// A transport whose sockets the test drives: it sees every packet the client writes (parsed by
// mqtt-packet, the reference) and feeds the client whatever a broker would send, byte-exact.
import mqttPacket from 'mqtt-packet';
import { LinkEvent, type Endpoint, type LinkEvents, type Transport } from '../../src/transport/transport';

export interface MockLink {
  to: Endpoint;
  on: LinkEvents;
  sent: mqttPacket.Packet[]; // what the client wrote, in order
  bytes: number; // bytes written
  wire: string; // what the client wrote, as hex
  strings: number; // writes handed over as byte strings (a board bundle's usual PUBLISH and acknowledgements)
  ended: boolean;
  forced: boolean;
  open(): void; // the socket connects
  receive(...packets: object[]): void; // the broker sends these
  receiveBytes(bytes: Uint8Array | string): void;
  connack(code?: number, sessionPresent?: boolean, properties?: object): void; // open, then CONNACK (5.0: code is the reason code)
  drain(): void;
  close(err?: { message: string }): void;
  take(cmd?: string): mqttPacket.Packet[]; // the packets sent since the last take (of that cmd)
}

export interface MockTransport {
  transport: Transport;
  links: MockLink[];
  last(): MockLink;
}

// How receive() hands the client each packet: a Uint8Array, as Node's sockets do, or (strings: true) a byte
// string, one character a byte, as Espruino's sockets do (the reader's string path, src/codec/reader.ts).
export const chunks = { strings: false };

// version: the MQTT version the broker side speaks (5: it parses and generates MQTT 5.0 packets).
export function mockTransport(version = 4): MockTransport {
  const links: MockLink[] = [];
  const opts = { protocolVersion: version } as const;
  const transport: Transport = (to, on) => {
    const parser = mqttPacket.parser(opts);
    let taken = 0;
    const link: MockLink = {
      to,
      on,
      sent: [],
      bytes: 0,
      wire: '',
      strings: 0,
      ended: false,
      forced: false,
      open: () => on.notify(LinkEvent.CONNECT),
      receive: (...packets) => {
        for (const p of packets) {
          const bytes = mqttPacket.generate(p as mqttPacket.Packet, opts);
          on.notify(LinkEvent.DATA, chunks.strings ? bytes.toString('latin1') : new Uint8Array(bytes));
        }
      },
      receiveBytes: (b) => on.notify(LinkEvent.DATA, b),
      connack(code = 0, sessionPresent = false, properties?: object) {
        on.notify(LinkEvent.CONNECT);
        link.receive(version === 5 ? { cmd: 'connack', reasonCode: code, sessionPresent, properties } : { cmd: 'connack', returnCode: code, sessionPresent });
      },
      drain: () => on.notify(LinkEvent.DRAIN),
      close: (err) => on.notify(LinkEvent.CLOSE, err),
      take(cmd) {
        const fresh = link.sent.slice(taken);
        taken = link.sent.length;
        return cmd ? fresh.filter((p) => p.cmd === cmd) : fresh;
      },
    };
    parser.on('packet', (p) => link.sent.push(p));
    parser.on('error', (e) => {
      throw e;
    });
    links.push(link);
    return {
      write(buf, start, end) {
        if (link.ended) throw new Error('write after end');
        link.bytes += end - start;
        // (a board bundle writes its usual PUBLISH as a byte string: transport.ts)
        if (typeof buf === 'string') link.strings++;
        const b = typeof buf === 'string' ? Buffer.from(buf.slice(start, end), 'latin1') : Buffer.from(buf.slice(start, end));
        link.wire += b.toString('hex');
        parser.parse(b);
      },
      end(force) {
        link.ended = true;
        link.forced = !!force;
      },
    };
  };
  return { transport, links, last: () => links[links.length - 1] };
}
