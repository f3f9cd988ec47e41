/** `npm run demo` end to end: the summary it prints, and --keep leaving a working control plane. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { ROOT, exited, fulcrumAsync } from '../support/cli.js';

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
  });

  it('--keep: the dashboard URL and admin token it prints work against the API, and Ctrl-C stops everything', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), 'demo', '--keep'], { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn' } });
    let token = '';
    let url = '';
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)$/.exec(line);
      if (m) {
        [url, token] = [m[1]!, m[2]!];
        break;
      }
    }
    expect(url).not.toBe('');
    const res = await fetch(`${url}/api/v1/appliances`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { appliances?: Array<{ name: string }> } | Array<{ name: string }>;
    const list = Array.isArray(body) ? body : (body.appliances ?? []);
    expect(list.map((a) => a.name).sort()).toEqual(['lb-1', 'lb-2', 'lb-3']);
    expect((await fetch(`${url}/api/v1/appliances`)).status).toBe(401);
    child.kill('SIGINT');
    expect((await exited(child)).code).toBe(0);
  });
});
