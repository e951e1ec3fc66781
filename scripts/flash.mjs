// npm run flash: builds the firmware for a board, checks a node's configuration against it, and writes both
// to the board with the espruino CLI (a dependency of this project) in the way that costs the board least
// RAM: the bundle as boot code (.bootcde, run from flash), node.json and the sensor modules it needs as
// Storage files (where require() finds them), then load() reboots into it. Works offline: the CLI gets a
// local board file and fetches nothing.
//
//   npm run flash -- --board esp32 --port /dev/ttyUSB0 [--baud 115200] [--config node.json]
//                    [--modules DIR] [--dry-run] [--timeout SECONDS] [--no-build]
//
// --port also takes tcp://HOST:PORT (a board on the network, or a test device). --modules is where the
// Espruino modules for the configured sensors are (DHT22.min.js or DHT22.js, ...; default ./modules).
// --dry-run writes what would be sent to dist/flash/<board>/upload.js instead of connecting (no port, no board).
//
// Success is proven, never assumed: after the upload the board itself reads back every file written (its
// length and CRC-32, from Storage) and prints them; only when all match what was sent does it reboot into
// the firmware (load()). A refused or silent port, a CLI error in any spelling, or a file that came back
// different is an error naming what was not confirmed, and the exit code is 1.
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { minify } from 'terser';
import { commandLine } from './args.mjs';
import { BOARDS, checkConfig, describe, firmwareFile, loadBoard, readConfigFile } from './node-config.mjs';

const { opt, flag } = commandLine();
const fail = (msg) => {
  console.error(`\nnpm run flash: ${msg}`);
  process.exit(1);
};
let stepNo = 0;
const step = (what) => console.log(`[${++stepNo}/5] ${what}`);

// The Espruino modules each sensor type needs, by the name the firmware requires.
const MODULES = { dht22: 'DHT22', bme280: 'BME280', ds18b20: 'DS18B20' };

const boardName = opt('board');
const port = opt('port');
const baud = Number(opt('baud', 115200));
const configFile = opt('config', 'node.json');
const modulesDir = opt('modules', 'modules');
const dryRun = flag('dry-run');
if (!BOARDS.includes(boardName)) fail(`--board must be one of ${BOARDS.join(', ')}`);
if (!dryRun && !port) fail('--port is missing: the serial port of the board (e.g. /dev/ttyUSB0), or tcp://HOST:PORT');
if (port && !port.startsWith('tcp://') && !existsSync(port)) fail(`no such port: ${port} (is the board plugged in? ls /dev/ttyUSB* /dev/ttyACM*)`);
if (!Number.isInteger(baud) || baud <= 0) fail(`--baud must be a number, not ${opt('baud')}`);
const board = loadBoard(boardName);
const out = `dist/flash/${boardName}`;

if (flag('no-build')) step('using the firmware built before (--no-build)');
else {
  step('building the firmware');
  execSync('npm run --silent build', { stdio: ['ignore', 'ignore', 'inherit'] });
}

step(`checking ${configFile} for ${board.name}`);
if (!existsSync(configFile)) fail(`${configFile} not found: copy ${boardName === 'esp8266' ? 'node.esp8266.example.json' : 'node.example.json'} to node.json and edit it`);
let raw;
try {
  raw = readConfigFile(configFile);
} catch (e) {
  fail(e.message);
}
const { config, errors, ram } = checkConfig(raw, boardName);
if (errors.length) fail(`${configFile}: ${errors.length} problem${errors.length > 1 ? 's' : ''}:\n  ${errors.join('\n  ')}`);
for (const line of describe(config, boardName)) console.log(`      ${line}`);
// the board's firmware, in its WebSocket build when a broker URL is ws:// or wss://
const firmware = firmwareFile(config, boardName);
if (!existsSync(firmware)) fail(`${firmware} is missing: run without --no-build`);
const bundle = readFileSync(firmware, 'latin1');
console.log(`      firmware ${firmware}`);

