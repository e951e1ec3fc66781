// The node configuration check (scripts/node-config.mjs): what the build says about a user's node.json.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { checkConfig, describe as describeConfig } from '../../scripts/node-config.mjs';

const example = () => JSON.parse(readFileSync('node.example.json', 'utf8'));

describe('the node configuration check', () => {
  it('accepts the committed example and completes it for the board', () => {
    const { config, errors } = checkConfig(example());
    expect(errors).toEqual([]);
    expect(config).toMatchObject({ id: 'kitchen', prefix: 'espruino', format: 'json', qos: 1, discovery: 'homeassistant' });
    expect(config.mqtt.servers).toEqual([{ host: '192.168.1.10', port: 1883, protocol: 'mqtt' }]);
    expect(config.sensors[0]).toEqual({ type: 'dht22', name: 'climate', pin: 4, period: 30 }); // nothing the firmware defaults
    expect(config.actuators[1]).toEqual({ type: 'pwm', name: 'lamp', pin: 27, level: 100 });
  });

  it('names every problem with the path of the field at fault', () => {
    const raw = example();
    raw.sensors.push({ type: 'lux', name: 'x', pin: 3, period: 5 });
    raw.sensors[0].period = 1;
    raw.sensors[1].perod = 3;
    raw.sensors[2].name = 'climate';
    raw.actuators[0].pin = 4;
    raw.actuators[1].name = 'status';
    raw.mqtt.url = 'http://broker';
    raw.wifi.password = 'short';
    const { errors } = checkConfig(raw);
    expect(errors).toEqual([
      'wifi.password: must be empty (an open network) or 8 to 63 characters (WPA2)',
      'mqtt.url: "http://broker" is not a broker URL such as "mqtt://192.168.1.10:1883" or "mqtts://broker.lan:8883" (credentials go in "username" and "password")',
      'sensors[0].period: 1 s is too short for a dht22 (at least 2 s)',
      'sensors[1].perod: unknown field (known: type, name, period, decimals, pin)',
      'sensors[2].name: "climate" is already the name of sensors[0]',
      'sensors[5].type: unknown sensor type "lux"; known: dht22, bme280, ds18b20, analog, digital',
      'actuators[0].pin: pin 4 is already used by sensors[0].pin',
      'actuators[1].name: "status" is a topic the node uses itself',
    ]);
  });

  it('checks pins against what the board can do', () => {
    const raw = example();
    raw.board = 'esp8266';
    const { errors } = checkConfig(raw);
    expect(errors).toContain('sensors[3].pin: pin 35 cannot be used as analog on ESP8266; analog pins: 17');
    expect(errors).toContain('actuators[1].pin: pin 27 cannot be used as pwm on ESP8266; pwm pins: 0, 1, 2, 3, 4, 5, 12, 13, 14, 15');
    const tls = example();
    tls.board = 'esp8266';
    tls.sensors = [];
    tls.actuators = [];
    tls.mqtt.url = 'mqtts://broker.lan';
    expect(checkConfig(tls).errors).toEqual(['mqtt.url: ESP8266 has no TLS: use mqtt://']);
    const led = example();
    led.actuators[0].pin = 'D2';
    expect(checkConfig(led).errors).toEqual(['actuators[0].pin: pin 2 is the ESP32 status LED']);
  });

  it('lets two BME280s share an I2C bus but nothing else share a pin', () => {
    const raw = example();
    raw.sensors.push({ type: 'bme280', name: 'air2', sda: 21, scl: 22, addr: 0x77, period: 60 });
    expect(checkConfig(raw).errors).toEqual([]);
    raw.sensors.push({ type: 'ds18b20', name: 'pipe', pin: 21, period: 60 });
    expect(checkConfig(raw).errors).toEqual(['sensors[6].pin: pin 21 is already used by sensors[5].sda']);
  });

  it('refuses a configuration whose discovery messages would not fit the board transmit buffer', () => {
    const raw = example();
    raw.board = 'esp8266';
    raw.node.name = 'A rather long device name for the garden shed, north side';
    raw.sensors = [{ type: 'dht22', name: 'greenhouse_climate_north', pin: 4, period: 30 }];
    raw.actuators = [];
    const { errors } = checkConfig(raw);
    expect(errors.length).toBe(2);
    expect(errors[0]).toMatch(/^discovery: the Home Assistant config for homeassistant\/sensor\/kitchen\/greenhouse_climate_north_temperature\/config is \d+ bytes, more than the ESP8266 transmit buffer \(448\)/);
  });

  it('refuses a node that would not fit the board RAM, and says what each part costs', () => {
    const raw = example();
    raw.board = 'esp8266';
    raw.sensors = [
      { type: 'dht22', name: 'climate', pin: 12, period: 30 },
      { type: 'ds18b20', name: 'water', pin: 13, period: 60 },
      { type: 'bme280', name: 'air', period: 60 }, // on the board's usual I2C pins, 4 and 5
    ];
    raw.actuators = [];
    const { errors } = checkConfig(raw);
    expect(errors).toEqual([
      'sensors: this node needs about 1685 of the 1600 blocks of RAM an ESP8266 has, and 200 more for its peaks (discovery, bursts): leave out a sensor (a BME280 or DS18B20 costs about 188, a DHT22 86, an analog or digital input 36) or use an ESP32',
    ]);
    raw.sensors.pop();
    expect(checkConfig(raw).errors.length).toBe(1); // a DHT22 and a DS18B20: still too much
    raw.sensors.pop();
    const fits = checkConfig(raw);
    expect(fits.errors).toEqual([]);
    expect(fits.ram).toBe(1327);
  });

  it('never shows a password', () => {
    const raw = example();
    raw.mqtt.username = 'node';
    raw.mqtt.password = 'broker-secret';
    const { config, errors } = checkConfig(raw);
    expect(errors).toEqual([]);
    const shown = describeConfig(config, 'esp32').join('\n');
    expect(shown).not.toMatch(/broker-secret|change-me-please/);
    expect(shown).toMatch(/password set/);
    const bad = example();
    bad.wifi.password = 'x';
    expect(checkConfig(bad).errors.join('\n')).not.toMatch(/"x"/);
  });
});
