import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
// @ts-expect-error: a build script, plain JavaScript
import { mergeCold } from '../scripts/cold-functions.mjs';

// scripts/cold-functions.mjs: the board bundles' cold functions merged into one function a group. The
// bundles themselves run merged in every sandbox and interpreter test; these pin down its rules.
const run = (code: string): unknown => runInNewContext(`${code}\nout`, {});
const group = (functions: string[]) => [{ name: 'cold', functions }];

describe('merging cold functions (scripts/cold-functions.mjs)', () => {
  it('gives the same results, each call redirected to its block', () => {
    const src = `
      var base = 100;
      function add(a, b) { var sum = a + b; return sum + base; }
      function twice(x) { return add(x, x); }
      function fact(n) { return n <= 1 ? 1 : n * fact(n - 1); }
      function hot(n) { return twice(n) + fact(n); }
      var out = [add(1, 2), twice(3), fact(5), hot(4)];`;
    const merged = mergeCold(src, group(['add', 'twice', 'fact']));
    expect(merged).not.toMatch(/function (add|twice|fact)\b/);
    expect(merged).toMatch(/function cold\(\$ck,\$c0,\$c1\)/);
    expect(merged).toContain('function hot(n)');
    expect(run(merged)).toEqual(run(src));
  });

  it("keeps each function's names its own: a local of one never hides a top-level name another uses", () => {
    // merged, `var base` of first would be the group's local and hide the top-level base from second
    const src = `
      var base = 7;
      function first(a) { var base = a * 2; return base; }
      function second(a) { return a + base; }
      var out = [first(5), second(1)];`;
    const merged = mergeCold(src, group(['first', 'second']));
    expect(run(merged)).toEqual([10, 8]);
  });

  it('renames a parameter only where it is that function\'s, not in a nested function that declares it again', () => {
    const src = `
      function outer(a, f) { var g = function (a) { return a * 10; }; return g(a + 1) + f(a); }
      function other(a) { return a; }
      var out = outer(1, function (a) { return a + 100; }) + other(1000);`;
    const merged = mergeCold(src, group(['outer', 'other']));
    expect(run(merged)).toBe(run(src));
    expect(run(merged)).toBe(20 + 101 + 1000);
  });

  it('leaves a call alone where a local of the same name hides the merged function', () => {
    const src = `
      function a1() { return 1; }
      function a2() { return 2; }
      function user(a1) { return a1(); }
      var out = [a1(), a2(), user(function () { return 3; })];`;
    expect(run(mergeCold(src, group(['a1', 'a2'])))).toEqual([1, 2, 3]);
  });

  it('refuses a function used as a value, one that reads `this` or `arguments`, and an ambiguous name', () => {
    const value = 'function a(){return 1} function b(){return 2} var out = [a].map(function (f) { return f(); });';
    expect(() => mergeCold(value, group(['a', 'b']))).toThrow('a is used as a value');
    const self = 'function a(){return this} function b(){return 2} var out = b();';
    expect(() => mergeCold(self, group(['a', 'b']))).toThrow('a uses this');
    const args = 'function a(){return arguments.length} function b(){return 2} var out = b();';
    expect(() => mergeCold(args, group(['a', 'b']))).toThrow('a uses arguments');
    const renamed = 'function a(){return 1} function a$1(){return 2} function b(){return 3} var out = b();';
    expect(() => mergeCold(renamed, group(['a', 'b']))).toThrow('a is ambiguous');
  });

  it('passes over names the bundle lacks, and makes no group of fewer than two', () => {
    const src = 'function a(){return 1} function b(){return 2} var out = a() + b();';
    expect(mergeCold(src, group(['a', 'missing']))).toBe(src);
    const merged = mergeCold(src, group(['a', 'b', 'missing']));
    expect(merged).toContain('function cold(');
    expect(run(merged)).toBe(3);
  });

  it('merges each group on its own, calls between groups included', () => {
    const src = `
      function a(x) { return b(x) + 1; } function b(x) { return x * 2; }
      function c(x) { return a(x) * 10; } function d(x) { return c(x) + b(x); }
      var out = [a(1), b(2), c(3), d(4)];`;
    const merged = mergeCold(src, [{ name: 'g1', functions: ['a', 'b'] }, { name: 'g2', functions: ['c', 'd'] }]);
    expect(merged).toMatch(/function g1\(/);
    expect(merged).toMatch(/function g2\(/);
    expect(run(merged)).toEqual(run(src));
  });
});
