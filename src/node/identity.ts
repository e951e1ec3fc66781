import { NodeConfig } from './config';

// The node id: the configured one, or the board's serial with anything not topic-friendly removed.
export function nodeId(cfg: NodeConfig): string {
  return cfg.id || /*@__INLINE__*/ serialId();
}

// The board's serial (its MAC on an ESP32 or ESP8266) as an id: 'esp' and the serial's letters and digits.
export function serialId(): string {
  return 'esp' + String(getSerial()).replace(/[^0-9A-Za-z]/g, '');
}
