// The parts of Espruino's global API that src/ calls where it exists (checked with typeof first).
declare const E: {
  toUint8Array(...args: unknown[]): Uint8Array;
  toString(...args: unknown[]): string;
};
declare const console: { log(...args: unknown[]): void };
declare function require(name: string): { connect(opts: object, cb: () => void): unknown };
declare function setTimeout(fn: (arg: any) => void, ms: number, arg?: unknown): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
declare function clearTimeout(id: unknown): void;
declare function getSerial(): string;
interface EspruinoSocket {
  on(ev: string, fn: (...a: never[]) => void): void;
  write(data: string): boolean;
  end(): void;
}
// Node's Buffer, used only where it exists (typeof check) to hand host users a familiar payload.
declare const Buffer: { from(u8: Uint8Array): Uint8Array } | undefined;
