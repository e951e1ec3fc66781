// The library as one Espruino module: require("espruino-mqtt"). The client's connect() joins it later.
export {
  Type,
  Err,
  toBytes,
  fromBytes,
  utf8Error,
  topicNameError,
  topicFilterError,
  encodeConnect,
  encodePublish,
  encodeAck,
  encodeSubscribe,
  encodeEmpty,
  publishSize,
  createReader,
} from './codec/index';
