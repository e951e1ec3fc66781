export { Type, Err } from './constants';
export { toBytes, fromBytes, utf8Error, topicNameError, topicFilterError } from './strings';
export { encodeConnect, encodePublish, encodeAck, encodeSubscribe, encodeEmpty, publishSize } from './writer';
export { createReader, MIN_READ_BUFFER } from './reader';
export type { Packet, Reader } from './reader';
export type { Bytes, ConnectFields, Will } from './writer';
