// What a board entry tells the firmware about its hardware and its RAM budget.
export interface Board {
  name: string;
  blocks: number; // Espruino variable blocks at boot (../shared/ESPRUINO.md)
  blockSize: number; // bytes per block
  tls: boolean;
  led: number; // status LED pin number, -1 when none
  rxBuffer: number; // receive buffer: the largest inbound packet handled whole
  txBuffer: number; // transmit buffer: the largest outbound packet
}
