/**
 * `fulcrum serve`, `fulcrum token` and `fulcrum audit` as an operator runs them: the built CLI
 * in its own process, one SQLite file shared between the server and the token commands.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, fulcrum, fulcrumReady } from '../support/cli.js';

describe('fulcrum serve, token and audit', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serve-'));
  const db = path.join(dir, 'fulcrum.db');
  const children: { kill(signal?: NodeJS.Signals): boolean; exitCode: number | null }[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('refuses bad flags with a usage error before opening anything', () => {
    const port = fulcrum(['serve', '--port', '70000', '--db', db]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: expected 0..65535');
    const interval = fulcrum(['serve', '--poll-interval', '500ms', '--db', db]);
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain('--poll-interval: must be at least 1s');
    const role = fulcrum(['token', 'create', '--role', 'root', '--db', db]);
    expect(role.code).toBe(2);
  });

  it('creates tokens shown once, lists them without secrets, serves with them, revokes them, and audits it all', async () => {
    const created = fulcrum(['token', 'create', '--role', 'admin', '--name', 'ci', '--db', db, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { token, id } = JSON.parse(created.stdout) as { token: string; id: number };
    expect(token).toMatch(/^fulcrum_/);
    const plain = fulcrum(['token', 'create', '--role', 'read', '--db', db]);
    expect(plain.stdout.trim()).toMatch(/^fulcrum_[\w-]+$/);
    expect(plain.stderr).toContain('shown once');
    const list = fulcrum(['token', 'list', '--db', db, '--json']);
    expect(JSON.parse(list.stdout).map((t: { name: string; role: string }) => [t.name, t.role])).toEqual([
      ['ci', 'admin'],
      ['read token', 'read'],
    ]);
    expect(list.stdout).not.toContain(token);

    const { child, ready } = await fulcrumReady<{ url: string }>(['serve', '--port', '0', '--db', db, '--no-poll']);
    children.push(child);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = { authorization: `Bearer ${token}` };
    const add = await fetch(`${ready.url}/api/v1/appliances`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'lab-2', address: 'serial:/dev/ttyUSB9' }),
    });
    expect(add.status).toBe(201);
    expect((await fetch(`${ready.url}/`)).headers.get('content-type')).toMatch(/^text\/html/);

    const revoke = fulcrum(['token', 'revoke', String(id), '--db', db]);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await fetch(`${ready.url}/api/v1/appliances`, { headers: auth })).status).toBe(401);

    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });

    const audit = fulcrum(['audit', '--db', db, '--json']);
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as { action: string; actor: { name: string }; appliance: string | null; outcome: string }[];
    expect(entries.map((e) => e.action)).toEqual(['token revoke', 'POST /api/v1/appliances', 'token create', 'token create']);
    expect(entries[1]).toMatchObject({ actor: { name: 'ci' }, appliance: 'lab-2', outcome: 'ok' });
    // Made with the CLI: the OS user@host, via cli.
    expect(entries[0]).toMatchObject({ via: 'cli', actor: { id: null, name: expect.stringMatching(/^[^@\s]+@\S+$/) } });
    expect(entries[1]).toMatchObject({ via: 'api' });
    const table = fulcrum(['audit', '--db', db, '--since', '1h']);
    expect(table.stdout).toContain('POST /api/v1/appliances');
    expect(fulcrum(['audit', '--db', db, '--since', 'soon']).code).toBe(2);
  });
});
