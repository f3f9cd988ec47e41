import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FailoverPair, type Member, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { fulcrumAsync } from '../support/cli.js';

// Two `fulcrum sim start` processes in one failover group: each takes the same table commit
// confirmed straight from its console, the agent confirms one only (as an agent killed between
// the two confirms would leave them), and the other confirms by itself on its peer's heartbeats
// (firmware/failover/config-agreement.ts). Behaviour only: the waits have generous deadlines.

let pair: FailoverPair | null = null;
let home = '';
afterEach(async () => {
  await pair?.stop();
  pair = null;
  if (home) rmSync(home, { recursive: true, force: true });
});

const isActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Info {
  configId: string;
  pendingConfirm: number | null;
}

async function cli(args: string[]): Promise<string> {
  const r = await fulcrumAsync(args, { FULCRUM_HOME: home });
  expect(r.code, `fulcrum ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const info = async (m: Member): Promise<Info> => JSON.parse(await cli(['appliance', 'info', '--json', '--to', `serial:${m.ready.serial}`])) as Info;

/** Polls `m` until `done` holds, or fails after `deadlineMs` with what it last answered. */
async function until(m: Member, done: (i: Info) => boolean, deadlineMs: number): Promise<Info> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    const seen = await info(m);
    if (done(seen)) return seen;
    if (performance.now() > end) throw new Error(`member ${m.unit} still answers ${JSON.stringify(seen)}`);
    await pause(100);
  }
}

describe('config agreement in a pair of simulators', () => {
  it('both pending on one id, one confirmed by the agent: the other confirms itself long before its timeout', async () => {
    home = mkdtempSync(path.join(tmpdir(), 'fulcrum-agreement-'));
    pair = await FailoverPair.start({ serialCable: false });
    const [primary, secondary] = pair.members;
    await primary.waitFor(isActive);
    const file = path.join(home, 'new.yaml');
    writeFileSync(
      file,
      `services:\n  - name: web\n    listen: 127.0.0.1:${pair.vip}\n    algorithm: round-robin\n    backends:\n${pair.backends
        .map((b, i) => `      - { address: ${b.address}, weight: ${i + 2} }`)
        .join('\n')}\n`,
    );
    const before = (await info(primary)).configId;
    for (const m of [secondary, primary])
      await cli(['rules', 'push', file, '--to', `serial:${m.ready.serial}`, '--confirm-timeout', '60s', '--allow-destructive', '--json']);
    const pushed = (await info(primary)).configId;
    expect(pushed).not.toBe(before);
    for (const m of [primary, secondary]) expect(await info(m)).toMatchObject({ configId: pushed, pendingConfirm: expect.any(Number) });
    // Both pending on the same id, a few heartbeats on: neither confirmed the other.
    await pause(1_000);
    expect((await info(secondary)).pendingConfirm).not.toBeNull();
    const mark = primary.events.length;

    await cli(['rules', 'confirm', '--to', `serial:${secondary.ready.serial}`, '--json']);
    // 60 s was the timeout: 10 s is far inside it, and many heartbeat intervals.
    const settled = await until(primary, (i) => i.pendingConfirm === null, 10_000);
    expect(settled.configId).toBe(pushed);
    expect(await info(secondary)).toMatchObject({ configId: pushed, pendingConfirm: null });
    const agreed = await primary.waitFor((e) => e.type === 'failover-config', 5_000, mark);
    expect(agreed).toMatchObject({ unit: 1, peer: 2, configId: pushed });
    // What a reboot runs is the confirmed config too: the member's startup config is the pushed one.
    const startupFile = path.join(home, 'startup.yaml');
    writeFileSync(startupFile, await cli(['rules', 'show', '--to', `serial:${primary.ready.serial}`, '--startup']));
    expect((await cli(['rules', 'id', startupFile])).trim()).toContain(pushed);
  });
});
