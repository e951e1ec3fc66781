export { Type, Err } from './constants';
export { toBytes, fromBytes, utf8Error, topicNameError, topicFilterError } from './strings';
export { encodeConnect, encodePublish, encodeAck, encodeSubscribe, encodeEmpty } from './writer';
export { createReader } from './reader';
export type { Packet, Reader } from './reader';
export type { Bytes, ConnectFields, Will } from './writer';
