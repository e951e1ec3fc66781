// Runs code on the real Espruino interpreter (the Linux build), for checks and measurements outside npm test.
// ESPRUINO_BIN names one or more interpreter binaries (comma-separated), e.g. builds with the ESP32 and the
// ESP8266 block counts. The project ships none: build one from Espruino's own repository (see README).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function interpreters() {
  const list = (process.env.ESPRUINO_BIN || '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) {
    console.error(
      "ESPRUINO_BIN is not set. Build the Espruino Linux interpreter from Espruino's own repository (espruino/Espruino:" +
        '\n' +
        '`make BOARD=LINUX`; for board-sized memory give the board file a fixed `variables` count, 16383 for ESP32\n' +
        'or 1600 for ESP8266, and drop ESPR_UNICODE_SUPPORT so strings are 8-bit as on the boards; for the\n' +
        "ESP8266's 12-byte blocks build it 32-bit: CFLAGS+=-m32 LDFLAGS+=-m32 -DUSE_CALLFUNCTION_HACK, with\n" +
        'gcc-multilib and g++-multilib), then\n' +
        'ESPRUINO_BIN=/path/espruino_esp32,/path/espruino_esp8266 npm run test:espruino',
    );
    process.exit(2);
  }
  for (const bin of list) {
    if (!existsSync(bin)) {
      console.error(`ESPRUINO_BIN: no such file: ${bin}`);
      process.exit(2);
    }
  }
  return list;
}

// A scratch directory with the library where require() finds it, and an empty flash file of its own.
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'espruino-mqtt-'));
  mkdirSync(join(dir, 'node_modules'));
  copyFileSync('dist/espruino-mqtt.js', join(dir, 'node_modules', 'espruino-mqtt.js'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// Starts the interpreter in `dir`, types `lines` into its REPL one at a time (each waits for the prompt's
// echo), and collects every output line that starts with "@@" as [key, ...values]. Resolves when the
// interpreter prints "@@done", exits, or `ms` pass; the process is always ended. onMark sees each as it comes;
// control.stop() (set here) ends it early, and control.type(line) types a line into its REPL.
export function run(bin, dir, lines, ms = 30000, onMark = () => {}, control = {}) {
  return new Promise((resolve) => {
    const child = spawn(bin, [], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    const marks = [];
    let out = '';
    let finished = false;
    const finish = (why) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ marks, why, output: out });
    };
    const timer = setTimeout(() => finish('timeout'), ms);
    control.stop = () => finish('stopped');
    control.type = (line) => !finished && child.stdin.write(line + '\n');
    let pending = '';
    child.stdout.on('data', (d) => {
      out += d.toString('latin1');
      pending += d.toString('latin1');
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).replace(/\x1b\[[0-9;]*[A-Za-z]|\r/g, '');
        pending = pending.slice(nl + 1);
        // nothing good follows these: stop at once rather than wait out the time limit
        if (/OUT OF MEMORY|^Uncaught /.test(line)) return finish(line.trim());
        const at = line.indexOf('@@');
        if (at < 0) continue;
        const parts = line.slice(at + 2).trim().split(/\s+/);
        if (parts[0] === 'done') return finish('done');
        marks.push(parts);
        onMark(parts[0], parts.slice(1).join(' '));
      }
    });
    child.stderr.on('data', (d) => (out += d.toString('latin1')));
    child.on('exit', () => finish('exit'));
    child.stdin.on('error', () => {});
    // Typed slowly enough for the REPL; stdin stays open afterwards (closing it ends the interpreter).
    let i = 0;
    const typeNext = () => {
      if (finished || i >= lines.length) return;
      child.stdin.write(lines[i++] + '\n');
      setTimeout(typeNext, 15);
    };
    setTimeout(typeNext, 200);
  });
}

// REPL lines that store `code` as boot code in the interpreter's flash, in chunks small enough for an
// ESP8266-sized heap, then reboot into it. Boot code runs at top level from flash, as on a board.
// `code` holds bytes (read the bundle as latin1): a UTF-8 source's "°" is two characters, sent as \xHH.
export function bootLines(code) {
  const lines = ['var S=require("Storage");'];
  const size = 1000;
  if (/[^\x00-\xff]/.test(code)) throw new Error('bootLines: code must be bytes (read it as latin1)');
  for (let off = 0; off < code.length; off += size) {
    const chunk = JSON.stringify(code.slice(off, off + size)).replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
    lines.push(off ? `S.write(".bootcde",${chunk},${off});` : `S.write(".bootcde",${chunk},0,${code.length});`);
  }
  lines.push('load();');
  return lines;
}