step('finding the Espruino modules the sensors need');
const files = []; // [Storage name, contents as bytes]
const missing = [];
for (const type of [...new Set(config.sensors.map((s) => s.type))]) {
  const name = MODULES[type];
  if (!name) continue;
  const found = [`${modulesDir}/${name}.min.js`, `${modulesDir}/${name}.js`].find(existsSync);
  if (!found) {
    missing.push(name);
    continue;
  }
  const text = readFileSync(found, 'latin1');
  // what the board keeps in RAM while a module is in use is its code: send it minified
  const code = found.endsWith('.min.js') ? text : (await minify(text, { ecma: 5, format: { ascii_only: false } })).code;
  files.push([name, code]);
  console.log(`      ${name} from ${found} (${code.length} B)`);
}
if (missing.length)
  fail(
    `missing Espruino module${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, needed by the configured sensors.\n` +
      `  Download ${missing.map((m) => `https://www.espruino.com/modules/${m}.min.js`).join(', ')}\n` +
      `  into ${modulesDir}/ (or pass --modules DIR); this command fetches nothing itself.`,
  );
if (!files.length) console.log('      none needed');
const nodeJson = JSON.stringify(config);
files.push(['node.json', Buffer.from(nodeJson, 'utf8').toString('latin1')]); // as UTF-8 bytes: the board's strings are bytes
files.push(['.bootcde', bundle]);

step(`checking the budget of the ${board.name}`);
const bytes = files.reduce((n, f) => n + f[1].length, 0);
console.log(`      RAM when connected: about ${ram} of ${board.blocks} blocks; flash: ${bytes} B of Storage (${board.storage} B)`);
if (bytes > board.storage) fail(`${bytes} B do not fit the ${board.storage} B of Storage on ${board.name}`);

