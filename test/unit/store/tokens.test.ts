import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, TokenError, type AgentStore } from '../../../src/store/index.js';
import { inspect, T0, tempDirs } from './support.js';

const newDir = tempDirs();
const open: AgentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function store(): Promise<AgentStore> {
  const s = await openStore({ file: path.join(newDir(), 'fulcrum.db') });
  open.push(s);
  return s;
}

describe('API tokens', () => {
  it('keeps only the SHA-256 of a token: the secret is nowhere in the file', async () => {
    const s = await store();
    const { token } = await s.tokens.create({ role: 'admin', name: 'ops' }, T0);
    expect(token).toMatch(/^fulcrum_[A-Za-z0-9_-]{43}$/);
    const rows = inspect(s, (db) => db.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[]);
    expect(JSON.stringify(rows, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64url') : v))).not.toContain(token.slice(8));
    expect((rows[0]!.hash as Buffer).length).toBe(32);
  });

  it('verifies the token it made, with its role, and nothing else', async () => {
    const s = await store();
    const admin = await s.tokens.create({ role: 'admin', name: 'ops' }, T0);
    const read = await s.tokens.create({ role: 'read' }, T0);
    expect(await s.tokens.verify(admin.token, T0 + 1)).toMatchObject({ id: admin.record.id, role: 'admin', name: 'ops' });
    expect(await s.tokens.verify(read.token, T0 + 1)).toMatchObject({ role: 'read', name: 'read token' });
    // Another last character, whatever it was (a fixed 'A' would be the token itself one time in 16).
    const last = admin.token.at(-1);
    expect(await s.tokens.verify(`${admin.token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`)).toBeNull();
    expect(await s.tokens.verify('')).toBeNull();
    expect(await s.tokens.verify('Bearer nonsense')).toBeNull();
  });

  it('records when a token was last used, at most once a minute', async () => {
    const s = await store();
    const { token, record } = await s.tokens.create({ role: 'read' }, T0);
    await s.tokens.verify(token, T0 + 1_000);
    await s.tokens.verify(token, T0 + 30_000);
    expect((await s.tokens.list()).find((t) => t.id === record.id)?.lastUsed).toBe(T0 + 1_000);
    await s.tokens.verify(token, T0 + 61_000);
    expect((await s.tokens.list()).find((t) => t.id === record.id)?.lastUsed).toBe(T0 + 61_000);
  });

  it('revokes by id or unique name; a revoked token no longer verifies but stays listed with --all', async () => {
    const s = await store();
    const a = await s.tokens.create({ role: 'admin', name: 'ci' }, T0);
    const b = await s.tokens.create({ role: 'read', name: 'grafana' }, T0);
    await s.tokens.create({ role: 'read', name: 'grafana' }, T0);
    expect((await s.tokens.revoke(String(a.record.id), T0 + 5)).revoked).toBe(T0 + 5);
    expect(await s.tokens.verify(a.token)).toBeNull();
    await expect(s.tokens.revoke(String(a.record.id))).rejects.toThrow(TokenError);
    await expect(s.tokens.revoke('grafana')).rejects.toThrow(/2 valid tokens are named "grafana"/);
    await expect(s.tokens.revoke('nobody')).rejects.toThrow(/no valid token named "nobody"/);
    expect((await s.tokens.list()).map((t) => t.id)).not.toContain(a.record.id);
    expect((await s.tokens.list({ all: true })).map((t) => t.id)).toContain(a.record.id);
    expect((await s.tokens.verify(b.token))?.name).toBe('grafana');
  });

  it('refuses roles and names it does not know', async () => {
    const s = await store();
    await expect(s.tokens.create({ role: 'root' as never })).rejects.toThrow(/role "root" is not valid: use admin or read/);
    await expect(s.tokens.create({ role: 'read', name: '' })).rejects.toThrow(/token name "" is not valid/);
    await expect(s.tokens.create({ role: 'read', name: 'x'.repeat(65) })).rejects.toThrow(TokenError);
  });
});

describe('audit log', () => {
  it('lists newest first, filtered by time and appliance, with what was changed', async () => {
    const s = await store();
    const actor = { id: 1, name: 'ops' };
    await s.audit.append({ ts: T0, actor, action: 'POST /api/v1/appliances', appliance: 'a', status: 201, outcome: 'ok' });
    await s.audit.append({
      ts: T0 + 10,
      actor,
      action: 'POST /api/v1/appliances/:name/rules/push',
      appliance: 'a',
      status: 200,
      outcome: 'ok',
      configBefore: 'aa',
      configAfter: 'bb',
      detail: { mode: 'full' },
    });
    await s.audit.append({ ts: T0 + 20, actor: { id: null, name: 'cli:root' }, action: 'token create', status: 0, outcome: 'ok' });
    await s.audit.append({ ts: T0 + 30, actor, action: 'DELETE /api/v1/appliances/:name', appliance: 'b', status: 403, outcome: 'denied' });
    expect((await s.audit.list()).map((e) => e.ts)).toEqual([T0 + 30, T0 + 20, T0 + 10, T0]);
    expect((await s.audit.list({ appliance: 'a' })).map((e) => e.action)).toEqual(['POST /api/v1/appliances/:name/rules/push', 'POST /api/v1/appliances']);
    expect(await s.audit.list({ from: T0 + 15 })).toHaveLength(2);
    expect((await s.audit.list({ limit: 1 }))[0]).toMatchObject({ outcome: 'denied', status: 403, appliance: 'b' });
    expect((await s.audit.list({ appliance: 'a' }))[0]).toMatchObject({ configBefore: 'aa', configAfter: 'bb', detail: { mode: 'full' }, actor });
  });
});
