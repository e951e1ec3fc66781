// What the Espruino interpreter lacks or mangles (../shared/ESPRUINO.md), as patterns over minified output.
export const FORBIDDEN: [RegExp, string][] = [
  [/Array\.prototype\.\w+/, 'Array.prototype.* reads as undefined on Espruino'],
  [/\b(Map|Set|WeakMap|WeakSet|Proxy|TextEncoder|TextDecoder)\b/, 'a global Espruino does not have'],
  [/\b(Symbol|Reflect)\b/, 'a global Espruino does not have'],
  [/Object\.(freeze|seal|entries|values|fromEntries)\b/, 'an Object function Espruino does not have'],
  [/Array\.(from|of)\b/, 'Array.from/of do not exist on Espruino'],
  [/Math\.(trunc|imul|sign|log2|hypot)\b/, 'a Math function Espruino does not have'],
  [/Number\.(isInteger|isNaN|isFinite|isSafeInteger|EPSILON)\b/, 'a Number member Espruino does not have'],
  [/\.codePointAt\(|\.finally\(|\.once\(/, 'a method Espruino does not have'],
  [/__extends|__spreadArray|__assign|__awaiter|__generator|__read|__values/, 'a TypeScript helper that breaks or bloats on the board'],
  // Espruino strings are 8-bit: a \u escape is truncated to one byte, so text must ship as UTF-8 bytes.
  [/\\u[0-9a-fA-F]{4}|\\u\{/, 'a \\u escape, truncated to one byte on Espruino'],
  // Measured on 2v29: `for(function(r){...}(r),x;c;)` is a SyntaxError ("Got '(' expected ID"), raised only
  // when that function runs; terser makes it when it inlines a single-use function into a loop's init.
  [/for\(function\b/, 'a function expression opening a for-loop init, which Espruino cannot parse'],
];

export function forbiddenIn(code: string): string[] {
  const found: string[] = [];
  for (const [pattern, why] of FORBIDDEN) {
    const m = code.match(pattern);
    if (m) found.push(`${m[0]}: ${why}`);
  }
  return found;
}
