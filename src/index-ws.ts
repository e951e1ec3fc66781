// The library with MQTT over WebSocket as well as TCP: require("espruino-mqtt-ws").connect({url: "ws://..."}).
// A build of its own (dist/espruino-mqtt-ws.js, and the -ws board bundles), so that the TCP build carries
// none of it.
import { Client, Options, createClient } from './client/client';
import { espruinoTransport } from './transport/espruino';
import { sha1 } from './transport/sha1';
import { websocket } from './transport/websocket';

// The interpreter's require, under another name: the espruino CLI would otherwise try to upload a module
// named in a literal require() call.
const load = typeof E !== 'undefined' ? require : undefined;

// The handshake's SHA-1: Espruino's crypto module (ESP32, the 4 MB ESP8266), else our own (512 KB ESP8266).
function sha1Base64(s: string): string {
  let crypto;
  try {
    crypto = load!('crypto');
  } catch (e) {
    // "Module crypto not found"
  }
  return btoa(crypto ? E.toString(crypto.SHA1(s)) : sha1(s));
}

// Made once, at load, after what it calls (the interpreter does not hoist).
const onBoard = load ? websocket(espruinoTransport(load), sha1Base64) : undefined;

export function connect(options: Options): Client {
  return createClient(options, onBoard);
}

export { matchTopic } from './client/topics';
