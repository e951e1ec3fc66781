import { Reading, Sensor, plausible } from './driver';

// DHT22 / AM2302 through Espruino's DHT22 module, which the espruino CLI adds at upload. Its read() calls
// back with {temp, rh}, or {err, checksumError} after its own retries. At most one reading per 2 s.
export function readDht22(s: Sensor, done: Reading): void {
  if (!s._dev) s._dev = require('DHT22').connect(s.pin);
  s._dev.read(function (r: { temp: number; rh: number; err?: boolean; checksumError?: boolean }) {
    if (r.err) done(s, r.checksumError ? 'checksum error' : 'no response');
    else if (!plausible(r.temp, -40, 80) || !plausible(r.rh, 0, 100)) done(s, 'implausible reading');
    else done(s, null, [r.temp, r.rh]);
  });
}
