import { led, ledOn, name, outboxBytes, outboxMessages, rxBuffer, txBuffer } from './esp8266.json';
import { start } from './start';

// ESP8266: the firmware entry. Pins, budgets and buffer sizes live in esp8266.json, which the build
// scripts read too.
start({ name: name, led: led, ledOn: ledOn, rxBuffer: rxBuffer, txBuffer: txBuffer, outboxBytes: outboxBytes, outboxMessages: outboxMessages });
