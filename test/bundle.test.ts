// The built bundles (npm test builds them first) are what a board runs: check them as the board would.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { createClient } from '../src/client/client';
import { fakeClock } from './helpers/clock';
import { mockTransport } from './helpers/mock-transport';
import { forbiddenIn } from './helpers/forbidden';
import { useBeforeDefinition } from './helpers/hoisting';
import { parse } from 'acorn';
import { createSandbox } from '../scripts/sandbox.mjs';

const bundles = readdirSync('dist').filter((f) => f.endsWith('.js'));
// the library and each board's firmware, each in a TCP build and a build with WebSocket as well
const BUNDLES = ['', '-ws']
  .flatMap((ws) => [`esp32${ws}.js`, `esp8266${ws}.js`, `esp32${ws}-sparkplug.js`, `esp8266${ws}-sparkplug.js`, `espruino-mqtt${ws}.js`, `espruino-mqtt${ws}-boot.js`])
  .concat(['espruino-mqtt5.js', 'esp32-mqtt5.js', 'esp32-sparkplug-mqtt5.js', 'esp8266-mqtt5.js', 'esp8266-sparkplug-mqtt5.js']);
const sizes = JSON.parse(readFileSync('dist/sizes.json', 'utf8'));

describe('the built bundles', () => {
  it('exist for the library and for each board, with their sizes recorded', () => {
    expect(bundles.sort()).toEqual(BUNDLES.slice().sort());
    for (const f of bundles) expect(sizes[f].bytes).toBe(readFileSync(`dist/${f}`).length);
  });

  it('hold MQTT 5.0 only in the v5 builds (a build switch, not a runtime one)', () => {
    for (const f of bundles) expect(readFileSync(`dist/${f}`, 'latin1').includes('payloadFormatIndicator'), f).toBe(f.includes('mqtt5'));
  });

  it("hold TLS code only where the board has TLS (boards/*.json tls; the library bundles for any board)", () => {
    for (const f of bundles) {
      const board = f.startsWith('esp') && !f.startsWith('espruino') ? JSON.parse(readFileSync(`boards/${f.split(/[-.]/)[0]}.json`, 'utf8')) : { tls: true };
      expect(readFileSync(`dist/${f}`, 'latin1').includes('"tls"'), f).toBe(board.tls);
    }
  });

  it('are ES5 (es-check)', () => {
    expect(() => execFileSync('node_modules/.bin/es-check', ['es5', ...bundles.map((f) => `dist/${f}`)], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(bundles)('%s uses nothing Espruino lacks or mangles', (file) => {
    expect(forbiddenIn(readFileSync(`dist/${file}`, 'utf8'))).toEqual([]);
  });

  it.each(bundles)('%s uses nothing before its definition ran (Espruino does not hoist)', (file) => {
    expect(useBeforeDefinition(readFileSync(`dist/${file}`, 'utf8'))).toEqual([]);
  });

  it.each(bundles)('%s declares no top-level name that the board already has', (file) => {
    // board bundles run as top-level boot code: their names are globals beside Espruino's own
    const taken = /^([A-Z][0-9]+|E|reset|load|save|print|edit|dump|require|getSerial|setTimeout|setInterval|clearTimeout|clearInterval|setWatch|digitalWrite|digitalRead|analogRead|analogWrite|Pin|Serial\d|I2C\d|SPI\d|LED\d?|BTN\d?|process|console|global|Wifi|Storage|Modules)$/;
    const program = parse(readFileSync(`dist/${file}`, 'utf8'), { ecmaVersion: 5, sourceType: 'script' }) as unknown as { body: { type: string; id?: { name: string }; declarations?: { id: { name: string } }[] }[] };
    const names = program.body.flatMap((n) => (n.type === 'FunctionDeclaration' ? [n.id!.name] : n.type === 'VariableDeclaration' ? n.declarations!.map((d) => d.id.name) : []));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => taken.test(n))).toEqual([]);
  });

  it('the hoisting check catches what the interpreter rejects, and passes what it runs', () => {
    const bad = [
      'function outer(){ var o = { f: inner }; function inner(){} }', // seen on the interpreter: "inner" is not defined
      'function f(){ return g(1); var g; }',
      'exports.c = function(r){ return (e = require, e(r)); var e; };', // terser's inlining, seen overwriting an outer e
      'var a = b(); function b(){ return c; } var c = 1;',
      '!function(){ x(); }(); function x(){}',
      'function s(){ arm(); function arm(){ t = 1; } var t; }',
      // terser's merge of two loop variables, seen clobbering an outer function y on the interpreter
      'function y(){} function p(i,b){ if (i) for (var y = 0; y < b; y++); else for (y = 0; y < b; y++); }',
    ];
    for (const code of bad) expect(useBeforeDefinition(code).length, code).toBeGreaterThan(0);
    const good = [
      'function outer(){ function inner(){} var o = { f: inner }; }',
      'function a(){ return b(); } function b(){ return 1; } a();',
      'var later = function(){ return v; }; var v = 1; later();',
      'function s(){ function arm(){ return t; } var t = 1; arm(); }',
      'function cb(){ setTimeout(function(){ z(); }, 0); } function z(){}',
      'function p(i){ var y; if (i) y = 1; else y = 2; return y; }',
      'function p(i){ if (i) { var y = 1; } else { var y = 2; } return y; }',
    ];
    for (const code of good) expect(useBeforeDefinition(code), code).toEqual([]);
  });

  it('the forbidden-construct check catches each construct it names', () => {
    for (const bad of ['Array.prototype.slice.call(a)', 'new Map()', 'Symbol.iterator', 'Object.freeze(o)', 'Array.from(x)', '__extends(B,A)', '__spreadArray([],a)', '"\\u20ac"', 'e.once("x",f)', 'for(function(r){f(r)}(r),x;c;)g()']) {
      expect(forbiddenIn(bad).length, bad).toBeGreaterThan(0);
    }
    expect(forbiddenIn('var a=[].slice.call(x);new Uint8Array(4)')).toEqual([]);
  });

  it('the library bundle loads as a CommonJS module whose connect() speaks MQTT', () => {
    // in the Espruino-like realm: the bundle is built for 8-bit strings and the interpreter's own methods
    const lib = createSandbox().require('espruino-mqtt') as { connect: typeof createClient };
    const module = { exports: lib };
    const clock = fakeClock();
    const mock = mockTransport();
    const client = module.exports.connect({ host: 'h', clientId: 'bundle', transport: mock.transport, clock });
    clock.advance(0);
    mock.last().connack();
    expect(client.connected).toBe(true);
    client.publish('a/b', 'hi', { qos: 1 });
    expect(mock.last().take('publish')).toEqual([expect.objectContaining({ topic: 'a/b', qos: 1, messageId: 1 })]);
  });
});

describe('the static budget of the bundles (boards/bundles.json)', () => {
  // What CI can see of the board's cost: bytes, top-level functions and parameters. A change that grows a
  // bundle must say so by updating the record; a gain is recorded so that it is kept.
  const budget = JSON.parse(readFileSync('boards/bundles.json', 'utf8'));
  for (const f of BUNDLES) {
    it(`${f} is within its recorded bytes, functions and parameters`, () => {
      for (const k of ['bytes', 'functions', 'params']) {
        const now = sizes[f][k];
        const was = budget[f][k];
        expect(now, `${f} ${k}: ${now} > ${was} recorded in boards/bundles.json`).toBeLessThanOrEqual(was);
        expect(now, `${f} ${k}: ${now}, well under ${was}: record the gain in boards/bundles.json`).toBeGreaterThanOrEqual(Math.floor(was * 0.98));
      }
    });
  }
});

describe('the sources', () => {
  // A "\xe9" in source is one byte on the board but U+00E9 (two UTF-8 bytes once encoded) on the host:
  // binary must be built from numbers, text written as itself.
  it('hold no string escapes for bytes above 0x7F', () => {
    const files = ['src', 'boards'].flatMap((d) => readdirSync(d, { recursive: true, encoding: 'utf8' }).map((f) => `${d}/${f}`)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/\\x[89a-fA-F][0-9a-fA-F]|\\u00[89a-fA-F][0-9a-fA-F]/);
  });
});
