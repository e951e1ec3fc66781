import { Board } from './board';
import { start } from './start';

// ESP8266 (4 MB flash): 1600 blocks of 12 bytes, no TLS; the blue LED on GPIO2 (NodeMCU, Wemos D1 mini).
const ESP8266: Board = { name: 'ESP8266', blocks: 1600, blockSize: 12, tls: false, led: 2, rxBuffer: 256, txBuffer: 256 };

start(ESP8266);
