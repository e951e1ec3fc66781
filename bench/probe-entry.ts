// The library's internals, exported for bench/espruino-profile.mjs only (never shipped): built the same way
// as dist/espruino-mqtt.js, so each part can be timed alone on the interpreter.
export { createReader } from '../src/codec/reader';
export { encodePublish, encodeAck } from '../src/codec/writer';
export { utf8Error, topicError as topicNameError, bytesToString } from '../src/codec/strings';
export { matchTopic } from '../src/client/topics';
export { createOutbox, store, remove } from '../src/client/outbox';
export { connect } from '../src/index';
export { emit, flush } from '../src/client/events';
export { onPacket } from '../src/client/inbound';
