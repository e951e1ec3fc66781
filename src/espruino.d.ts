// Defined (true) by the build of the Espruino bundles, where strings are 8-bit: see src/codec/strings.ts.
declare const BYTE_STRINGS: boolean;
// The MQTT 5.0 build switch: true in dist/espruino-mqtt5.js, the v5 board bundles and dist/host.cjs, false in
// the 3.1.1 builds, where the compiler removes every branch it guards (rollup.config.mjs).
declare const MQTT5: boolean;
// True in the library bundles (dist/espruino-mqtt*.js) and dist/host.cjs, false in the firmware bundles. Where a
// message-path call is written `KEEP_HOT_CALLS ? /*#__NOINLINE__*/ f(..) : f(..)`, the library keeps it a call:
// a function the compiler inlines becomes a closure, which the interpreter makes anew on every call, or reads
// past token by token when its branch is skipped (20-40 us a message on the board, bench/espruino-profile.mjs).
// A top-level function costs about 4 blocks and 1 per parameter: the firmware, whose node sends a reading
// every few seconds, keeps the 30-odd blocks instead (bench/memory-node.mjs).
declare const KEEP_HOT_CALLS: boolean;
// False in the firmware of a board without TLS (the ESP8266: boards/*.json "tls"), where scripts/node-config.mjs
// refuses mqtts:// and wss://: the transport's TLS code (a PEM reader, a function's blocks) is left out.
declare const TLS: boolean;
// The other way round, `/*@__INLINE__*/ f(..)` where f runs only while connecting (the outbox, a server's
// endpoint) or once a reading (a value's text): the compiler puts f into its caller, so that on the board it
// costs RAM only while it runs, not its 4-6 blocks for good. Never on the message path, where the closure it
// becomes would be made for every message, nor where f makes a closure that lives on (a pin watch): that one
// would keep the caller's scope alive (measured: 11 blocks more than the function saves).
// The parts of Espruino's global API that src/ calls where it exists (checked with typeof first).
declare const E: {
  toUint8Array(...args: unknown[]): Uint8Array;
  toString(...args: unknown[]): string;
  on(event: string, fn: () => void): void;
};
declare const console: { log(...args: unknown[]): void };
declare function require(name: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare function setTimeout(fn: (a?: any, b?: any) => void, ms: number, a?: unknown, b?: unknown): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
declare function clearTimeout(id: unknown): void;
declare function getSerial(): string;
declare function btoa(s: string): string; // Espruino and Node 20 both have them
declare function atob(s: string): string;
interface EspruinoSocket {
  on(ev: string, fn: (...a: never[]) => void): void;
  write(data: string): boolean;
  end(): void;
}
// Node's Buffer, used only where it exists (typeof check) to hand host users a familiar payload.
declare const Buffer: { from(u8: Uint8Array | string, encoding?: 'latin1'): Uint8Array } | undefined;
// Pins and buses, for the drivers (src/drivers/): pins are GPIO numbers.
declare function digitalWrite(pin: number, value: number): void;
declare function digitalRead(pin: number): number;
declare function analogRead(pin: number): number;
declare function analogWrite(pin: number, value: number, opts?: { freq?: number }): void;
declare function pinMode(pin: number, mode: string): void;
declare function setWatch(fn: (e: { state: boolean }) => void, pin: number, opts: object): unknown;
declare function setInterval(fn: (a: any, b?: any) => void, ms: number, a?: unknown, b?: unknown): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
declare class I2C {
  setup(opts: { sda?: number; scl?: number }): void;
}
declare class OneWire {
  constructor(pin?: number);
}
declare function clearInterval(id: unknown): void;
