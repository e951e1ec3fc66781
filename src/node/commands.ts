import { Actuator } from '../drivers/driver';

// Applies a command's text to an actuator's state, or returns false and changes nothing.
// Relay: ON, OFF, TOGGLE. Dimmer: those, a level 0..100, or Home Assistant's JSON light command
// {"state":"ON","brightness":40} (either field may be absent).
export function parseCommand(a: Actuator, text: string): boolean {
  let on = !!a.active;
  let level = a.level;
  if (text === 'ON' || text === 'OFF' || text === 'TOGGLE') on = text === 'TOGGLE' ? !on : text === 'ON';
  else if (a.type !== 'pwm') return false;
  else if (/^\d{1,3}$/.test(text) && +text <= 100) {
    on = +text > 0;
    if (on) level = +text;
  } else {
    let o: { state?: unknown; brightness?: unknown };
    try {
      o = JSON.parse(text);
    } catch (e) {
      return false;
    }
    if (!o || typeof o !== 'object') return false;
    const b = o.brightness;
    if (o.state !== undefined && o.state !== 'ON' && o.state !== 'OFF') return false;
    if (b !== undefined && (typeof b !== 'number' || b < 0 || b > 100 || b !== Math.round(b))) return false;
    if (o.state === undefined && b === undefined) return false;
    if (o.state !== undefined) on = o.state === 'ON';
    if (typeof b === 'number') {
      if (b) level = b;
      on = b > 0 && o.state !== 'OFF';
    }
  }
  a.active = on;
  if (a.type === 'pwm') a.level = level || 100;
  return true;
}
