/**
 * A failover member killed while a commit confirmed is pending comes back with that commit
 * pending again for the rejoin window (firmware/failover/rejoin.ts), so its group settles it:
 * a peer that meanwhile runs the commit confirmed makes it confirm; a peer that went back to the
 * old config leaves it to revert at the window's end. Either way the two members end on one
 * config id — a lone box's rule (a reboot while pending runs the startup config) would have
 * split the group in the first case.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailoverPair, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { fulcrumAsync } from '../support/cli.js';

let pair: FailoverPair | null = null;
let flash: string | null = null;
afterEach(async () => {
  await pair?.stop();
  pair = null;
  if (flash) rmSync(flash, { recursive: true, force: true });
  flash = null;
});

interface Info {
  configId: string;
  pendingConfirm: number | null;
}

async function info(p: FailoverPair, unit: 1 | 2): Promise<Info> {
  const r = await fulcrumAsync(['appliance', 'info', '--json', '--to', p.console(unit)]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Info;
}

async function cli(args: string[]): Promise<string> {
  const r = await fulcrumAsync(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

const isState = (to: string) => (e: MemberEvent) => e.type === 'failover' && e.to === to;

/** A pair running its first table, and a second table (one more backend weight) pushed commit confirmed to both. */
async function pendingOnBoth(): Promise<{ p: FailoverPair; before: string; wanted: string }> {
  // Each member's flash in a directory of its own, kept across its restart.
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rejoin-'));
  flash = dir;
  pair = await FailoverPair.start({ extraArgs: (unit) => ['--state', path.join(dir, `flash-${unit}`)] });
  const p = pair;
  await p.members[0].waitFor(isState('active'));
  const before = (await info(p, 1)).configId;
  const rules = path.join(p.dir, 'next.yaml');
  writeFileSync(
    rules,
    `services:\n  - name: web\n    listen: 127.0.0.1:${p.vip}\n    backends:\n${p.backends.map((b) => `      - { address: ${b.address} }`).join('\n')}\n`,
  );
  for (const unit of [2, 1] as const) await cli(['rules', 'push', rules, '--to', p.console(unit), '--confirm-timeout', '60s']);
  const [one, two] = [await info(p, 1), await info(p, 2)];
  expect(one.configId).toBe(two.configId);
  expect(one.configId).not.toBe(before);
  expect([one.pendingConfirm, two.pendingConfirm].every((s) => s !== null)).toBe(true);
  return { p, before, wanted: one.configId };
}

/** Waits until `check` holds of unit's info, polling its console. */
async function until(p: FailoverPair, unit: 1 | 2, check: (i: Info) => boolean, what: string): Promise<Info> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const i = await info(p, unit);
    if (check(i)) return i;
    if (Date.now() > deadline) throw new Error(`member ${unit}: not within 20 s: ${what} (last: ${JSON.stringify(i)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a failover member restarted during a commit confirmed', () => {
  it('takes the commit up again and confirms it on hearing its peer run it confirmed: one config id, not a split', async () => {
    const { p, wanted } = await pendingOnBoth();
    await p.members[1].kill('SIGKILL');
    // The agent confirms the member it can reach; the other is down, its commit pending on flash.
    await cli(['rules', 'confirm', '--to', p.console(1)]);
    expect(await info(p, 1)).toMatchObject({ configId: wanted, pendingConfirm: null });
    // A lone box's reboot would run its startup config (the old one) with nothing pending, and no
    // peer could make it move again: it is the commit taken up again that its peer confirms.
    await p.restart(2);
    await until(p, 2, (i) => i.configId === wanted && i.pendingConfirm === null, 'runs the confirmed commit');
    // Confirmed for good: its startup config is the new one, so the next reboot runs it too.
    await p.members[1].kill('SIGKILL');
    await p.restart(2);
    expect(await info(p, 2)).toMatchObject({ configId: wanted, pendingConfirm: null });
  });

  it('reverts at the end of the window when its peer went back to the old config: one config id again', async () => {
    const { p, before } = await pendingOnBoth();
    await p.members[1].kill('SIGKILL');
    await cli(['rules', 'rollback', '--to', p.console(1)]);
    expect(await info(p, 1)).toMatchObject({ configId: before, pendingConfirm: null });
    await p.restart(2);
    await until(p, 2, (i) => i.configId === before && i.pendingConfirm === null, 'back on the config its peer runs');
    // And it stays there: nothing is left to take up at its next restart.
    await p.members[1].kill('SIGKILL');
    await p.restart(2);
    expect(await info(p, 2)).toMatchObject({ configId: before, pendingConfirm: null });
  });
});
