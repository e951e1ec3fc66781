// The library as one Espruino module: require("espruino-mqtt").connect({host: ...}).
import { Client, Options, createClient } from './client/client';
import { espruinoTransport } from './transport/espruino';

// Opens a client; on Espruino it talks through require('net') / require('tls') unless options.transport
// says otherwise (on a host pass nodeTransport from src/transport/node.ts).
// Made once, at load: a transport made per client would be a new closure, in RAM, for each.
const onBoard = typeof E !== 'undefined' ? espruinoTransport(require) : undefined;

export function connect(options: Options): Client {
  return createClient(options, onBoard);
}

export { matchTopic } from './client/topics';
