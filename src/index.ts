// The library as one Espruino module: require("espruino-mqtt").connect({host: ...}).
import { Client, Options, createClient } from './client/client';
import { ClientErr, mqttError } from './client/errors';
import { espruinoTransport } from './transport/espruino';

// Opens a client; on Espruino it talks through require('net') / require('tls') unless options.transport
// says otherwise (on a host pass nodeTransport from src/transport/node.ts).
// Made once, at load: a transport made per client would be a new closure, in RAM, for each.
const onBoard = typeof E !== 'undefined' ? espruinoTransport(require) : undefined;

export function connect(options: Options): Client {
  // This build speaks TCP only (src/index-ws.ts is the one with WebSocket): a ws:// or wss:// server is
  // refused at once, like any server the client cannot reach.
  const list = options.servers || [options];
  for (let i = 0; i < list.length; i++) {
    if ((list[i].url || list[i].protocol || '').charAt(0) === 'w') throw mqttError(ClientErr.BAD_OPTION, 'ws:// and wss:// need the espruino-mqtt-ws build');
  }
  return createClient(options, onBoard);
}

export { matchTopic } from './client/topics';
