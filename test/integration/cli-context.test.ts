/**
 * The CLI against a remote agent (kubectl-style contexts): `fulcrum serve` over HTTPS with a
 * self-signed certificate holds a serial appliance; another $FULCRUM_HOME, with nothing local
 * but a context pinning that certificate, reads, pushes, confirms and reads counters through the
 * agent's API with the same output and exit codes as locally. A read token is refused changes,
 * a wrong pin sends nothing, plain HTTP to another machine is refused at `context add`.
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
