// Runs the build (package.json's "build" script, step by step) for the commands that need it first.
//
//   node scripts/build.mjs [--steps] [--if-stale] [--quiet]
//
// --steps     says what each step builds and how long it took (npm start: the build takes a while)
// --if-stale  does nothing, silently, when every output is newer than every input (bench, fuzz, reliability)
// --quiet     keeps the steps' own output (sizes, the example configuration) to itself; errors still show
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);

// What each step of the build script is, in words.
const LABELS = [
  [/^tsc\b/, 'type-checking the sources (tsc)'],
  [/^rollup\b/, 'bundling the library, the boot build and the ESP32 and ESP8266 firmware, each with and without WebSocket and Sparkplug B, and for the ESP32 in MQTT 5.0 as well (rollup, terser)'],
  [/sizes\.mjs/, 'measuring the bundles against boards/bundles.json'],
  [/node-config\.mjs/, 'checking the node configuration'],
];
const OUTPUTS = ['dist/espruino-mqtt.js', 'dist/espruino-mqtt-boot.js', 'dist/espruino-mqtt-ws.js', 'dist/espruino-mqtt-ws-boot.js', 'dist/host.cjs', 'dist/esp32.js', 'dist/esp8266.js', 'dist/esp32-ws.js', 'dist/esp8266-ws.js', 'dist/esp32-sparkplug.js', 'dist/esp8266-sparkplug.js', 'dist/esp32-ws-sparkplug.js', 'dist/esp8266-ws-sparkplug.js', 'dist/esp32-mqtt5.js', 'dist/esp32-sparkplug-mqtt5.js', 'dist/sizes.json'];
const INPUTS = ['src', 'boards', 'scripts/boot-build.mjs', 'scripts/cold-functions.mjs', 'scripts/sizes.mjs', 'rollup.config.mjs', 'tsconfig.json', 'package.json', 'node.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

function stale() {
  const built = OUTPUTS.map((f) => (existsSync(join(root, f)) ? statSync(join(root, f)).mtimeMs : 0));
  if (built.some((t) => !t)) return true;
  return Math.max(...INPUTS.map((f) => newest(join(root, f)))) > Math.min(...built);
}

if (flag('if-stale') && !stale()) process.exit(0);
const steps = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build.split('&&').map((s) => s.trim());
const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` };
const started = Date.now();
steps.forEach((cmd, i) => {
  const label = (LABELS.find(([re]) => re.test(cmd)) || [null, cmd])[1];
  const t = Date.now();
  if (flag('steps')) process.stdout.write(`build ${i + 1}/${steps.length}: ${label}...`);
  try {
    execSync(cmd, { cwd: root, env, stdio: ['ignore', flag('quiet') || flag('steps') ? 'pipe' : 'inherit', 'pipe'] });
  } catch (e) {
    if (flag('steps')) process.stdout.write(' failed\n');
    process.stderr.write(`${e.stdout || ''}${e.stderr || ''}`);
    console.error(`build: "${cmd}" failed (exit ${e.status})`);
    process.exit(1);
  }
  if (flag('steps')) process.stdout.write(` ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
});
if (flag('steps')) console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
