// How much RAM a whole sensor node leaves on a 12-byte ESP8266 build, peaks included: the check behind the
// blocks the build keeps for peaks (boards/esp8266.json budget.headroom). bench/memory-node.mjs samples usage
// every 5 ms, which misses the peaks deep in a callback (a discovery message built and written); running out
// of memory does not miss them. So this runs the node (Home Assistant, or Sparkplug with FORMAT=sparkplug)
// with the parts named, stand-in modules (scripts/espruino-node.mjs), and beside them a filler of as many
// blocks as the real Espruino modules take more than the stand-ins (both measured here, loaded from Storage
// as an upload leaves them), and then with more filler, 10 blocks at a time, until the node runs out of
// memory or stops coming online. It prints the build's estimate and the blocks left beyond the real modules'
// share.
//
//   ESPRUINO_BIN=path/to/espruino_esp8266_12 ESPRUINO_MODULES=path/to/EspruinoDocs/devices \
//     PARTS=dht22,ds18b20,bme280,analog,digital [FORMAT=sparkplug] node bench/memory-peak.mjs
import net from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { Aedes } from 'aedes';
import { minify } from 'terser';
import { interpreters, run, scratch } from '../scripts/espruino.mjs';
import { moduleBlocks, nodeLines } from '../scripts/espruino-node.mjs';
import { checkConfig, firmwareFile, loadBoard } from '../scripts/node-config.mjs';

const devices = process.env.ESPRUINO_MODULES;
if (!devices) {
  console.error('bench/memory-peak.mjs needs ESPRUINO_MODULES=path/to/EspruinoDocs/devices (the real DHT22, BME280, DS18B20 modules)');
  process.exit(2);
}
const bin = interpreters().find((b) => /esp8266_12/.test(b)) || interpreters()[0];

// Each part as the committed example has it, on the ESP8266's pins (readings every 2 s: several before the end)
const PARTS = {
  dht22: { type: 'dht22', name: 'climate', pin: 12, period: 2 },
  ds18b20: { type: 'ds18b20', name: 'water', pin: 13, period: 2 },
  bme280: { type: 'bme280', name: 'air', period: 2 },
  analog: { type: 'analog', name: 'battery', pin: 17, period: 2 },
  digital: { type: 'digital', name: 'door', pin: 14 },
  digital2: { type: 'digital', name: 'window', pin: 15 },
  digital3: { type: 'digital', name: 'gate', pin: 0 },
};
const parts = (process.env.PARTS || 'dht22,ds18b20,bme280,analog,digital').split(',');
const MODULES = { dht22: 'DHT22', bme280: 'BME280', ds18b20: 'DS18B20' };

let excess = 0;
for (const p of parts) {
  const name = MODULES[p];
  if (!name || !existsSync(`${devices}/${name}.js`)) continue;
  const real = await moduleBlocks(bin, name, (await minify(readFileSync(`${devices}/${name}.js`, 'latin1'), { ecma: 5 })).code);
  const stand = await moduleBlocks(bin, name);
  if (real == null || stand == null) throw new Error(`${name}: not measured`);
  console.log(`${name}: the real module ${real} blocks, the stand-in ${stand}`);
  excess += real - stand;
}

const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const raw = JSON.parse(readFileSync('node.example.json', 'utf8'));
raw.board = 'esp8266';
raw.mqtt = { url: `mqtt://127.0.0.1:${port}` };
raw.sensors = parts.map((p) => PARTS[p]);
raw.actuators = [];
const sparkplug = process.env.FORMAT === 'sparkplug';
if (sparkplug) {
  raw.node = { id: raw.node.id, format: 'sparkplug' };
  delete raw.discovery;
  raw.sparkplug = { group: 'Plant1' };
}
const { config, errors, ram } = checkConfig(raw);
const headroom = loadBoard('esp8266').budget.headroom;
const taken = !errors.length;

// The filler: an array of small numbers, a block each (as the modules' code and objects are small blocks),
// made as the node starts. Online: no out-of-memory, the node still running 6 s later, and every part heard
// from: its Home Assistant config and a reading on its own topic (Sparkplug: the NBIRTH, which names them all).
async function once(fill) {
  const seen = new Set();
  const count = (p, c) => { if (c) seen.add(p.topic); };
  broker.on('publish', count);
  const probe = `var __fill = []; for (var __i = 0; __i < ${fill}; __i++) __fill.push(__i);
var __mx = 0, __iv = setInterval(function () { var u = process.memory().usage; if (u > __mx) __mx = u; }, 5);
setTimeout(function () { clearInterval(__iv); console.log("@" + "@mem " + process.memory().usage + " " + __mx); console.log("@" + "@done"); }, 6000);`;
  const box = scratch();
  const r = await run(bin, box.dir, nodeLines(readFileSync(firmwareFile(config, 'esp8266'), 'latin1'), config, probe), 30000);
  box.remove();
  broker.removeListener('publish', count);
  const topics = [...seen];
  const heard = sparkplug
    ? topics.some((t) => t.includes('/NBIRTH/'))
    : config.sensors.every((x) => topics.some((t) => t.startsWith('homeassistant/') && t.includes(`/${x.name}`)) && topics.some((t) => !t.startsWith('homeassistant/') && t.endsWith(`/${x.name}`)));
  const m = r.marks.find((x) => x[0] === 'mem');
  const oom = /(^|\n)>?OUT OF MEMORY/.test(r.output); // (the bundle, echoed as it is stored, says "out of memory" in its texts)
  return { ran: !!m && !oom && heard, steady: m ? Number(m[1]) : null, peak: m ? Number(m[2]) : null, oom, topics: topics.length };
}

const first = await once(excess);
let most = first.ran ? excess : null;
if (first.ran) for (let fill = excess + 10; fill <= excess + 400; fill += 10) {
  if (!(await once(fill)).ran) break;
  most = fill;
}
server.close();
await new Promise((r) => broker.close(r));

console.log(`\nThe ${sparkplug ? 'Sparkplug' : 'Home Assistant'} node with ${parts.join(', ')} on ${bin.split('/').pop()} (1600 blocks, 12 bytes each)`);
console.log(`the build's estimate: ${ram} blocks, ${taken ? 'taken' : 'refused'} with ${headroom} kept for peaks${errors.length ? ` (${errors.join('; ')})` : ''}`);
console.log(`the real modules take ${excess} blocks more than the stand-ins: filled so, the node ${first.ran ? `ran (steady ${first.steady}, highest sampled ${first.peak})` : `did not come online (${first.oom ? 'out of memory' : `${first.topics} topics heard, not every part`})`}`);
if (most != null) console.log(`it came online with up to ${most} blocks of filler: ${most - excess} to spare beyond the real modules, within 10`);
