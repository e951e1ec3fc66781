import { readAnalog } from './analog';
import { readBme280 } from './bme280';
import { readDht22 } from './dht22';
import { readDigital } from './digital';
import { Reading, Sensor } from './driver';
import { readDs18b20 } from './ds18b20';

// Reads a sensor of any type through its driver; done is called with its values or why there are none.
// Each driver is called in its own branch, never held in a variable: a function called from one place only is
// then compiled into this one, so that on the board the drivers cost RAM only while a reading runs (in boot
// code a function defined at top level costs about 6 blocks for good, a reading comes every few seconds).
export function readSensor(s: Sensor, done: Reading): void {
  const t = s.type;
  if (t === 'dht22') readDht22(s, done);
  else if (t === 'bme280') readBme280(s, done);
  else if (t === 'ds18b20') readDs18b20(s, done);
  else if (t === 'digital') readDigital(s, done);
  else readAnalog(s, done);
}
