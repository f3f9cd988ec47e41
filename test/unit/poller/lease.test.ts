import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeHolder, leaseMsFor, PollerLease } from '../../../src/poller/lease.js';
import { openStore, type AgentStore } from '../../../src/store/index.js';

const T0 = Date.UTC(2025, 5, 15, 10);
const dirs: string[] = [];
const stores: AgentStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function twoStores() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-lease-'));
  dirs.push(dir);
  const file = path.join(dir, 'fulcrum.db');
  const a = await openStore({ file });
  const b = await openStore({ file });
  stores.push(a, b);
  return [a, b] as const;
}

describe('the poller lease', () => {
  it('lasts three intervals, and never less than 30 s', () => {
    expect(leaseMsFor(1_000)).toBe(30_000);
    expect(leaseMsFor(60_000)).toBe(180_000);
  });

  it('admits one holder; the other is told who holds it, and takes over once it expires by time', async () => {
    const [a, b] = await twoStores();
    let now = T0;
    // Another host: its pid means nothing here, only the expiry counts.
    const first = new PollerLease(a.pollerLease, { command: 'fulcrum monitor', leaseMs: 30_000, now: () => now, host: 'agent-a' });
    const second = new PollerLease(b.pollerLease, { command: 'fulcrum serve', leaseMs: 30_000, now: () => now, host: 'agent-b' });
    expect(await first.hold()).toEqual({ ok: true, fresh: true, startAt: T0 + 1_000 });
    const refused = await second.hold();
    expect(refused).toMatchObject({
      ok: false,
      lost: false,
      holder: { pid: process.pid, host: 'agent-a', command: 'fulcrum monitor', since: T0, expires: T0 + 30_000 },
    });
    if (!refused.ok) expect(describeHolder(refused.holder)).toBe(`pid ${process.pid} on agent-a (fulcrum monitor, since 2025-06-15T10:00:00Z)`);

    // Renewed each cycle: still held well past the first expiry.
    now += 20_000;
    expect(await first.hold()).toEqual({ ok: true, fresh: false, startAt: now });
    now += 20_000;
    expect((await second.hold()).ok).toBe(false);
    // Silent past its expiry: taken over; the first learns it lost the lease.
    now += 30_001;
    // A new holder polls from the next whole second: the old one's last frames may be in this one.
    expect(await second.hold()).toEqual({ ok: true, fresh: true, startAt: T0 + 71_000 });
    expect(await first.hold()).toMatchObject({ ok: false, lost: true, holder: { host: 'agent-b', command: 'fulcrum serve', since: now } });
    await first.release();
    expect((await b.pollerLease.holder())?.host).toBe('agent-b');
  });

  it('is free at once when released, or when its holder on this host has no process any more', async () => {
    const [a, b] = await twoStores();
    const first = new PollerLease(a.pollerLease, { command: 'fulcrum monitor', leaseMs: 30_000 });
    const second = new PollerLease(b.pollerLease, { command: 'fulcrum monitor', leaseMs: 30_000 });
    expect((await first.hold()).ok).toBe(true);
    expect((await second.hold()).ok).toBe(false);
    await first.release();
    expect(await a.pollerLease.holder()).toBeNull();
    expect((await second.hold()).ok).toBe(true);
    await second.release();

    // A holder on this host whose pid is gone (killed): not waited for.
    await a.pollerLease.claim(
      { holder: 'dead', pid: 2 ** 22 + 17, host: hostname(), command: 'fulcrum monitor', since: Date.now(), expires: Date.now() + 60_000 },
      () => false,
    );
    expect((await second.hold()).ok).toBe(true);
    await second.release();
  });
});
