// Writes dist/sizes.json and prints the size table of every bundle in dist/.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

// The library as top-level boot code (see README, "Deploying"): its functions stay in flash, and the
// application that follows it in the same boot code finds the client at `mqtt`.
const lib = readFileSync('dist/espruino-mqtt.js', 'utf8');
writeFileSync('dist/espruino-mqtt-boot.js', `var exports = {};\n${lib}\nvar mqtt = exports;\n`);

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
