// A sensor node without hardware: the board bundle in the Espruino sandbox (scripts/sandbox.mjs) with its
// node.json in Storage and sensors whose values drift, as `npm start` and `npm run hil -- --simulate` use it.
import { firmwareFile } from './node-config.mjs';
import { createSandbox } from './sandbox.mjs';

// beforeLoad(box): called with the sandbox before the firmware runs (to watch its sockets, say)
export function simulateNode(board, config, serial = '3c71bf0a1b2c', { beforeLoad } = {}) {
  const box = createSandbox({ board: board === 'esp8266' ? 'ESP8266' : 'ESP32', serial, storage: { 'node.json': JSON.stringify(config) } });
  const t0 = Date.now();
  const drift = () => {
    const t = (Date.now() - t0) / 20000;
    for (const s of config.sensors) {
      if (s.type === 'dht22') box.sensors[s.pin] = { temp: 21 + 2 * Math.sin(t), rh: 45 + 5 * Math.cos(t) };
      if (s.type === 'ds18b20') box.sensors[s.pin] = 17 + Math.sin(t / 2);
      if (s.type === 'bme280') box.sensors[s.sda] = { temp: 20 + Math.sin(t), pressure: 1013 + 3 * Math.cos(t), humidity: 50 + 4 * Math.sin(t) };
      if (s.type === 'analog') box.pins.analog[s.pin] = 0.62 - 0.01 * t;
    }
  };
  drift();
  const timer = setInterval(drift, 1000);
  if (beforeLoad) beforeLoad(box);
  box.load(firmwareFile(config, board));
  return {
    box,
    id: config.id || `esp${serial}`,
    // an orderly shutdown (what a reset does first)
    shutdown: () => box.kill(),
    // power gone at once: no goodbye, nothing runs any more
    cut: () => box.close(),
    close() {
      clearInterval(timer);
      box.close();
    },
  };
}
