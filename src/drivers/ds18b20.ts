import { Reading, Sensor } from './driver';

// DS18B20 on OneWire through Espruino's DS18B20 module: connect() throws when no device answers the
// search; getTemp(cb) converts (up to 750 ms) and calls back with °C, or null when the CRC fails.
export function readDs18b20(s: Sensor, done: Reading): void {
  try {
    if (!s._dev) s._dev = require('DS18B20').connect(new OneWire(s.pin));
    s._dev.getTemp(function (t: number | null) {
      if (t === null) done(s, 'crc error');
      else done(s, null, [t]);
    });
  } catch (e) {
    s._dev = undefined;
    done(s, 'not found');
  }
}
