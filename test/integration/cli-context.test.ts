/**
 * The CLI against a remote agent (kubectl-style contexts): `fulcrum serve` over HTTPS with a
 * self-signed certificate holds a serial appliance; another $FULCRUM_HOME, with nothing local
 * but a context pinning that certificate, reads, pushes, confirms and reads counters through the
 * agent's API with the same output and exit codes as locally. A read token is refused changes,
 * a wrong pin sends nothing, plain HTTP to another machine is refused at `context add`. The
 * inventory, events, audit, stored history and rollouts read through the context are the agent's.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import { exited, fulcrumAsync, fulcrumReady, type CliResult } from '../support/cli.js';

const key = generateSigningKey();
const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-context-'));
const agentEnv = { FULCRUM_HOME: path.join(dir, 'agent') };
const clientEnv = { FULCRUM_HOME: path.join(dir, 'client') };
const client = (...args: string[]) => fulcrumAsync(args, clientEnv);
const json = <T>(r: CliResult): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

type Item = { name: string; address: string };
const names = (r: CliResult) => json<{ appliances: Item[] }>(r).appliances.map((a) => [a.name, a.address]);

function tokenFile(name: string, token: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${token}\n`);
  chmodSync(file, 0o600);
  return file;
}

function table(name: string, weight: number): string {
  const file = path.join(dir, name);
  const services = Array.from({ length: 5 }, (_, s) => ({
    name: `svc-${s}`,
    listen: `10.1.${s}.1:80`,
    backends: [1, 2].map((b) => ({ address: `192.0.2.${b}:${9000 + s}`, weight: s === 1 && b === 1 ? weight : 1 })),
  }));
  writeFileSync(file, JSON.stringify({ services }));
  return file;
}

describe('fulcrum --context: the CLI against a remote agent over HTTPS', () => {
  let sim: SimulatedAppliance;
  let serve: Awaited<ReturnType<typeof fulcrumReady<{ url: string; tlsFingerprint: string }>>>;
  let admin: string;
  let read: string;

  beforeAll(async () => {
    sim = await SimulatedAppliance.start({
      name: 'far-1',
      stateDir: path.join(dir, 'state'),
      listen: false,
      trustKeys: [key.publicKey],
      serial: { baud: 921_600 },
    });
    expect((await fulcrumAsync(['appliance', 'add', 'far-1', `serial:${sim.line!.path}?baud=921600`], agentEnv)).code).toBe(0);
    const token = async (role: string) =>
      (JSON.parse((await fulcrumAsync(['token', 'create', '--role', role, '--name', `ops-${role}`, '--json'], agentEnv)).stdout) as { token: string }).token;
    admin = tokenFile('admin.token', await token('admin'));
    read = tokenFile('read.token', await token('read'));
    serve = await fulcrumReady(['serve', '--port', '0', '--poll-interval', '1s', '--tls-self-signed'], agentEnv);
    const added = await client(
      'context',
      'add',
      'far',
      '--server',
      serve.ready.url,
      '--token-file',
      admin,
      '--fingerprint',
      serve.ready.tlsFingerprint,
      '--use',
    );
    expect(added.code, added.stderr).toBe(0);
  });
  afterAll(async () => {
    serve.child.kill('SIGTERM');
    await exited(serve.child);
    await sim.stop();
  });

  it('info, diff, push with commit confirmed, confirm and counters go to the agent', async () => {
    const info = json<{ configId: string }>(await client('appliance', 'info', '--to', 'far-1', '--json'));
    expect(info.configId).toBe(sim.readyInfo().configId);
    const first = table('first.json', 1);
    expect(json<{ added: unknown[] }>(await client('rules', 'diff', first, '--to', 'far-1', '--json')).added).toHaveLength(5);
    const pushed = json<{ configId: string }>(
      await client('rules', 'push', first, '--to', 'far-1', '--allow-destructive', '--confirm-timeout', '1m', '--json'),
    );
    expect(sim.readyInfo().configId).toBe(pushed.configId);
    expect(json<{ pendingConfirm: number | null }>(await client('appliance', 'info', '--to', 'far-1', '--json')).pendingConfirm).not.toBeNull();
    expect((await client('rules', 'confirm', '--to', 'far-1')).code).toBe(0);
    expect(json<{ pendingConfirm: number | null }>(await client('appliance', 'info', '--to', 'far-1', '--json')).pendingConfirm).toBeNull();
    const counters = json<{ services: { name: string }[] }>(await client('counters', '--to', 'far-1', '--json'));
    expect(counters.services.map((s) => s.name)).toContain('svc-1');
  });

  it('a firmware upgrade through the agent: the image streams to it, the appliance boots it', async () => {
    const image = path.join(dir, 'v2.fwi');
    writeFileSync(image, buildImage({ version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 32 * 1024 }) }, key));
    const r = await client('firmware', 'upgrade', image, '--to', 'far-1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(sim.readyInfo().firmware).toBe('2.0.0');
    expect(json<{ active: { version: string } }>(await client('firmware', 'status', '--to', 'far-1', '--json')).active.version).toBe('2.0.0');
  });

  it("the agent's refusals keep their exit codes: a read token may not push, an unknown name is a usage error", async () => {
    expect(
      (await client('context', 'add', 'far-read', '--server', serve.ready.url, '--token-file', read, '--fingerprint', serve.ready.tlsFingerprint)).code,
    ).toBe(0);
    const before = sim.readyInfo().configId;
    const refused = await client('rules', 'push', table('second.json', 7), '--to', 'far-1', '--context', 'far-read');
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/admin token/);
    expect(sim.readyInfo().configId).toBe(before);
    expect((await client('appliance', 'info', '--to', 'far-1', '--context', 'far-read', '--json')).code).toBe(0);
    const unknown = await client('appliance', 'info', '--to', 'nowhere');
    // An unknown name is exit 3 whichever inventory it was looked up in.
    expect(unknown.code).toBe(3);
    const target = await client('appliance', 'info', '--to', 'serial:/dev/ttyS9');
    expect([target.code, target.stderr]).toEqual([2, expect.stringContaining("that agent's inventory")]);
  });

  it('a wrong pin sends nothing: exit 4 naming both fingerprints', async () => {
    const wrong = serve.ready.tlsFingerprint.replace(/^../, serve.ready.tlsFingerprint.startsWith('00') ? '11' : '00');
    expect((await client('context', 'add', 'spoofed', '--server', serve.ready.url, '--token-file', admin, '--fingerprint', wrong)).code).toBe(0);
    const before = sim.readyInfo().configId;
    const r = await client('rules', 'push', table('third.json', 9), '--to', 'far-1', '--context', 'spoofed', '--allow-destructive');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`not the pinned ${wrong}`);
    expect(sim.readyInfo().configId).toBe(before);
  });

  it("the inventory through the context is the agent's: list, add (audited there), an add that cannot read the identity, remove", async () => {
    expect(names(await client('appliance', 'list', '--json'))).toEqual(names(await fulcrumAsync(['appliance', 'list', '--json'], agentEnv)));
    expect(names(await client('appliance', 'list', '--json'))).toEqual([['far-1', `serial:${sim.line!.path}?baud=921600`]]);
    // This machine's inventory is untouched and still reachable with --direct.
    expect(names(await client('appliance', 'list', '--json', '--direct'))).toEqual([]);

    const added = await client('appliance', 'add', 'far-2', 'tcp://127.0.0.1:9', '--no-check');
    expect([added.code, added.stdout], added.stderr).toEqual([0, 'added far-2 (tcp://127.0.0.1:9) without checking it\n']);
    expect(names(await fulcrumAsync(['appliance', 'list', '--json'], agentEnv))).toContainEqual(['far-2', 'tcp://127.0.0.1:9']);
    const audit = json<{ action: string; appliance: string | null; actor: { name: string }; via: string }[]>(
      await fulcrumAsync(['audit', '--appliance', 'far-2', '--json'], agentEnv),
    );
    expect(audit[0]).toMatchObject({ appliance: 'far-2', actor: { name: 'ops-admin' }, via: 'api', action: expect.stringContaining('POST') });

    // Nothing answers there: the agent's identity read fails, and the appliance is not kept (as locally).
    const local = await client('appliance', 'add', 'far-3', 'tcp://127.0.0.1:9', '--direct');
    const remote = await client('appliance', 'add', 'far-3', 'tcp://127.0.0.1:9');
    expect(remote.code, remote.stderr).toBe(local.code);
    expect(remote.stderr).toContain('nothing was changed');
    expect(names(await fulcrumAsync(['appliance', 'list', '--json'], agentEnv)).map(([n]) => n)).not.toContain('far-3');

    expect((await client('appliance', 'remove', 'far-2')).code).toBe(0);
    expect(names(await fulcrumAsync(['appliance', 'list', '--json'], agentEnv)).map(([n]) => n)).toEqual(['far-1']);
    // An unknown name is 3 in the agent's inventory as in this one; an update to an address where
    // nothing answers is refused by the agent (exit 4, as locally) and changes nothing.
    expect((await client('appliance', 'remove', 'far-2')).code).toBe(3);
    expect((await client('appliance', 'remove', 'far-2', '--direct')).code).toBe(3);
    const update = await client('appliance', 'update', 'far-1', '--target', 'tcp://127.0.0.1:9');
    expect([update.code, update.stderr]).toEqual([4, expect.stringContaining('nothing was changed')]);
    expect(names(await fulcrumAsync(['appliance', 'list', '--json'], agentEnv))).toEqual([['far-1', `serial:${sim.line!.path}?baud=921600`]]);
  });

  it("events and audit read the agent's logs, with the output of the local commands", async () => {
    const remote = json<{ id: number; appliance: string }[]>(await client('events', '--json'));
    const there = json<{ id: number }[]>(await fulcrumAsync(['events', '--json'], agentEnv));
    expect(remote.length).toBeGreaterThan(0);
    // The agent may record more meanwhile: what the context read is the agent's log up to then.
    expect(there.filter((e) => e.id <= remote[0]!.id)).toEqual(remote);
    expect(json<unknown[]>(await client('events', '--json', '--direct'))).toEqual([]);
    const onlyFar1 = json<{ appliance: string }[]>(await client('events', '--appliance', 'far-1', '--json'));
    expect(new Set(onlyFar1.map((e) => e.appliance))).toEqual(new Set(['far-1']));

    const auditRemote = json<{ id: number; actor: { name: string } }[]>(await client('audit', '--json'));
    const auditThere = json<{ id: number }[]>(await fulcrumAsync(['audit', '--json'], agentEnv));
    expect(auditThere.filter((e) => e.id <= auditRemote[0]!.id)).toEqual(auditRemote);
    expect(auditRemote.map((e) => e.actor.name)).toContain('ops-admin');
    const text = await client('audit', '--appliance', 'far-2');
    expect(text.stdout).toMatch(/ops-admin \(#\d+\).*far-2/);
  });

  it("counters NAME --since reads the agent's stored history; an unknown name is 3 as locally", async () => {
    const remote = json<{ appliance: string; series: { counter: string; service: string | null }[] }>(
      await client('counters', 'far-1', '--since', '1m', '--json'),
    );
    const there = json<{ series: { counter: string; service: string | null }[] }>(
      await fulcrumAsync(['counters', 'far-1', '--since', '1m', '--json'], agentEnv),
    );
    expect(remote.appliance).toBe('far-1');
    expect(remote.series.length).toBeGreaterThan(0);
    const key = (s: { counter: string; service: string | null }) => `${s.service}/${s.counter}`;
    expect(remote.series.map(key).sort()).toEqual(there.series.map(key).sort());
    const table = await client('counters', 'far-1', '--since', '1m', '--counter', 'connsTotal');
    expect([table.code, table.stdout], table.stderr).toEqual([0, expect.stringMatching(/^far-1: last 1m at raw resolution/)]);
    expect((await client('counters', 'nowhere', '--since', '1m')).code).toBe(3);
    expect((await client('counters', 'nowhere', '--since', '1m', '--direct')).code).toBe(3);
  });

  it("rollout list and status read the agent's rollouts; unknown ids and a read token keep their exit codes", async () => {
    expect(json<unknown[]>(await client('rollout', 'list', '--json'))).toEqual(json<unknown[]>(await fulcrumAsync(['rollout', 'list', '--json'], agentEnv)));
    expect((await client('rollout', 'status')).stdout).toBe((await fulcrumAsync(['rollout', 'status'], agentEnv)).stdout);
    const unknown = await client('rollout', 'pause', '99');
    expect([unknown.code, unknown.stderr]).toEqual([(await client('rollout', 'pause', '99', '--direct')).code, expect.stringContaining('99')]);
    expect(unknown.code).toBe(2);
    expect((await client('rollout', 'status', '99')).code).toBe(2);

    expect(
      (await client('context', 'add', 'far-read', '--server', serve.ready.url, '--token-file', read, '--fingerprint', serve.ready.tlsFingerprint)).code,
    ).toBe(0);
    const refused = await client('appliance', 'add', 'far-4', 'tcp://127.0.0.1:9', '--no-check', '--context', 'far-read');
    expect([refused.code, refused.stderr]).toEqual([5, expect.stringContaining('admin token')]);
    expect(names(await fulcrumAsync(['appliance', 'list', '--json'], agentEnv)).map(([n]) => n)).toEqual(['far-1']);
    expect(json<{ appliances: unknown[] }>(await client('appliance', 'list', '--json', '--context', 'far-read')).appliances).toHaveLength(1);
  });

  it('context add refuses plain HTTP to another machine, a token file others can read, a malformed pin', async () => {
    const http = await client('context', 'add', 'clear', '--server', 'http://192.0.2.10:8080', '--token-file', admin);
    expect([http.code, http.stderr]).toEqual([2, expect.stringContaining('in clear')]);
    const open = path.join(dir, 'open.token');
    writeFileSync(open, 'fulcrum_x');
    chmodSync(open, 0o644);
    expect((await client('context', 'add', 'open', '--server', serve.ready.url, '--token-file', open)).stderr).toContain('chmod 600');
    expect((await client('context', 'add', 'pin', '--server', serve.ready.url, '--token-file', admin, '--fingerprint', 'abc')).code).toBe(2);
    const list = json<{ current: string; contexts: { name: string }[] }>(await client('context', 'list', '--json'));
    expect(list.current).toBe('far');
    expect(list.contexts.map((c) => c.name).sort()).toEqual(['far', 'far-read', 'spoofed']);
  });
});
