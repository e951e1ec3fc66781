// npm start: builds the bundles and prints what was built. (The simulated sensor node replaces this later.)
import { execSync } from 'node:child_process';

execSync('npm run --silent build', { stdio: 'inherit' });
console.log('\nBundles are in dist/: espruino-mqtt.js (the library module), esp32.js and esp8266.js (board entries).');
