// Loads the built library bundle (dist/espruino-mqtt.js, an Espruino-style CommonJS module) into Node.
import { readFileSync } from 'node:fs';

export function loadBundle(file = 'dist/espruino-mqtt.js') {
  const exports = {};
  new Function('exports', 'module', readFileSync(file, 'utf8'))(exports, { exports });
  return exports;
}
