import { version } from '../../package.json';
import { NodeConfig } from './config';
import { quantities, unitOf } from './quantities';

// Home Assistant MQTT discovery: one retained config message per entity, under
// <discovery>/<component>/<node id>/<object>/config. Payloads use Home Assistant's abbreviations and the
// "~" base topic, so the largest one fits the ESP8266's txBuffer (checked at build time).
// Entities, in order: each quantity of each sensor, then each actuator.

// Discovery message i as [topic, payload], or null past the last entity. `serial` identifies the device
// (the board's, as ESPHome uses the MAC): node ids are the user's and two installs may both have a "kitchen".
export function discoveryMessage(cfg: NodeConfig, id: string, model: string, serial: string, i: number): string[] | null {
  const json = cfg.format === 'json';
  let body = '';
  let component = '';
  let object = '';
  let label = '';
  let sensor = false;
  for (let k = 0; k < cfg.sensors.length && !sensor; k++) {
    const s = cfg.sensors[k];
    const qs = quantities(s);
    if (i >= qs.length) {
      i -= qs.length;
      continue;
    }
    sensor = true;
    const q = qs[i];
    const multi = qs.length > 1;
    object = multi ? s.name + '_' + q : s.name;
    label = multi ? s.name + ' ' + q : s.name;
    body = '"stat_t":"~/' + s.name + (json ? '' : multi ? '/' + q : '') + '"';
    if (json) body += ',"val_tpl":"{{value_json.' + q + '}}"';
    if (s.type === 'digital') {
      component = 'binary_sensor';
      if (s.class) body += ',"dev_cla":"' + s.class + '"';
    } else {
      component = 'sensor';
      const unit = /*@__INLINE__*/ unitOf(s, q);
      const cls = s.type === 'analog' ? s.class : q;
      if (unit) body += ',"unit_of_meas":"' + unit + '"';
      if (cls) body += ',"dev_cla":"' + cls + '"';
      // built-in sensors measure; an analog input's state class comes with its class (set at build time)
      const state = s.type === 'analog' ? s.stateClass : 'measurement';
      if (state) body += ',"stat_cla":"' + state + '"';
    }
  }
  if (!sensor) {
    const a = cfg.actuators[i];
    if (!a) return null;
    body = '"stat_t":"~/' + a.name + '","cmd_t":"~/' + a.name + '/set"';
    // The dimmer, in the one form every release takes: the JSON schema with the brightness flag. Up to 2024.3
    // supported_color_modes needs the color_mode flag, which 2025.3 refuses (home-assistant/core#111676,
    // esphome/esphome#13666). It has no transition and no flash: said, so that Home Assistant offers neither.
    if (a.type === 'pwm') body += ',"schema":"json","brightness":true,"bri_scl":100,"flash":false,"transition":false';
    component = a.type === 'pwm' ? 'light' : 'switch';
    object = label = a.name;
  }
  // the message, made in one place for sensors and actuators alike (a function for it would cost the board
  // its blocks for good; this one runs only while the node announces itself)
  return [
    cfg.discovery + '/' + component + '/' + id + '/' + object + '/config',
    '{"~":"' + cfg.prefix + '/' + id + '","name":"' + label + '","uniq_id":"' + id + '_' + object + '",' + body +
      ',"avty_t":"~/status","dev":{"ids":"' + serial + '","name":"' + cfg.name + '","mdl":"' + model + '","mf":"espruino-mqtt","sw":"' + version + '"}}',
  ];
}
