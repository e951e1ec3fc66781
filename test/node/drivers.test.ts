// The sensor drivers' plausible bounds (src/drivers/driver.ts): a value outside its sensor's range, or no
// number at all, is reported as an implausible reading and never published; the edges of the range pass.
import Module from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { readSensor } from '../../src/drivers/sensors';
import { Sensor } from '../../src/drivers/driver';

const g = globalThis as Record<string, unknown>;
let reading: Record<string, unknown>;

// Espruino's modules, as the drivers' require() finds them (the CLI adds them at upload)
const loader = Module as unknown as { _load: (name: string, ...rest: unknown[]) => unknown };
const load = loader._load;
function fakeModules() {
  loader._load = function (name: string, ...rest: unknown[]) {
    if (name === 'DHT22') return { connect: () => ({ read: (cb: (r: unknown) => void) => cb(reading) }) };
    if (name === 'BME280') return { connect: () => ({ getData: () => reading }) };
    return load.call(this, name, ...rest);
  };
  g.I2C = class {
    setup() {}
  };
}

afterEach(() => {
  loader._load = load;
  delete g.I2C;
});

function read(type: string, r: Record<string, unknown>): string | number[] {
  fakeModules();
  reading = r;
  let out: string | number[] = 'not called';
  readSensor({ type, name: 'x', pin: 4, sda: 4, scl: 5 } as unknown as Sensor, (_s, error, values) => (out = error || values!));
  return out;
}

describe('plausible bounds', () => {
  it('a DHT22: -40 to 80 °C, 0 to 100 %, edges included', () => {
    expect(read('dht22', { temp: -40, rh: 0 })).toEqual([-40, 0]);
    expect(read('dht22', { temp: 80, rh: 100 })).toEqual([80, 100]);
    for (const [temp, rh] of [[-40.1, 50], [80.1, 50], [20, -0.1], [20, 100.1], [NaN, 50], [20, null], ['20', 50], [undefined, 50]]) {
      expect(read('dht22', { temp, rh }), `${temp} ${rh}`).toBe('implausible reading');
    }
    expect(read('dht22', { err: true, checksumError: true })).toBe('checksum error');
  });

  it('a BME280: -40 to 85 °C, 0 to 100 %, 300 to 1100 hPa, edges included', () => {
    expect(read('bme280', { temp: -40, humidity: 0, pressure: 300 })).toEqual([-40, 0, 300]);
    expect(read('bme280', { temp: 85, humidity: 100, pressure: 1100 })).toEqual([85, 100, 1100]);
    for (const [temp, humidity, pressure] of [[-40.1, 50, 1000], [85.1, 50, 1000], [20, -1, 1000], [20, 100.5, 1000], [20, 50, 299.9], [20, 50, 1100.1], [20, 50, null], [null, 50, 1000], [20, '50', 1000]]) {
      expect(read('bme280', { temp, humidity, pressure }), `${temp} ${humidity} ${pressure}`).toBe('implausible reading');
    }
  });
});
