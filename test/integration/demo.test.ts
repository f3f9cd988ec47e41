/** `npm run demo` end to end: the summary it prints, the failover pair's part, and --keep leaving a working control plane. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ROOT, exited, fulcrumAsync } from '../support/cli.js';

// The whole story runs in each test, the failover pair's processes included: tens of seconds on two cores.
describe('fulcrum demo', () => {
  it('--json: three appliances (two consoles, one SNMPv3) upgraded to 1.1.0 by the rollout, carrying traffic', async () => {
    const r = await fulcrumAsync(['demo', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Array<{
      name: string;
      transport: string;
      firmware: string;
      connections: number;
      series: number;
    }>;
    expect(rows.map((x) => [x.name, x.transport.split(' ')[0]])).toEqual([
      ['lb-1', 'console'],
      ['lb-2', 'console'],
      ['lb-3', 'SNMPv3'],
    ]);
    for (const row of rows) {
      expect(row.firmware, row.name).toBe('1.1.0');
      expect(row.connections, row.name).toBe(50);
      expect(row.series, row.name).toBeGreaterThan(20);
    }
  }, 90_000);

  it('--keep: the failover pair survives the kill of its active and is upgraded; the dashboard URL and admin token work against the API, and Ctrl-C stops everything', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), 'demo', '--keep'], { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn' } });
    let token = '';
    let url = '';
    const lines: string[] = [];
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)$/.exec(line);
      if (m) {
        [url, token] = [m[1]!, m[2]!];
        break;
      }
    }
    expect(url).not.toBe('');
    const pair = lines.slice(lines.findIndex((l) => l.startsWith('a failover pair: edge-1')));
    const line = (re: RegExp) => pair.find((l) => re.test(l)) ?? `no line matches ${re} in:\n${pair.join('\n')}`;
    // The kill: the standby takes over by itself and the client is served again, with the outage measured.
    expect(line(/SIGKILL edge-1/)).toMatch(/^ {2}SIGKILL edge-1 \(the active\)$/);
    expect(line(/took over/)).toMatch(
      /^ {2}edge-2 took over \(master-down\) and serves: the VIP was unavailable \d+ ms .*, \d+ connection\(s\) failed meanwhile$/,
    );
    expect(line(/started again/)).toMatch(/edge-1 started again: it rejoins as standby/);
    // The upgrade: the standby (edge-1) alone in the first wave, the group failed over to it before edge-2 went.
    expect(line(/wave 1:/)).toBe('  wave 1: edge-1');
    expect(line(/wave 2:/)).toBe('  wave 2: edge-2');
    expect(line(/edge-2: active → standby/)).toMatch(/operator-standby/);
    expect(line(/edge-1: standby → active/)).toMatch(/\(peer-/);
    expect(line(/^ {2}rollout \d+:/)).toMatch(/: succeeded, 2 of 2 upgraded$/);
    expect(line(/during the upgrade/)).toMatch(/^ {2}\d+ connections through the VIP during the upgrade: \d+ failed, longest unavailable \d+ ms/);
    expect(line(/^ {2}now:/)).toBe('  now: edge-1 1.1.0 active, edge-2 1.1.0 standby');
    const res = await fetch(`${url}/api/v1/appliances`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { appliances?: Array<{ name: string }> } | Array<{ name: string }>;
    const list = Array.isArray(body) ? body : (body.appliances ?? []);
    expect(list.map((a) => a.name).sort()).toEqual(['edge-1', 'edge-2', 'lb-1', 'lb-2', 'lb-3']);
    expect((await fetch(`${url}/api/v1/appliances`)).status).toBe(401);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
  }, 90_000);
});
