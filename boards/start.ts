import { Board } from './board';
import { createReader } from '../src/codec/index';

// The board entry for now: allocates the board's codec buffers and reports them. The sensor node replaces it.
export function start(board: Board): void {
  let packets = 0;
  const reader = createReader(
    board.rxBuffer,
    function () {
      packets++;
    },
    function (code) {
      console.log('espruino-mqtt: malformed input, code ' + code);
    },
  );
  reader.push(new Uint8Array([0xd0, 0])); // a PINGRESP, to prove the decoder runs on this board
  console.log('espruino-mqtt on ' + board.name + ': rx ' + board.rxBuffer + ' B, tx ' + board.txBuffer + ' B, ' + packets + ' packet decoded');
}
