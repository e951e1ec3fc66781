// The sensor-node firmware on the real Espruino interpreter (the Linux build, see scripts/espruino.mjs): the
// board bundle stored as boot code and node.json in Storage, as `npm run flash` leaves a board, with small
// stand-ins for what a Linux build lacks (the Wifi module, and the DHT22, BME280 and DS18B20 modules that
// the espruino CLI would add at upload), stored as Storage files of the module's name, where require()
// finds them on every build (a board finds uploaded modules there too).
import { bootLines, run, scratch } from './espruino.mjs';

// Stand-ins with the shapes of the real modules; readings drift slowly so a live view shows change.
const STAND_INS = {
  Wifi: `var l = {};
exports.on = function (e, f) { l[e] = f; };
exports.connect = function (ssid, o, cb) { setTimeout(function () { if (cb) cb(null); if (l.connected) l.connected({ ip: "127.0.0.1" }); }, 10); };`,
  DHT22: `exports.connect = function (pin) { return { read: function (cb) { setTimeout(function () {
  var t = Date.now() / 60000; cb({ temp: 21 + Math.sin(t) * 2, rh: 45 + Math.cos(t) * 5 }); }, 50); } }; };`,
  BME280: `exports.connect = function (i2c) { return { getData: function () {
  var t = Date.now() / 90000; return { temp: 20 + Math.sin(t), pressure: 1013 + Math.cos(t) * 3, humidity: 50 + Math.sin(t) * 4 }; } }; };`,
  DS18B20: `exports.connect = function (ow) { return { getTemp: function (cb) { setTimeout(function () { cb(17 + Math.sin(Date.now() / 120000)); }, 20); } }; };`,
};

// The REPL lines that store the stand-ins and node.json, then flash and boot the node. `bundle` is bytes
// (read as latin1); `after` is code appended to the boot code (e.g. a memory probe).
export function nodeLines(bundle, config, after = '') {
  const lines = Object.entries(STAND_INS).map(([name, code]) => `require("Storage").write(${JSON.stringify(name)}, ${JSON.stringify(code)});`);
  lines.push(`require("Storage").write("node.json", ${JSON.stringify(JSON.stringify(config))});`);
  return lines.concat(bootLines(`${bundle}\n${after}`));
}

// The sensor modules a node loads, each with code that loads and connects it as the node's drivers do.
export const SENSOR_MODULES = {
  DHT22: 'require("DHT22").connect(4)',
  BME280: 'var i=new I2C();i.setup({sda:12,scl:13});try{require("BME280").connect(i)}catch(e){}',
  DS18B20: 'try{require("DS18B20").connect(new OneWire(5))}catch(e){}',
};

// A module's blocks once loaded from Storage (as an upload leaves it) and connected, on the interpreter
// `bin`: `code` is its text (the real module, minified), or omitted for the stand-in the node runs with
// here. null when the run gave no figure.
export async function moduleBlocks(bin, name, code) {
  const box = scratch();
  const lines = [`require("Storage").write(${JSON.stringify(name)}, ${JSON.stringify(code == null ? STAND_INS[name] : code)});`, 'load();', 'var m0=process.memory().usage;', `${SENSOR_MODULES[name]};console.log("@"+"@module "+(process.memory().usage-m0));`, 'console.log("@"+"@done")'];
  const r = await run(bin, box.dir, lines, 15000);
  box.remove();
  const m = r.marks.find((x) => x[0] === 'module');
  return m ? Number(m[1]) : null;
}
