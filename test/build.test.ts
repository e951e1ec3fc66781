// scripts/build.mjs: npm start says what the build is doing; bench, fuzz and reliability build only when a
// source is newer than what was built (npm test built everything just before the tests).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runScript } from './helpers/run-script';

describe('the build for the other commands', () => {
  it('does nothing, silently, when what was built is newer than every source', async () => {
    const started = Date.now();
    const { code, out } = await runScript('build.mjs', ['--if-stale', '--steps']);
    expect(code, out).toBe(0);
    expect(out).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('is what bench, fuzz and reliability run first, not the whole build with its printout', () => {
    const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts;
    for (const name of ['bench', 'bench:memory', 'bench:espruino', 'fuzz', 'reliability']) expect(scripts[name]).toMatch(/^node scripts\/build\.mjs --if-stale --quiet && /);
  });
});
