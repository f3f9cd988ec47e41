/**
 * The commands that used to refuse a context, run against a real `fulcrum serve`: `appliance
 * update` and `appliance list --live`, `counters NAME --since D --step S`, and `events --follow`
 * paging the agent's log by id. Each is compared with the same command run on the agent's
 * machine (its own $FULCRUM_HOME): the same output, the same exit codes. An agent without a
 * route is told apart from an unknown name.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { loadRules } from '../../src/rules/index.js';
import { openStore } from '../../src/store/index.js';
import { exited, fulcrumAsync, fulcrumReady, ROOT, type CliResult } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-parity-'));
const agentEnv = { FULCRUM_HOME: path.join(dir, 'agent') };
const clientEnv = { FULCRUM_HOME: path.join(dir, 'client') };
const client = (...args: string[]) => fulcrumAsync(args, clientEnv);
const onAgent = (...args: string[]) => fulcrumAsync(args, agentEnv);
const outcome = (r: CliResult) => [r.code, r.stdout];
const json = <T>(r: CliResult): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

function secretFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${text}\n`);
  chmodSync(file, 0o600);
  return file;
}

/** Resolves once `wanted` holds for what `fulcrum ARGS` printed so far (a follower never exits by itself). */
function follow(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), ...args], { cwd: ROOT, env: { ...process.env, FULCRUM_LOG: 'warn', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    until: (wanted: (out: string) => boolean) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (wanted(stdout)) {
            child.stdout.off('data', check);
            resolve(stdout);
          }
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`follower exited with ${code}: ${stderr}`)));
        check();
      }),
    stop: async () => {
      child.kill('SIGINT');
      return (await exited(child)).code;
    },
  };
}

