import { led, ledOn, name, outboxBytes, outboxMessages, rxBuffer, txBuffer } from './esp32.json';
import { start } from './start';

// ESP32 (classic): the firmware entry. Pins, budgets and buffer sizes live in esp32.json, which the build
// scripts read too.
start({ name: name, led: led, ledOn: ledOn, rxBuffer: rxBuffer, txBuffer: txBuffer, outboxBytes: outboxBytes, outboxMessages: outboxMessages });
