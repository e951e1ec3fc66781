import { Reading, Sensor } from './driver';

// A digital input (button, PIR, reed switch): debounced by the board's own pin watch; reports 1 or 0
// (on or off, after `inverted`) on every change, and on demand.
export function readDigital(s: Sensor, done: Reading): void {
  done(s, null, [digitalRead(s.pin!) ^ (s.inverted ? 1 : 0)]);
}

export function watchDigital(s: Sensor, done: Reading): void {
  pinMode(s.pin!, s.pull ? 'input_pullup' : 'input');
  setWatch(
    function (e: { state: boolean }) {
      done(s, null, [(e.state ? 1 : 0) ^ (s.inverted ? 1 : 0)]);
    },
    s.pin!,
    { repeat: true, edge: 'both', debounce: s.debounce == null ? 50 : s.debounce },
  );
}
