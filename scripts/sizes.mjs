// Writes dist/sizes.json and prints the size table of every bundle in dist/.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const sizes = {};
for (const file of readdirSync('dist').filter((f) => f.endsWith('.js')).sort()) {
  const code = readFileSync(`dist/${file}`);
  sizes[file] = { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
}
writeFileSync('dist/sizes.json', JSON.stringify(sizes, null, 2) + '\n');
console.log('bundle               bytes   gzip');
for (const [file, s] of Object.entries(sizes)) {
  console.log(`${file.padEnd(18)} ${String(s.bytes).padStart(7)} ${String(s.gzip).padStart(6)}`);
}
