import { NodeSensor } from './config';

// What each sensor type measures, in the order its driver reports the values. Kept as code, not tables:
// code loaded from flash costs the board almost no RAM, a table object costs blocks for its life.
export function quantities(s: NodeSensor): string[] {
  const t = s.type;
  if (t === 'dht22') return ['temperature', 'humidity'];
  if (t === 'bme280') return ['temperature', 'humidity', 'pressure'];
  if (t === 'ds18b20') return ['temperature'];
  if (t === 'digital') return ['state'];
  return [s.class || 'value'];
}

// How many quantities() a sensor has, without making the list (the Sparkplug node counts them per message).
export function quantityCount(s: NodeSensor): number {
  return s.type === 'dht22' ? 2 : s.type === 'bme280' ? 3 : 1;
}

export function unitOf(s: NodeSensor, q: string): string | undefined {
  if (s.type === 'analog') return s.unit;
  return q === 'temperature' ? '°C' : q === 'humidity' ? '%' : q === 'pressure' ? 'hPa' : undefined;
}

// A reading as text: ON/OFF for a digital input, else the number rounded to the sensor's decimals.
export function formatValue(s: NodeSensor, v: number): string {
  return s.type === 'digital' ? (v ? 'ON' : 'OFF') : String(roundValue(s, v));
}

// A reading rounded to the sensor's decimals (2 for an analog input, 1 for the rest, unless configured).
export function roundValue(s: NodeSensor, v: number): number {
  const k = Math.pow(10, s.decimals == null ? (s.type === 'analog' ? 2 : 1) : s.decimals);
  return Math.round(v * k) / k;
}
