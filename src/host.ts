// The client for Node hosts (tools, benchmarks, the simulator's broker side): Node's net and tls as the
// transport, with MQTT over WebSocket for ws:// and wss:// servers. Built to dist/host.cjs; never part of a
// board bundle.
import { Client, Options, createClient } from './client/client';
import { NodeNetLike, nodeTransport } from './transport/node';
import { websocket } from './transport/websocket';

export function connect(options: Options): Client {
  const load = require as unknown as (name: string) => NodeNetLike;
  return createClient(options, websocket(nodeTransport(load('net'), load('tls')), nodeSha1Base64));
}

function nodeSha1Base64(s: string): string {
  return require('crypto').createHash('sha1').update(s, 'latin1').digest('base64');
}

export { createClient, nodeTransport, websocket, nodeSha1Base64 };
export { encodeConnect, encodePublish, encodeAck, encodeSubscribe, encodeEmpty, createReader, toBytes, fromBytes } from './codec/index';
export { discoveryMessage } from './node/discovery';
export { quantities } from './node/quantities';
export { putHead, putMetric, readMetrics } from './node/sparkplug-payload';
