import { Reading, Sensor } from './driver';

// An ADC input: the average of a few readings (0..1 of the ADC's range), scaled, e.g. a battery through a
// 1:1 divider on a 3.3 V range is scale 6.6.
export function readAnalog(s: Sensor, done: Reading): void {
  const n = s.samples || 1;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += analogRead(s.pin!);
  done(s, null, [(sum / n) * (s.scale == null ? 1 : s.scale) + (s.offset || 0)]);
}
