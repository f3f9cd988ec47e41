/** API tokens, the audit log and the firmware catalog's index behave the same on every engine. */
import { expect, it } from 'vitest';
import { TokenError } from '../../../src/store/index.js';
import { describeEachEngine } from './engines.js';

const T0 = Date.UTC(2025, 5, 15);

describeEachEngine('store conformance: tokens', ({ open }) => {
  it('creates a token whose secret verifies, records its use at most once a minute, and lists oldest first', async () => {
    const s = await open();
    const admin = await s.tokens.create({ role: 'admin', name: 'ops' }, T0);
    const read = await s.tokens.create({ role: 'read' }, T0 + 1);
    expect(admin.token).toMatch(/^fulcrum_/);
    expect(read.record).toEqual({ id: read.record.id, role: 'read', name: 'read token', created: T0 + 1, lastUsed: null, revoked: null });
    expect(await s.tokens.verify(admin.token, T0 + 10_000)).toEqual({ ...admin.record, lastUsed: T0 + 10_000 });
    expect((await s.tokens.verify(admin.token, T0 + 30_000))?.lastUsed).toBe(T0 + 10_000);
    expect((await s.tokens.verify(admin.token, T0 + 70_000))?.lastUsed).toBe(T0 + 70_000);
    expect(await s.tokens.verify(`${admin.token}x`)).toBeNull();
    expect(await s.tokens.verify('not-a-token')).toBeNull();
    expect((await s.tokens.list()).map((t) => t.name)).toEqual(['ops', 'read token']);
    await expect(s.tokens.create({ role: 'root' as 'admin' })).rejects.toThrow(TokenError);
  });

  it('revokes by id or unique name; a revoked token no longer verifies and is listed only with all', async () => {
    const s = await open();
    const a = await s.tokens.create({ role: 'admin', name: 'twin' });
    const b = await s.tokens.create({ role: 'read', name: 'twin' });
    const c = await s.tokens.create({ role: 'read', name: 'solo' });
    await expect(s.tokens.revoke('twin')).rejects.toMatchObject({ code: 'ambiguous' });
    expect((await s.tokens.revoke(String(a.record.id), T0)).revoked).toBe(T0);
    expect((await s.tokens.revoke('twin', T0 + 1)).id).toBe(b.record.id);
    expect((await s.tokens.revoke('solo', T0 + 2)).id).toBe(c.record.id);
    await expect(s.tokens.revoke('solo')).rejects.toMatchObject({ code: 'notFound' });
    await expect(s.tokens.revoke(String(a.record.id))).rejects.toMatchObject({ code: 'notFound' });
    expect(await s.tokens.verify(a.token)).toBeNull();
    expect(await s.tokens.list()).toEqual([]);
    expect((await s.tokens.list({ all: true })).map((t) => t.revoked)).toEqual([T0, T0 + 1, T0 + 2]);
  });
});

describeEachEngine('store conformance: audit', ({ open }) => {
  it('appends entries and lists them newest first, by time and appliance, limited', async () => {
    const s = await open();
    const first = await s.audit.append({
      ts: T0,
      actor: { id: 1, name: 'ops' },
      action: 'POST /api/v1/appliances/:name/rules/push',
      appliance: 'lb1',
      status: 200,
      outcome: 'ok',
      configBefore: 'a'.repeat(64),
      configAfter: 'b'.repeat(64),
      detail: { steps: 3 },
    });
    expect(first).toEqual({
      id: first.id,
      ts: T0,
      actor: { id: 1, name: 'ops' },
      via: 'api',
      action: 'POST /api/v1/appliances/:name/rules/push',
      appliance: 'lb1',
      status: 200,
      outcome: 'ok',
      configBefore: 'a'.repeat(64),
      configAfter: 'b'.repeat(64),
      detail: { steps: 3 },
    });
    await s.audit.append({ ts: T0 + 1000, actor: { id: null, name: 'cli:root@host' }, via: 'cli', action: 'token create', status: 0, outcome: 'ok' });
    await s.audit.append({ ts: T0 + 1000, actor: { id: 2, name: 'viewer' }, action: 'POST /x', appliance: 'lb2', status: 403, outcome: 'denied' });
    const all = await s.audit.list();
    expect(all.map((e) => e.action)).toEqual(['POST /x', 'token create', 'POST /api/v1/appliances/:name/rules/push']);
    expect(all[1]).toMatchObject({ via: 'cli', appliance: null, configBefore: null, detail: {} });
    expect((await s.audit.list({ appliance: 'lb1' })).map((e) => e.id)).toEqual([first.id]);
    expect((await s.audit.list({ from: T0 + 1 })).length).toBe(2);
    expect((await s.audit.list({ limit: 1 })).map((e) => e.action)).toEqual(['POST /x']);
    // At least one entry, whatever the limit asked.
    expect(await s.audit.list({ limit: 0 })).toHaveLength(1);
  });
});

describeEachEngine('store conformance: firmware images', ({ open }) => {
  it('keeps the first record of an image and lists newest first', async () => {
    const s = await open();
    const image = { sha256: 'a'.repeat(64), version: '1.1.0', securityCounter: 1, size: 65_536, keyId: '0123456789abcdef', added: T0 };
    expect(await s.firmwareImages.put(image)).toEqual(image);
    expect(await s.firmwareImages.put({ ...image, added: T0 + 5000 })).toEqual(image);
    const newer = { ...image, sha256: 'b'.repeat(64), version: '1.2.0', securityCounter: 2, added: T0 + 1000 };
    await s.firmwareImages.put(newer);
    expect(await s.firmwareImages.get('b'.repeat(64))).toEqual(newer);
    expect(await s.firmwareImages.get('c'.repeat(64))).toBeNull();
    expect((await s.firmwareImages.list()).map((i) => i.version)).toEqual(['1.2.0', '1.1.0']);
  });
});