describe('fulcrum --context: update, list --live, counters --step and events --follow as locally', () => {
  let first: SimulatedAppliance;
  let second: SimulatedAppliance;
  let serve: Awaited<ReturnType<typeof fulcrumReady<{ url: string }>>>;
  let firstTarget: string;
  let secondTarget: string;

  beforeAll(async () => {
    // Two services, so that the poller stores service-wide and per-backend series.
    const rules = loadRules(
      JSON.stringify({
        services: [0, 1].map((s) => ({ name: `svc-${s}`, listen: `10.2.${s}.1:80`, backends: [1, 2].map((b) => ({ address: `192.0.2.${b}:${8000 + s}` })) })),
      }),
      'seed.json',
    );
    const start = (name: string) => SimulatedAppliance.start({ name, rules, stateDir: path.join(dir, name), listen: false, serial: { baud: 921_600 } });
    [first, second] = await Promise.all([start('par-1'), start('par-2')]);
    firstTarget = `serial:${first.line!.path}?baud=921600`;
    secondTarget = `serial:${second.line!.path}?baud=921600`;
    expect((await onAgent('appliance', 'add', 'par-1', firstTarget)).code).toBe(0);
    const created = json<{ token: string }>(await onAgent('token', 'create', '--role', 'admin', '--name', 'ops-parity', '--json'));
    const token = secretFile('admin.token', created.token);
    serve = await fulcrumReady(['serve', '--port', '0', '--poll-interval', '1s'], agentEnv);
    const added = await client('context', 'add', 'par', '--server', serve.ready.url, '--token-file', token, '--use');
    expect(added.code, added.stderr).toBe(0);
  });
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await exited(serve.child);
    await Promise.all([first.stop(), second.stop()]);
  });

  it('appliance update moves an appliance through the agent, reading it at the new address first; refusals keep their exit codes', async () => {
    const { model, serialNumber } = json<{ model: string; serialNumber: string }>(await onAgent('appliance', 'info', '--to', secondTarget, '--json'));
    const moved = await client('appliance', 'update', 'par-1', '--target', secondTarget);
    expect(outcome(moved), moved.stderr).toEqual([0, `updated par-1: ${secondTarget}, credentials none; answers as ${model} ${serialNumber}\n`]);
    const listed = json<{ appliances: { name: string; address: string }[] }>(await onAgent('appliance', 'list', '--json'));
    expect(listed.appliances.map((a) => [a.name, a.address])).toEqual([['par-1', secondTarget]]);

    // Back, as JSON: the identity is the one read at the new address, as `appliance info` reads it.
    const back = json<{ name: string; address: string; credentials: string; identity: { serialNumber: string } }>(
      await client('appliance', 'update', 'par-1', '--target', firstTarget, '--json'),
    );
    const info = json<Record<string, unknown>>(await client('appliance', 'info', '--to', 'par-1', '--json'));
    expect(back).toMatchObject({ name: 'par-1', address: firstTarget, credentials: 'none', identity: { serialNumber: info.serialNumber, model: info.model } });
    expect(back.identity.serialNumber).not.toBe(serialNumber);
    const audit = json<{ action: string; appliance: string; actor: { name: string } }[]>(await onAgent('audit', '--appliance', 'par-1', '--json'));
    expect(audit[0]).toMatchObject({ action: expect.stringContaining('PATCH'), appliance: 'par-1', actor: { name: 'ops-parity' } });

    // Nothing answers there: refused with the local exit code, and the inventory is unchanged.
    const remote = await client('appliance', 'update', 'par-1', '--target', 'tcp://127.0.0.1:9');
    const local = await onAgent('appliance', 'update', 'par-1', '--target', 'tcp://127.0.0.1:9');
    expect([remote.code, remote.stderr]).toEqual([local.code, expect.stringContaining('nothing was changed (--no-check to store it anyway)')]);
    expect(remote.code).toBe(4);
    expect(json<{ appliances: { address: string }[] }>(await onAgent('appliance', 'list', '--json')).appliances[0]!.address).toBe(firstTarget);

    const community = secretFile('community', 'public');
    for (const args of [
      ['update', 'nowhere', '--target', secondTarget],
      ['update', 'par-1', '--community-file', community],
      ['update', 'par-1'],
      ['update', 'par-1', '--target', 'ftp://x'],
    ]) {
      const [r, l] = [await client('appliance', ...args), await onAgent('appliance', ...args)];
      expect([args, r.code], r.stderr).toEqual([args, l.code]);
    }
    expect((await client('appliance', 'update', 'nowhere', '--target', secondTarget)).code).toBe(3);
  });

  it('appliance list --live asks every appliance now, through the agent, and prints what the local command prints', async () => {
    const remote = await client('appliance', 'list', '--live');
    const local = await onAgent('appliance', 'list', '--live');
    expect(outcome(remote), remote.stderr).toEqual(outcome(local));
    expect(remote.stdout).toMatch(/par-1 .* reachable .* now/);
    type Item = { name: string; reachable: boolean; configId: string; lastPoll: number };
    const items = json<{ appliances: Item[] }>(await client('appliance', 'list', '--live', '--json')).appliances;
    expect(items.map(({ lastPoll: _, ...i }) => i)).toEqual(
      json<{ appliances: Item[] }>(await onAgent('appliance', 'list', '--live', '--json')).appliances.map(({ lastPoll: _, ...i }) => i),
    );
    expect(items[0]).toMatchObject({ name: 'par-1', reachable: true, configId: first.readyInfo().configId });
  });

  it('counters NAME --since D --step S: the agent merges the steps as the local command does; refusals keep their exit codes', async () => {
    type Stepped = {
      appliance: string;
      stepMs: number;
      resolution: string;
      series: { service: string | null; backend: string | null; counter: string; kind: string }[];
    };
    // The poller stores a sample a second: wait until there is one to step over.
    for (let tries = 0; tries < 60; tries++) {
      const probe = await onAgent('counters', 'par-1', '--since', '10m', '--step', '1m', '--json');
      if (probe.code === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // The two ran a moment apart: their ranges end when each was asked; the rest is the same query.
    const key = ({ from: _from, to: _to, ...h }: Stepped & { from: number; to: number }) => ({
      ...h,
      series: h.series.map((s) => `${s.service}/${s.backend}/${s.counter}/${s.kind}`).sort(),
    });
    const remote = json<Stepped & { from: number; to: number }>(await client('counters', 'par-1', '--since', '10m', '--step', '1m', '--json'));
    const local = json<Stepped & { from: number; to: number }>(await onAgent('counters', 'par-1', '--since', '10m', '--step', '1m', '--json'));
    expect(key(remote)).toEqual(key(local));
    expect(remote).toMatchObject({ appliance: 'par-1', stepMs: 60_000, resolution: 'raw' });
    expect(remote.series.every((s) => s.backend === null)).toBe(true);
    const table = await client('counters', 'par-1', '--since', '10m', '--step', '1m', '--counter', 'connsTotal');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe(
      (await onAgent('counters', 'par-1', '--since', '10m', '--step', '1m', '--counter', 'connsTotal')).stdout.split('\n')[0],
    );

    for (const args of [
      ['par-1', '--since', '3d', '--step', '7s'], // no stored resolution kept that long fits a 7s step
      ['par-1', '--since', '1m', '--step', '2m'], // longer than the span
      ['par-1', '--since', '10m', '--step', 'soon'],
      ['par-1', '--since', '10m', '--step', '1m', '--rate'],
      ['par-1', '--since', '10m', '--step', '1m', '--counter', 'noSuchCounter'],
      ['nowhere', '--since', '10m', '--step', '1m'],
    ]) {
      const [r, l] = [await client('counters', ...args), await onAgent('counters', ...args)];
      expect([args, r.code], r.stderr).toEqual([args, l.code]);
    }
    expect((await client('counters', 'par-1', '--since', '10m', '--step', '1m', '--counter', 'noSuchCounter')).code).toBe(3);
    expect((await client('counters', 'par-1', '--since', '1m', '--step', '2m')).code).toBe(2);
  });

  it('events --follow pages the agent’s log by id: more than one answer’s worth, appended late with early times, each shown once', async () => {
    const remote = follow(['events', '--follow', '--json', '--since', '1m', '--appliance', 'late'], clientEnv);
    const local = follow(['events', '--follow', '--json', '--since', '1m', '--appliance', 'late'], agentEnv);
    // Only whole lines: a chunk of the follower's output may end inside one.
    const lines = (out: string, kind: string) =>
      out
        .slice(0, out.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { kind: string; detail: { i: number } })
        .filter((e) => e.kind === kind);
    const store = await openStore({ file: path.join(agentEnv.FULCRUM_HOME, 'fulcrum.db') });
    const count = 1_500;
    let remoteOut: string;
    let localOut: string;
    try {
      // A marker a follower shows, in its backlog or followed, says it is past reading the log's
      // last id: whatever is appended from then on it must follow.
      let markers = 0;
      const marked = Promise.all([remote.until((o) => lines(o, 'marker').length > 0), local.until((o) => lines(o, 'marker').length > 0)]);
      let seen = false;
      void marked.then(() => (seen = true));
      while (!seen && markers < 120) {
        await store.events.append({ ts: Date.now(), appliance: 'late', kind: 'marker', detail: { i: markers++ } });
        await Promise.race([marked, new Promise((r) => setTimeout(r, 250))]);
      }
      await marked;
      // More than one answer of the API (1,000), all with times an hour back: by id they are new.
      const past = Date.now() - 3_600_000;
      for (let i = 0; i < count; i++) await store.events.append({ ts: past - i * 1000, appliance: 'late', kind: 'test', detail: { i } });
      [remoteOut, localOut] = await Promise.all([remote.until((o) => lines(o, 'test').length >= count), local.until((o) => lines(o, 'test').length >= count)]);
    } finally {
      await store.close();
    }
    // Ctrl-C ends a follower as it ends the local one.
    const [remoteCode, localCode] = [await remote.stop(), await local.stop()];
    expect(remoteCode).toBe(localCode);
    expect(lines(remoteOut, 'test').map((e) => e.detail.i)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(lines(remoteOut, 'test')).toEqual(lines(localOut, 'test'));
  });

  it('the API description holds the new route and parameters', async () => {
    const token = readFileSync(path.join(dir, 'admin.token'), 'utf8').trim();
    const r = await fetch(`${serve.ready.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    type Operation = { parameters?: { name: string; in: string }[]; requestBody?: unknown };
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, Operation>> };
    expect(doc.openapi).toMatch(/^3\./);
    const query = (p: string, m: string) => (doc.paths[p]?.[m]?.parameters ?? []).filter((q) => q.in === 'query').map((q) => q.name);
    expect(doc.paths['/api/v1/appliances/{name}']?.patch?.requestBody).toBeDefined();
    expect(query('/api/v1/events', 'get')).toContain('after');
    expect(query('/api/v1/appliances/{name}/counters/history', 'get')).toEqual(expect.arrayContaining(['step', 'backend']));
  });

  it('a route the agent does not offer is not an unknown name: exit 1 saying so; an unknown name stays 3', async () => {
    const old = http.createServer((req, res) => {
      // An older agent answers an unknown route with its notFound body; anything else with a bare 404.
      if (req.url?.startsWith('/api/v1/appliances/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'notFound', message: `no such route: ${req.method} ${req.url}` } }));
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(old.address() as AddressInfo).port}`;
      expect((await client('context', 'add', 'old', '--server', url, '--token-file', path.join(dir, 'admin.token'))).code).toBe(0);
      const list = await client('appliance', 'list', '--context', 'old');
      expect([list.code, list.stderr]).toEqual([1, expect.stringContaining('does not offer GET /api/v1/appliances')]);
      const remove = await client('appliance', 'remove', 'par-1', '--context', 'old');
      expect([remove.code, remove.stderr]).toEqual([1, expect.stringContaining('does not offer DELETE /api/v1/appliances/par-1')]);
    } finally {
      old.close();
    }
    const unknown = await client('appliance', 'remove', 'nowhere');
    expect([unknown.code, unknown.stderr]).toEqual([3, expect.stringContaining('nowhere')]);
  });
});
