// One minified ES5 file per target: the library as an Espruino module, and one self-contained bundle per board.
import typescript from '@rollup/plugin-typescript';
import terser from '@rollup/plugin-terser';
import json from '@rollup/plugin-json';
import { readFileSync } from 'node:fs';
import { coldFunctions } from './scripts/cold-functions.mjs';

// a board's definition (boards/<board>.json) by its bundle's name
const boardJson = (name) => JSON.parse(readFileSync(`boards/${name.split('-')[0]}.json`, 'utf8'));

const RESERVED = ['E'];
for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') for (let d = 0; d < 10; d++) RESERVED.push(letter + d);

const terserOptions = {
  ecma: 5,
  // inline: 1 (no inlining of functions with arguments): the higher levels turn parameters into a `var`
  // declared after its first use, which the interpreter, having no hoisting, resolves to an outer binding.
  // test/bundle.test.ts checks every bundle for any use before definition.
  // BYTE_STRINGS: these bundles run only where strings are 8-bit (src/codec/strings.ts).
  // keep_fargs: false drops a parameter that only a removed MQTT 5 branch used (none is unused otherwise).
  // sequences: false keeps statements apart, so an if with several statements stays a block: the interpreter
  // skips a block not taken by its tokens, but parses an expression not taken (`a&&(b,c)`) as it would run
  // it, about twice the cost a token (issue 13's twenty-first session: 1-3% less on every row of
  // bench/espruino-ab.mjs, 243-442 B more a bundle). conditionals: false as well made the library 40 KB and
  // every row 2-3% slower.
  compress: { passes: 3, pure_getters: true, inline: 1, keep_fargs: false, sequences: false, global_defs: { BYTE_STRINGS: true, MQTT5: false, KEEP_HOT_CALLS: true, TLS: true } },
  // Internal state fields are named _x in src/ and mangled to a letter or two: on Espruino every property
  // name is RAM in each object that has it. Public names (options, API, events, packets) are kept.
  // Board bundles run as top-level boot code, where mangled names are globals: never one the board has
  // (E, pins such as D2 or A0).
  mangle: { properties: { regex: /^_/ }, reserved: RESERVED },
  // Espruino strings are 8-bit: non-ASCII must stay as its UTF-8 bytes, never as \u escapes.
  format: { ascii_only: false, comments: false },
};

// The functions that run when connecting, subscribing, failing or building a reading's payload, never on an
// MQTT message's way through the client, merged into one function a group in every board bundle
// (scripts/cold-functions.mjs: on the board each function holds RAM for good; a call into a group reads all
// its text). Names as rollup emits them; one a bundle lacks is passed over.
const COLD = [
  { name: 'coldConnection', functions: ['encodeConnect', 'putPrefixed', 'writeConnect', 'onConnack', 'finish', 'arm', 'der', 'compact', 'measured', 'upgrade', 'answered'] },
  { name: 'coldRequests', functions: ['encodeSubscribe', 'filterBytes', 'forget', 'request', 'sendRequests', 'onSuback', 'encodeRequest', 'writeRequest'] },
  { name: 'coldErrors', functions: ['mqttError', 'refuse', 'makeRoom', 'reportDrop', 'failStream'] },
  { name: 'coldNode', functions: ['watchDigital', 'quantities', 'drive', 'report', 'fault', 'readMetrics'] },
  { name: 'coldPayload', functions: ['putMetric', 'metricAt', 'quantityCount', 'roundValue', 'nextField', 'getVarint', 'putHead'] },
  { name: 'cold5', functions: ['reasonError', 'unsendable', 'bye', 'waitLong', 'encodeEmpty', 'expire', 'connack5', 'refusedAck', 'unsubscribed', 'serverDisconnect', 'goodbye', 'farewell'] },
];

// The sensor-node firmware's message path as well, merged in its bundles only (dist/<board>*.js, built with
// KEEP_HOT_CALLS false): a node publishes a reading every few seconds at most, where the library exists to
// move messages. Measured on the interpreter (issue 13's twentieth session; README "Building"): the ESP8266
// firmware 855 -> 773 blocks connected (12-byte build), while its client's QoS 0 publish and QoS 0 receive
// cost about 50 us more each, and a QoS 1 publish with its PUBACK about 100 (the library is untouched). The
// rest of its functions are methods or callbacks, used as values. (The library exports matchTopic: in its
// bundles it is a value.)
const FIRMWARE = [
  { name: 'firmRead', functions: ['utf8Error', 'topicError', 'complete', 'headerError', 'next', 'quick'] },
  { name: 'firmSend', functions: ['putHeader', 'shift', 'remove', 'send', 'nextId', 'pump', 'dispatch', 'matchTopic', 'flush', 'emit'] },
];

