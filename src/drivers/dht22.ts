import { Reading, Sensor } from './driver';

// DHT22 / AM2302 through Espruino's DHT22 module, which the espruino CLI adds at upload. Its read() calls
// back with {temp, rh}, or {err, checksumError} after its own retries. At most one reading per 2 s.
export function readDht22(s: Sensor, done: Reading): void {
  if (!s._dev) s._dev = require('DHT22').connect(s.pin);
  s._dev.read(function (r: { temp: number; rh: number; err?: boolean; checksumError?: boolean }) {
    const t = r.temp;
    const h = r.rh;
    if (r.err) done(s, r.checksumError ? 'checksum error' : 'no response');
    // the sensor's range (driver.ts: plausible bounds)
    else if (!(typeof t === 'number' && t >= -40 && t <= 80 && typeof h === 'number' && h >= 0 && h <= 100)) done(s, 'implausible reading');
    else done(s, null, [t, h]);
  });
}
