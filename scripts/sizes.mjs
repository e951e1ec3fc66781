// Writes dist/sizes.json and prints the size table of every bundle in dist/.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

import { bootBuild } from './boot-build.mjs';

// The library as top-level boot code (see README, "Deploying" and scripts/boot-build.mjs): its functions
// stay in flash, the application that follows it in the same boot code finds the client at `mqtt`, and the
// library's own names live in `__mqtt`, so that the application may use any other name.
writeFileSync('dist/espruino-mqtt-boot.js', bootBuild(readFileSync('dist/espruino-mqtt.js', 'latin1')), 'latin1');

const sizes = {};
for (const file of readdirSync('dist').filter((f) => f.endsWith('.js')).sort()) {
  const code = readFileSync(`dist/${file}`);
  sizes[file] = { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}
writeFileSync('dist/sizes.json', JSON.stringify(sizes, null, 2) + '\n');
console.log('bundle                   bytes   gzip');
for (const [file, s] of Object.entries(sizes)) {
  console.log(`${file.padEnd(22)} ${String(s.bytes).padStart(7)} ${String(s.gzip).padStart(6)}`);
}
