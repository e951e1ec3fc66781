// What every driver shares. Drivers know pins and Espruino's sensor modules, never MQTT: a sensor hands
// back numbers (or says why it could not), an actuator is told a level.

// One configured sensor, as the node's configuration describes it (see scripts/node-config.mjs); a driver
// keeps its device handle in `_dev`.
export interface Sensor {
  type: string;
  name: string;
  pin?: number;
  sda?: number;
  scl?: number;
  addr?: number;
  period?: number; // seconds between readings
  scale?: number; // analog: value = average reading (0..1) * scale + offset
  offset?: number;
  samples?: number;
  debounce?: number; // digital: ms
  pull?: boolean; // digital: internal pull-up
  inverted?: boolean; // digital: low means on
  _dev?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

// A reading: error is a short reason (and values absent), or null with one value per quantity.
export type Reading = (s: Sensor, error: string | null, values?: number[]) => void;

export interface Actuator {
  type: string;
  name: string;
  pin: number;
  inverted?: boolean;
  freq?: number; // pwm: Hz
  active?: boolean; // on (not `on`: every Espruino object inherits an event method of that name)
  level?: number; // pwm: 0..100, kept while off so ON restores it
  _t?: number; // sparkplug: when it last changed (ms)
  _new?: number; // sparkplug: 1 while a command's change is being reported
}

// Plausible bounds: a loose wire or a missing chip reads as garbage, which is reported, never published. Each
// driver tests its values against its sensor's range, `typeof v === 'number' && v >= min && v <= max`, written
// out (a function of its own cost the board 7 blocks for good).
