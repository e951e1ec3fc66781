import { Actuator } from './driver';

// Relays, LEDs and PWM dimmers: a relay is on or off; a dimmer has a level 0..100 and is off at 0.
// `inverted` is for active-low wiring (most relay boards, the ESP8266's LED).
export function drive(a: Actuator): void {
  const inv = a.inverted ? 1 : 0;
  if (a.type === 'pwm') {
    const duty = a.active ? a.level! / 100 : 0;
    analogWrite(a.pin, inv ? 1 - duty : duty, { freq: a.freq || 1000 });
  } else digitalWrite(a.pin, (a.active ? 1 : 0) ^ inv);
}
