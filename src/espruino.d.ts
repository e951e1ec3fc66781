// The parts of Espruino's global API that src/ calls where it exists (checked with typeof first).
declare const E: {
  toUint8Array(...args: unknown[]): Uint8Array;
  toString(...args: unknown[]): string;
};
declare const console: { log(...args: unknown[]): void };
