import { connect } from '../src/index';
import { Client } from '../src/client/client';
import { BoardInfo, NodeConfig } from '../src/node/config';
import { nodeOptions, runNode, stopNode } from '../src/node/node';

// What every board does at boot: read the node's configuration from Storage (npm run flash writes
// node.json there), bring Wi-Fi up and keep it up, then start the client and the node. Wi-Fi losses are
// the client's to ride out: it queues while offline and reconnects with backoff.
// One node per board, so its state is plain top-level variables.
let config: NodeConfig;
let board: BoardInfo | undefined; // until the client has its buffers: then only the LED's two numbers are kept
let led = -1;
let ledOff = 0; // the level that turns the LED off
let client: Client | undefined;
let wifiRetry: unknown;
let wifiWait = 0;

export function start(b: BoardInfo): void {
  board = b;
  led = b.led;
  ledOff = b.ledOn ? 0 : 1;
  try {
    config = require('Storage').readJSON('node.json', true);
  } catch (e) {
    // reported below
  }
  if (!config) return console.log('espruino-mqtt: no node.json in Storage (npm run flash writes it)');
  status();
  E.on('kill', stopNode);
  if (!config.wifi) return begin(); // Wi-Fi set up and saved on the board already
  const wifi = require('Wifi');
  wifi.on('connected', wifiUp);
  wifi.on('disconnected', wifiDown);
  wifiDown(JOIN);
}

function wifiUp(): void {
  if (wifiRetry) clearTimeout(wifiRetry);
  wifiRetry = undefined;
  wifiWait = 0;
  if (!client) begin();
}

// Wi-Fi lost ('disconnected', with its details): asks again after 5 s, doubling up to 2 minutes, for as long as
// it stays away. With JOIN (at start, and from its own timer): asks now. (One function for both: on the board
// each function costs RAM for good.)
const JOIN = 1;
function wifiDown(join?: unknown): void {
  if (join === JOIN) {
    wifiRetry = undefined;
    require('Wifi').connect(config.wifi!.ssid, { password: config.wifi!.password }, function (err: unknown) {
      if (err) console.log('espruino-mqtt: Wi-Fi: ' + err);
    });
  } else if (!wifiRetry) {
    wifiWait = Math.min(wifiWait ? wifiWait * 2 : 5000, 120000);
    wifiRetry = setTimeout(wifiDown, wifiWait, JOIN);
  }
}

function begin(): void {
  client = connect(nodeOptions(config, board!));
  client.on('connect', status);
  client.on('offline', status);
  runNode(client, config, board!.name);
  board = undefined; // (on an ESP8266 its seven fields are 15 blocks)
}

// The status LED is lit while the node is not connected.
function status(): void {
  if (led >= 0) digitalWrite(led, client && client.connected ? ledOff : ledOff ^ 1);
}
