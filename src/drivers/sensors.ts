import { readAnalog } from './analog';
import { readBme280 } from './bme280';
import { readDht22 } from './dht22';
import { readDigital } from './digital';
import { Reading, Sensor } from './driver';
import { readDs18b20 } from './ds18b20';

// Reads a sensor of any type through its driver; done is called with its values or why there are none.
export function readSensor(s: Sensor, done: Reading): void {
  const t = s.type;
  const read: (s: Sensor, done: Reading) => void =
    t === 'dht22' ? readDht22 : t === 'bme280' ? readBme280 : t === 'ds18b20' ? readDs18b20 : t === 'digital' ? readDigital : readAnalog;
  read(s, done);
}