// A board file for the CLI: it then asks the board nothing and fetches nothing; the firmware's own
// require()s are inside the uploaded data, so the CLI adds no modules of its own.
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/board.json`, JSON.stringify({ info: { name: board.name, binary_version: board.firmware, builtin_modules: board.builtinModules } }));
const cliArgs = ['--board', `${out}/board.json`];
for (const [name, data] of files) {
  const file = `${out}/${name === '.bootcde' ? 'bootcde.js' : name}`;
  writeFileSync(file, data, 'latin1');
  cliArgs.push('--storage', `${name}:${file}`);
}
// The read-back: the board prints each file's length and CRC-32 (-1 when missing) and reboots into the
// new boot code only when all match. The marker is split in the source, so the REPL's echo of this
// line never looks like the answer.
const sent = files.map(([name, data]) => [name, data.length, crc32(data)]);
const VERIFY =
  `(function(){var S=require("Storage"),x=${JSON.stringify(sent)},r=[],ok=1,i,d,l;` +
  `for(i=0;i<x.length;i++){d=S.read(x[i][0]);l=d===undefined?-1:d.length;r.push([x[i][0],l,l<0?0:E.CRC32(d)]);` +
  `if(l!==x[i][1]||r[i][2]!==x[i][2])ok=0;}print("@"+"@flashed "+JSON.stringify(r));if(ok)load();})()`;
cliArgs.push('-e', VERIFY);
const cli = createRequire(import.meta.url).resolve('espruino/bin/espruino-cli.js');

if (dryRun) {
  step(`dry run: writing what would be sent to ${out}/upload.js`);
  execSync(`${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} -n -o ${out}/upload.js ${cliArgs.map((a) => JSON.stringify(a)).join(' ')}`, { stdio: 'ignore' });
  console.log(`      ${readFileSync(`${out}/upload.js`).length} B of REPL input`);
  process.exit(0);
}

step(`uploading to ${port} at ${baud} baud`);
// Base64 in the upload makes it about 4/3 of the bytes; at 10 bits a byte on the wire, plus the time the
// board takes to write flash.
const limit = Number(opt('timeout', 0)) || Math.ceil(20 + (bytes * 1.5 * 10) / baud + bytes / 2000);
const expected = Math.ceil((bytes * 1.4 * 10) / baud + bytes / 4000);
console.log(`      ${bytes} B as base64 REPL input, about ${expected} s at ${baud} baud`);
const started = Date.now();
const progress = setInterval(() => {
  const s = Math.round((Date.now() - started) / 1000);
  console.log(`      ... ${s} s${expected ? ` (about ${Math.min(99, Math.round((100 * s) / Math.max(expected, 1)))}%)` : ''}`);
}, 5000);
const child = spawn(process.execPath, [cli, '--no-ble', '-p', port, '-b', String(baud), ...cliArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
let sawPrompt = false;
const show = (d) => {
  const text = d.toString('latin1');
  log += text;
  if (/Connected|Upload Complete|Uploading/i.test(text)) sawPrompt = true;
  for (const line of text.split('\n')) if (/Connect|Upload|Progress|Error|error|not found|Sending/i.test(line)) console.log(`      ${line.trim()}`);
};
child.stdout.on('data', show);
child.stderr.on('data', show);
const timer = setTimeout(() => {
  clearInterval(progress);
  child.kill('SIGKILL');
  fail(
    sawPrompt
      ? `the upload did not finish within ${limit} s (the board stopped answering); try a lower --baud or --timeout`
      : `the board on ${port} does not answer (no Espruino prompt within ${limit} s): is it running Espruino, at ${baud} baud?`,
  );
}, limit * 1000);
const code = await new Promise((resolve) => child.on('exit', resolve));
clearTimeout(timer);
clearInterval(progress);
const answer = /@@flashed (\[.*\])/.exec(log);
let readBack = null;
try {
  readBack = answer && JSON.parse(answer[1]);
} catch (e) {
  // a garbled answer is no confirmation
}
if (!Array.isArray(readBack)) fail(`nothing was confirmed written to ${port}: ${whyNoAnswer(log, code)}`);
const wrong = sent.filter(([name, length, crc], i) => !readBack[i] || readBack[i][1] !== length || readBack[i][2] !== crc);
if (wrong.length)
  fail(
    `the board did not keep what was sent, so it was not rebooted:\n` +
      wrong
        .map(([name, length]) => {
          const got = readBack.find((f) => f[0] === name);
          return `  ${name}: sent ${length} B, ${!got || got[1] < 0 ? 'the board has no such file' : `the board has ${got[1]} B${got[1] === length ? ' with a different CRC-32' : ''}`}`;
        })
        .join('\n') +
      `\n  (is Storage full, or was the connection interrupted? try again, or a lower --baud)`,
  );
console.log(`\nwrote ${files.map(([n, d]) => `${n} (${d.length} B)`).join(', ')} to ${board.name} on ${port}, read back from the board (length and CRC-32 of each) and confirmed; it rebooted into the firmware`);

// Why the read-back never came: the CLI's errors in the spellings it uses, or a board that did not answer.
function whyNoAnswer(text, exitCode) {
  const line = (re) => (text.split('\n').find((l) => re.test(l)) || '').trim();
  if (/ECONNREFUSED/.test(text)) return 'the connection was refused (nothing listens there)';
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND/.test(text)) return `the port could not be reached (${line(/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND/)})`;
  if (/Unable to (open|connect)/i.test(text)) return `the espruino CLI could not open it (${line(/Unable to/i)})`;
  if (/RECEIVE ERROR|Error/.test(text)) return `the espruino CLI reported an error (${line(/RECEIVE ERROR|Error/)})`;
  if (exitCode !== 0) return `the espruino CLI failed (exit ${exitCode})`;
  return 'the board never answered the read-back of the files (is it running Espruino, at this baud rate?)';
}

// CRC-32 as Espruino's E.CRC32 computes it (the IEEE polynomial, reflected), over the bytes of a string.
function crc32(text) {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i) & 255;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (~crc) >>> 0;
}
