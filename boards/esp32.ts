import { Board } from './board';
import { start } from './start';

// ESP32 (classic, ESP-IDF 3): up to 16383 blocks of 14 bytes, mbedTLS available; LED on GPIO2 on most
// DevKit boards.
const ESP32: Board = { name: 'ESP32', blocks: 16383, blockSize: 14, tls: true, led: 2, rxBuffer: 1024, txBuffer: 1024 };

start(ESP32);
