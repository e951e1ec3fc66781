import { Reading, Sensor } from './driver';

// BME280 on I2C through Espruino's BME280 module; software I2C, so any two pins work on both boards.
// The module's getData() is synchronous: {temp (°C), pressure (hPa), humidity (%)}. A missing chip makes
// the bus throw (NACK) or read garbage; either is reported, and the next reading connects again.
export function readBme280(s: Sensor, done: Reading): void {
  let d: { temp: number; pressure: number; humidity: number };
  try {
    if (!s._dev) {
      const bus = new I2C();
      bus.setup({ sda: s.sda, scl: s.scl });
      s._dev = require('BME280').connect(bus, { addr: s.addr });
    }
    d = s._dev.getData();
  } catch (e) {
    s._dev = undefined;
    done(s, 'no response');
    return;
  }
  const t = d.temp;
  const h = d.humidity;
  const p = d.pressure;
  // the sensor's range (driver.ts: plausible bounds)
  if (!(typeof t === 'number' && t >= -40 && t <= 85 && typeof h === 'number' && h >= 0 && h <= 100 && typeof p === 'number' && p >= 300 && p <= 1100)) {
    s._dev = undefined;
    done(s, 'implausible reading');
  } else done(s, null, [t, h, p]);
}
