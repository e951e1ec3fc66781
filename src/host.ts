// The client for Node hosts (tools, benchmarks, the simulator's broker side): Node's net and tls as the
// transport. Built to dist/host.cjs; never part of a board bundle.
import { Client, Options, createClient } from './client/client';
import { NodeNetLike, nodeTransport } from './transport/node';

export function connect(options: Options): Client {
  const load = require as unknown as (name: string) => NodeNetLike;
  return createClient(options, nodeTransport(load('net'), load('tls')));
}

export { createClient, nodeTransport };
export { encodeConnect, encodePublish, encodeAck, encodeSubscribe, encodeEmpty, createReader, toBytes, fromBytes } from './codec/index';
export { discoveryMessage } from './node/discovery';
