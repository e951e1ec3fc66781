// The library with MQTT over WebSocket as well as TCP: require("espruino-mqtt-ws").connect({url: "ws://..."}).
// A build of its own (dist/espruino-mqtt-ws.js, and the -ws board bundles), so that the TCP build carries
// none of it. The handshake needs SHA-1: Espruino's crypto module, on the ESP32 and the 4 MB ESP8266
// (not on 512 KB ESP8266 builds, where a ws:// connection fails with the interpreter's "module not found").
import { Client, Options, createClient } from './client/client';
import { espruinoTransport } from './transport/espruino';
import { websocket } from './transport/websocket';

// The interpreter's require, under another name: the espruino CLI would otherwise try to upload a module
// named in a literal require() call.
const load = typeof E !== 'undefined' ? require : undefined;

function sha1Base64(s: string): string {
  return btoa(E.toString(load!('crypto').SHA1(s)));
}

// Made once, at load, after what it calls (the interpreter does not hoist).
const onBoard = load ? websocket(espruinoTransport(load), sha1Base64) : undefined;

export function connect(options: Options): Client {
  return createClient(options, onBoard);
}

export { matchTopic } from './client/topics';