// KEEP_HOT_CALLS (src/espruino.d.ts): true for the library bundles, false for the firmware's. TLS: false for
// the firmware of a board without it (boards/*.json "tls"), whose node.json may not name mqtts:// or wss://.
function plugins(mqtt5 = false, hotCalls = true, tls = true) {
  const options = { ...terserOptions, compress: { ...terserOptions.compress, global_defs: { BYTE_STRINGS: true, MQTT5: mqtt5, KEEP_HOT_CALLS: hotCalls, TLS: tls } } };
  return [typescript({ tsconfig: './tsconfig.json', noEmitOnError: true, outputToFilesystem: false }), coldFunctions(hotCalls ? COLD : COLD.concat(FIRMWARE), options.compress), terser(options)];
}

// A missing import or a TypeScript helper pulled from tslib means code the board cannot run: fail the build.
// The client's files call one another (the session pumps the outbox, the outbox ends the session): cycles
// of function calls, harmless in one bundle scope where no top-level statement calls across them (the
// hoisting check in test/bundle.test.ts proves it), so those alone are allowed.
function onwarn(warning) {
  if (warning.code === 'CIRCULAR_DEPENDENCY' && warning.ids.every((id) => id.includes('/src/client/'))) return;
  throw new Error(`rollup: ${warning.message}`);
}

// The variants of a board bundle (boards/start.ts imports src/index and src/node/node): -ws has the
// library's WebSocket build in place of its TCP one, -sparkplug the Sparkplug B edge node in place of the
// Home Assistant one, -mqtt5 the MQTT 5.0 client (node.json "mqtt": {"version": 5}; not over WebSocket).
// npm run flash picks by node.json (scripts/node-config.mjs firmwareFile).
function variant(name) {
  const ws = name.includes('-ws');
  const sparkplug = name.includes('-sparkplug');
  return {
    name: 'board-variant',
    async resolveId(source, importer, opts) {
      const r = await this.resolve(source, importer, { ...opts, skipSelf: true });
      if (r && ws && r.id.endsWith('/src/index.ts')) return r.id.replace(/index\.ts$/, 'index-ws.ts');
      if (r && sparkplug && r.id.endsWith('/src/node/node.ts') && importer.endsWith('/boards/start.ts')) return r.id.replace(/node\.ts$/, 'sparkplug.ts');
      return r;
    },
  };
}

export default [
  ...['', '-ws'].map((ws) => ({
    input: `src/index${ws}.ts`,
    output: { file: `dist/espruino-mqtt${ws}.js`, format: 'cjs', esModule: false, strict: false, generatedCode: 'es5' },
    plugins: plugins(),
    onwarn,
  })),
  {
    // The same library with MQTT 5.0 (connect({ protocolVersion: 5 })) as well as 3.1.1.
    input: 'src/index.ts',
    output: { file: 'dist/espruino-mqtt5.js', format: 'cjs', esModule: false, strict: false, generatedCode: 'es5' },
    plugins: plugins(true),
    onwarn,
  },
  {
    // For Node tools and benchmarks: the same client with Node's net/tls; readable, not for boards.
    input: 'src/host.ts',
    output: { file: 'dist/host.cjs', format: 'cjs', esModule: false, generatedCode: 'es5', intro: 'var MQTT5 = true, KEEP_HOT_CALLS = true, TLS = true;' },
    plugins: [json({ preferConst: true, compact: true }), typescript({ tsconfig: './tsconfig.json', noEmitOnError: true, outputToFilesystem: false })],
    onwarn,
  },
  ...['esp32', 'esp8266'].flatMap((b) => ['', '-ws', '-sparkplug', '-ws-sparkplug', '-mqtt5', '-sparkplug-mqtt5'].map((v) => b + v)).map((name) => ({
    input: `boards/${name.split('-')[0]}.ts`,
    // A plain top-level script, no wrapper: stored as boot code, top-level functions stay in flash, while
    // a function inside another (an IIFE wrapper) is copied into RAM when the wrapper runs.
    output: { file: `dist/${name}.js`, format: 'es', strict: false, generatedCode: 'es5' },
    // board definitions are JSON (read by the build scripts too); only the fields imported are bundled
    plugins: [variant(name), json({ preferConst: true, compact: true }), ...plugins(name.endsWith('-mqtt5'), false, boardJson(name).tls)],
    onwarn,
  })),
];
