// Writes dist/sizes.json and prints the size table of every bundle in dist/.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parse } from 'acorn';

import { bootBuild } from './boot-build.mjs';

// The library as top-level boot code (see README, "Deploying" and scripts/boot-build.mjs): its functions
// stay in flash, the application that follows it in the same boot code finds the client at `mqtt`, and the
// library's own names live in `__mqtt`, so that the application may use any other name.
for (const ws of ['', '-ws']) {
  writeFileSync(`dist/espruino-mqtt${ws}-boot.js`, bootBuild(readFileSync(`dist/espruino-mqtt${ws}.js`, 'latin1')), 'latin1');
}

// What a bundle costs the board beyond its bytes: in boot code each function defined at top level costs
// about 4 blocks and 1 more per parameter (../shared/ESPRUINO.md), whatever its length.
function topLevelFunctions(code) {
  let functions = 0;
  let params = 0;
  const walk = (node) => {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') {
      functions++;
      params += node.params.length;
      return; // what is inside is made when it runs
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type === 'string') walk(v);
    }
  };
  walk(parse(code, { ecmaVersion: 5 }));
  return { functions, params };
}

const sizes = {};
for (const file of readdirSync('dist').filter((f) => f.endsWith('.js')).sort()) {
  const code = readFileSync(`dist/${file}`);
  sizes[file] = { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, ...topLevelFunctions(code.toString('latin1')) };
}
writeFileSync('dist/sizes.json', JSON.stringify(sizes, null, 2) + '\n');
console.log('bundle                   bytes   gzip  top-level functions  parameters');
for (const [file, s] of Object.entries(sizes)) {
  console.log(`${file.padEnd(22)} ${String(s.bytes).padStart(7)} ${String(s.gzip).padStart(6)} ${String(s.functions).padStart(20)} ${String(s.params).padStart(11)}`);
}
