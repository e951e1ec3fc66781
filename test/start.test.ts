// `npm start`, the main job, as a user runs it (built already by `npm test`): a broker, simulated nodes, the
// live view, the scripted command, and a clean end.
import { runScript } from './helpers/run-script';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import net from 'node:net';

const start = (args: string[]) => runScript('start.mjs', ['--no-build', '--port', '0', ...args]);

describe('npm start', () => {
  it('runs two simulated nodes against its own broker, shows readings, a command echo and discovery, and ends cleanly', async () => {
    const { code, out } = await start(['--nodes', '2', '--duration', '12']);
    expect(code).toBe(0);
    for (const id of ['kitchen-1', 'kitchen-2']) {
      expect(out).toMatch(new RegExp(`availability +espruino/${id}/status online`));
      expect(out).toMatch(new RegExp(`reading +espruino/${id}/climate \\{"temperature":[0-9.]+,"humidity":[0-9.]+\\}`));
      expect(out).toMatch(new RegExp(`discovery +homeassistant/sensor/${id}/climate_temperature/config`));
      expect(out).toMatch(new RegExp(`state +espruino/${id}/pump ON \\(pin 26 = 1\\)`));
      expect(out).toMatch(new RegExp(`state +espruino/${id}/lamp \\{"state":"ON","brightness":40\\} \\(pin 27 duty 0.40\\)`));
      expect(out).toMatch(new RegExp(`error +espruino/${id}/error \\{"source":"pump","error":"invalid command","payload":"FLIP"\\}`));
      expect(out).toMatch(new RegExp(`availability +espruino/${id}/status offline`));
    }
    expect(out.trim().split('\n').pop()).toMatch(/done$/);
  }, 30000);

  it('runs the same configuration as a Sparkplug B edge node: NBIRTH, NDATA by alias, NCMDs and their effects, a refusal, a rebirth, NDEATH', async () => {
    const { code, out } = await start(['--format', 'sparkplug', '--group', 'plant', '--duration', '13']);
    expect(code, out).toBe(0);
    const sp = 'spBv1\\.0/plant';
    // every metric, named, with its alias order the view then uses for NDATA
    const births = out.match(new RegExp(`birth +${sp}/NBIRTH/kitchen bdSeq 0, 14 metrics: Node Control/Rebirth=false climate/temperature=\\S+ humidity=\\S+ water/temperature=\\S+ .* pump/state=\\S+ lamp/state=\\S+ brightness=\\S+ Node Info/Error=.*`, 'g'));
    expect(births, out).toHaveLength(2); // the second on the rebirth request
    expect(births![0]).toMatch(/pump\/state=false lamp\/state=false brightness=100 Node Info\/Error=""/);
    expect(births![1]).toMatch(/pump\/state=true lamp\/state=true brightness=40 Node Info\/Error="NCMD: climate\/temperature: read-only"/);
    expect(out).toMatch(new RegExp(`data +${sp}/NDATA/kitchen seq \\d+: climate/temperature=[0-9.]+ humidity=[0-9.]+`));
    // the commands, sent by the aliases of the NBIRTH, and what they did to the node and its pins
    expect(out).toMatch(new RegExp(`send +${sp}/NCMD/kitchen pump/state=true \\(as alias 9\\)`));
    expect(out).toMatch(new RegExp(`data +${sp}/NDATA/kitchen seq \\d+: pump/state=true \\(pin 26 = 1\\)`));
    expect(out).toMatch(new RegExp(`send +${sp}/NCMD/kitchen lamp/brightness=40 \\(as alias 11\\)`));
    expect(out).toMatch(new RegExp(`data +${sp}/NDATA/kitchen seq \\d+: lamp/state=true brightness=40 \\(pin 27 duty 0.40\\)`));
    expect(out).toMatch(new RegExp(`error +${sp}/NDATA/kitchen seq \\d+: Node Info/Error="NCMD: climate/temperature: read-only"`));
    expect(out).toMatch(new RegExp(`command +${sp}/NCMD/kitchen Node Control/Rebirth=true`));
    expect(out).toMatch(new RegExp(`data +${sp}/NDATA/kitchen seq \\d+: pump/state=false \\(pin 26 = 0\\)`));
    // the orderly end: its NDEATH, with the bdSeq of its NBIRTH
    expect(out).toMatch(/stop .*expect an NDEATH/);
    expect(out).toMatch(new RegExp(`death +${sp}/NDEATH/kitchen bdSeq 0`));
    expect(out.trim().split('\n').pop()).toMatch(/done$/);
  }, 30000);

  it('--mqtt5: the node in MQTT 5.0 against Mosquitto; as a Sparkplug node its orderly end is its NDEATH and then the will (DISCONNECT 0x04)', async () => {
    const { code, out } = await start(['--format', 'sparkplug', '--mqtt5', '--duration', '9']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/broker Mosquitto \(MQTT 5\.0\) on mqtt:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/config node\.example\.json: .*broker mqtt:\/\/127\.0\.0\.1:\d+, MQTT 5\.0/);
    expect(out).toMatch(/birth +spBv1\.0\/espruino\/NBIRTH\/kitchen bdSeq 0, 14 metrics/);
    expect(out).toMatch(/data +spBv1\.0\/espruino\/NDATA\/kitchen seq \d+: pump\/state=true \(pin 26 = 1\)/);
    expect(out.match(/death +spBv1\.0\/espruino\/NDEATH\/kitchen bdSeq 0/g)).toHaveLength(2);
    expect(out.trim().split('\n').pop()).toMatch(/done$/);
  }, 30000);

  it('ends cleanly on Ctrl-C: the node says offline, then everything stops', async () => {
    const child = spawn(process.execPath, ['scripts/start.mjs', '--no-build', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 15000;
    while (!/reading +espruino\/kitchen\/climate/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/availability +espruino\/kitchen\/status offline/);
    expect(out.trim().split('\n').pop()).toMatch(/done$/);
  }, 30000);

  it('says a taken port is taken before it chooses another', async () => {
    const taken = net.createServer();
    await new Promise<void>((res) => taken.listen(0, '127.0.0.1', res));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const { code, out } = await runScript('start.mjs', ['--no-build', '--port', String(port), '--duration', '2']);
      expect(code, out).toBe(0);
      const said = out.indexOf(`port ${port} is taken (another broker running?): choosing a free port instead`);
      const chosen = /broker Aedes on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      expect(said, out).toBeGreaterThanOrEqual(0);
      expect(chosen && chosen.index).toBeGreaterThan(said);
      expect(Number(chosen![1])).not.toBe(port);
    } finally {
      await new Promise((res) => taken.close(res));
    }
  }, 30000);

  it('says what is wrong with a bad option instead of starting', async () => {
    const { code, out } = await start(['--board', 'esp31']);
    expect(code).toBe(1);
    expect(out).toMatch(/--board must be esp32 or esp8266/);
  });
});
