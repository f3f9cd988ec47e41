/**
 * The operator's inventory from the command line, against a simulated SNMP appliance: `appliance
 * add` reads the identity first (and refuses wrong credentials or a missing device unless
 * --no-check), `appliance update`, `appliance list` with the state `monitor` stored (and --live),
 * `counters NAME --since --step` as rows per step, `events [--follow]`, JSON errors, and a pipe
 * closed early (`| head`) ending quietly with no screen codes in what was piped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/index.js';
import { openStore } from '../../src/store/index.js';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { fulcrumAsync, ROOT } from '../support/cli.js';
import { startCli } from '../support/cli-process.js';

const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-inventory-'));
const env = { FULCRUM_HOME: home };
const cli = (...args: string[]) => fulcrumAsync(args, env);
let sim: SimulatedAppliance;
let backends: HttpBackend[];
let vip: number;
let target: string;

beforeAll(async () => {
  backends = await startHttpBackends(1);
  vip = await freePort();
  const rules = loadRules(`services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n      - { address: ${backends[0]!.address} }\n`, 'i.yaml');
  sim = await SimulatedAppliance.start({ name: 'i1', rules, snmp: { host: '127.0.0.1', port: 0, community: 'public' } });
  target = `snmp://${sim.readyInfo().snmp}`;
});
afterAll(async () => {
  await sim.stop();
  await Promise.all(backends.map((b) => b.kill()));
});

describe('appliance add | update | list', () => {
  it('reads the identity before adding: wrong credentials and missing devices are refused unless --no-check', async () => {
    const wrong = await cli('appliance', 'add', 'edge-1', target, '--community', 'not-it');
    expect(wrong.code, wrong.stderr).toBe(4);
    expect(wrong.stderr).toContain('nothing was changed (--no-check to store it anyway)');
    const missing = await cli('appliance', 'add', 'lab-1', 'serial:/dev/fulcrum-no-such-tty');
    expect(missing.code).toBe(4);
    expect(JSON.parse((await cli('appliance', 'list', '--json')).stdout)).toEqual({ appliances: [] });

    const added = await cli('appliance', 'add', 'edge-1', target, '--community', 'public');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added edge-1 .*firmware 1\.0\.0/);
    expect((await cli('appliance', 'add', 'spare', 'snmp://127.0.0.1:9', '--community', 'public', '--no-check')).code).toBe(0);
  }, 60_000);

  it('update changes address and credentials only when the new ones answer', async () => {
    const refused = await cli('appliance', 'update', 'spare', '--target', target, '--community', 'not-it');
    expect(refused.code).toBe(4);
    const moved = await cli('appliance', 'update', 'spare', '--target', target, '--community', 'public', '--json');
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ name: 'spare', address: target, credentials: 'v2c community', identity: { firmware: '1.0.0' } });
    expect((await cli('appliance', 'update', 'nobody', '--target', target)).code).toBe(3);
    expect((await cli('appliance', 'update', 'spare')).code).toBe(2);
  }, 60_000);

  it('list shows what monitor stored, --live what the appliances say now; history comes in steps', async () => {
    const monitor = startCli(['monitor', '--interval', '1s', '--for', '60s', '--json'], env);
    await monitor.line(0);
    expect((await httpLoad('127.0.0.1', vip, 30, 3)).failed).toBe(0);
    const served = Date.now() + 1_200;
    for (let i = 1; (JSON.parse(await monitor.line(i)) as { at: number }).at <= served; i++);
    monitor.child.kill('SIGTERM');
    expect((await monitor.exit()).code, monitor.stderr()).toBe(0);

    const list = JSON.parse((await cli('appliance', 'list', '--json')).stdout) as { appliances: Array<Record<string, unknown>> };
    expect(list.appliances.map((a) => a.name)).toEqual(['edge-1', 'spare']);
    expect(list.appliances[0]).toMatchObject({ reachable: true, firmware: '1.0.0', configId: sim.appliance.configId, pendingConfirm: null, error: null });
    expect(typeof list.appliances[0]!.lastPoll).toBe('number');
    const human = await cli('appliance', 'list');
    expect(human.stdout).toMatch(/edge-1 .* reachable .* 1\.0\.0 .* \d+s ago/);
    const live = JSON.parse((await cli('appliance', 'list', '--live', '--json')).stdout) as { appliances: Array<Record<string, unknown>> };
    expect(
      live.appliances.map((a) => a.reachable),
      JSON.stringify(live),
    ).toEqual([true, true]);

    const stepped = await cli('counters', 'edge-1', '--since', '3d', '--step', '1h', '--counter', 'connsTotal', '--json');
    expect(stepped.code, stepped.stderr).toBe(0);
    const h = JSON.parse(stepped.stdout) as {
      stepMs: number;
      series: Array<{ service: string; backend: string | null; gaps: number; rows: Array<{ total: number | null }> }>;
    };
    expect(h.stepMs).toBe(3_600_000);
    const web = h.series.find((s) => s.service === 'web' && s.backend === null)!;
    // Every connection served, in the steps; the first poll (a baseline) is no gap.
    expect(web.rows.reduce((n, r) => n + (r.total ?? 0), 0)).toBe(30);
    expect(web.gaps).toBe(0);
    const table = await cli('counters', 'edge-1', '--since', '10m', '--step', '1m', '--service', 'web');
    expect(table.code, table.stderr).toBe(0);
    // The samples end where the monitor stopped: when the run crosses a minute, the minute the
    // query ends in has none yet, and says so.
    expect(table.stdout).toMatch(/web connsTotal \(conn\/s\): from \d\d:\d\d(, 1 step without data)?\n/);
    expect(table.stdout).toMatch(/web bytesIn \(B\/s\)/);
    const summary = await cli('counters', 'edge-1', '--since', '10m', '--counter', 'connsTotal');
    expect(summary.stdout).toMatch(/web\s+│\s+│ connsTotal │ counter │\s+30 │\s+\d+ │\s+0 │/);
    expect((await cli('counters', 'edge-1', '--since', '3d', '--step', '90s')).code).toBe(2);
    expect((await cli('counters', 'nobody', '--since', '1h')).code).toBe(3);
  }, 120_000);
});

describe('events, JSON errors and pipes', () => {
  it('events reads the log from the store, and --follow prints what is appended later', async () => {
    const store = await openStore({ file: path.join(home, 'fulcrum.db') });
    try {
      await store.events.append({ ts: Date.now(), appliance: 'edge-1', kind: 'config-changed', detail: { before: 'a', after: 'b' } });
      const listed = await cli('events', '--appliance', 'edge-1', '--json');
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ appliance: 'edge-1', kind: 'config-changed', detail: { before: 'a', after: 'b' } }),
      ]);
      expect((await cli('events')).stdout).toMatch(/edge-1 .* config-changed .* before=a after=b/);
      const follow = startCli(['events', '--follow', '--json', '--appliance', 'edge-1'], env);
      expect(JSON.parse(await follow.line(0))).toMatchObject({ kind: 'config-changed' });
      // Appended with an older time than the backlog's: still shown, by id.
      await store.events.append({ ts: Date.now() - 60_000, appliance: 'edge-1', kind: 'unreachable', detail: { error: 'x' } });
      await store.events.append({ ts: Date.now(), appliance: 'other', kind: 'unreachable', detail: null });
      expect(JSON.parse(await follow.line(1))).toMatchObject({ kind: 'unreachable', detail: { error: 'x' } });
      follow.child.kill('SIGINT');
      expect((await follow.exit()).code).toBe(0);
      expect(follow.lines()).toHaveLength(2);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('errors under --json are one JSON line on stderr, with the same exit codes', async () => {
    const unknown = await cli('appliance', 'info', '--to', 'nobody', '--json');
    expect(unknown.code).toBe(3);
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: { code: 'invalidInput', exit: 3, message: 'nobody: no such appliance in the inventory (fulcrum appliance list)' },
    });
    const usage = await cli('counters', '--to', 'edge-1', '--interval', '2', '--json');
    expect(JSON.parse(usage.stderr)).toEqual({ error: { code: 'usage', exit: 2, message: '--interval: "2" has no unit; write "2ms" or "2s"' } });
    const parse = await cli('appliance', 'list', '--no-such-flag', '--json');
    expect([parse.code, JSON.parse(parse.stderr).error.code]).toEqual([2, 'usage']);
    // The same unknown name, the same code, whichever command takes it.
    expect((await cli('appliance', 'remove', 'nobody')).code).toBe(3);
    expect((await cli('counters', 'nobody')).code).toBe(3);
    expect((await cli('rules', 'push', path.join(ROOT, 'examples/web.yaml'), '--targets', 'nobody')).code).toBe(3);
  }, 60_000);

  it('counters --watch piped into head: no screen codes, rates, and no EPIPE trace when head exits', async () => {
    // Not spawnSync: the simulator answering the polls runs in this process.
    const child = spawn(
      'bash',
      ['-c', `set -o pipefail; '${process.execPath}' '${path.join(ROOT, 'bin/fulcrum.js')}' counters edge-1 --watch --interval 300ms | head -12`],
      {
        env: { ...process.env, ...env, FULCRUM_LOG: 'warn' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).toMatch(/first poll: rates from the next refresh/);
    expect(stdout).toMatch(/per second over the last/);
    expect(status).toBe(0);
  }, 60_000);
});
