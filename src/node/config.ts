import { Server } from '../client/client';
import { Actuator, Sensor } from '../drivers/driver';

// A node's configuration as it reaches the board: already checked and completed at build time by
// scripts/node-config.mjs (which says what each field means), so the firmware trusts it.
export interface NodeConfig {
  id: string; // topic-safe node id; '' means one derived from getSerial()
  name: string; // the device's name in Home Assistant
  prefix: string; // topics live under <prefix>/<id>/
  format: string; // readings as 'json' ({"temperature":21.5,...}), 'plain' (one topic per quantity) or 'sparkplug'
  qos: number; // of readings
  seq?: boolean; // json readings carry "seq": 1, 2, ... per sensor (for testing a node, npm run hil)
  discovery: string; // Home Assistant discovery prefix, '' for none
  wifi?: { ssid: string; password?: string };
  mqtt: { servers: Server[]; username?: string; password?: string; keepalive?: number; clientId?: string; ca?: string; version?: number; clean?: boolean; sessionExpiry?: number }; // version 5: MQTT 5.0 (the -mqtt5 firmware); clean false: a persistent session (sessionExpiry: 5.0's, in s)
  sparkplug?: { group: string; host?: string; ntp?: string; bytes: number }; // format 'sparkplug': group id, primary host id, NTP server, payload buffer size
  sensors: NodeSensor[];
  actuators: Actuator[];
}

export interface NodeSensor extends Sensor {
  unit?: string; // analog: unit of measurement
  class?: string; // analog: Home Assistant device class (voltage, ...); digital: binary_sensor class (motion, door, ...)
  stateClass?: string; // analog: Home Assistant state class for its class ('' for none; src/node/ha-classes.json)
  decimals?: number;
  _seq?: number;
  _v?: number[]; // sparkplug: the last reading's values, undefined when it failed
  _t?: number; // sparkplug: when it was taken (ms)
}

// What the node needs from its board definition (boards/*.json).
export interface BoardInfo {
  name: string;
  led: number;
  ledOn: number;
  rxBuffer: number;
  txBuffer: number;
  outboxBytes: number;
  outboxMessages: number;
}
