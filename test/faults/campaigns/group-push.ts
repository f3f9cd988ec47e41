/**
 * Group pushes under faults: `fulcrum rules push FILE --to group:pair --confirm-timeout 10s` to a
 * pair of `fulcrum sim start` processes (sim/pair/failover-pair.ts, each with a state directory
 * as flash and bit errors on its console line), with one more fault per trial, in turn: the
 * agent SIGKILLed at a random moment of the push, a member SIGKILLed at a random moment (and
 * started again, as a box coming back), or the line noise alone.
 *
 * Invariant (docs/design.md, "Failover groups"): once the confirm timeout + 1 s has passed since
 * the last moment the agent could have committed, every live member runs the same config id —
 * the group's old one or the pushed one, never a third — with no commit pending, and the
 * agent, asking afresh (`fulcrum group status pair --live --json`), reports that id for every
 * member. A push that exited 0 without being killed left the pushed id.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { FailoverPair, type MemberEvent } from '../../../sim/pair/failover-pair.js';
import { exited, fulcrumAsync, ROOT } from '../../support/cli.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';

const CONFIRM_TIMEOUT_MS = 10_000;
/** Past the confirm timeout: the slack the invariant allows. */
const SLACK_MS = 1_000;
const NOISE_BER = 1e-4;
const FAULTS = ['agent-kill', 'member-kill', 'line-noise'] as const;
type Fault = (typeof FAULTS)[number];
const MEMBERS = ['lb1', 'lb2'] as const;

interface MemberView {
  appliance: string;
  reachable: boolean;
  configId: string;
}
interface Info {
  configId: string;
  pendingConfirm: unknown;
}

const isActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';

/**
 * FAULT_GROUP_PUSH_FAULT=KIND makes every trial use that fault, FAULT_GROUP_PUSH_AT=FROM-TO (ms)
 * draws the kill's moment from that span: to chase a failure seen at one point of a push.
 * Anything else in them is refused before a trial runs, rather than ignored.
 */
function narrowing(env: NodeJS.ProcessEnv): { fault: Fault | null; at: { from: number; to: number } | null } {
  const kind = env.FAULT_GROUP_PUSH_FAULT;
  if (kind !== undefined && kind !== '' && !(FAULTS as readonly string[]).includes(kind))
    throw new Error(`FAULT_GROUP_PUSH_FAULT=${kind}: not a fault kind of this campaign (${FAULTS.join(', ')})`);
  const span = env.FAULT_GROUP_PUSH_AT;
  const m = span === undefined || span === '' ? null : /^(\d+)-(\d+)$/.exec(span);
  if (span !== undefined && span !== '' && (!m || Number(m[1]) > Number(m[2])))
    throw new Error(`FAULT_GROUP_PUSH_AT=${span}: write FROM-TO in ms from the push's start, FROM ≤ TO (e.g. 500-1000)`);
  return { fault: kind ? (kind as Fault) : null, at: m ? { from: Number(m[1]), to: Number(m[2]) } : null };
}

export function groupPushCampaign(trials: { full: number; short: number }): Campaign {
  const narrowed = narrowing(process.env);
  let dir = '';
  let pair: FailoverPair | null = null;
  /** How long an undisturbed push took in setup (ms): the span the trials' faults are spread over. */
  let pushSpanMs = 0;
  /** The table file of every id pushed so far, to bring a pair a failed trial left split back to one id. */
  const files = new Map<string, string>();
  const env = () => ({ FULCRUM_HOME: path.join(dir, 'home') });
  const cli = (args: string[]) => fulcrumAsync(args, env());

  const info = async (name: string): Promise<Info | null> => {
    const r = await cli(['appliance', 'info', '--to', name, '--json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Info) : null;
  };
  /** A table of its own for every trial (the weights make its id), on the pair's VIP and backends. */
  const writeTable = (name: string, weights: number[]): string => {
    const file = path.join(dir, `${name}.yaml`);
    const p = pair!;
    writeFileSync(
      file,
      `services:\n  - name: web\n    listen: 127.0.0.1:${p.vip}\n    algorithm: round-robin\n    backends:\n${p.backends
        .map((b, i) => `      - { address: ${b.address}, weight: ${weights[i]} }`)
        .join('\n')}\n`,
    );
    return file;
  };
  const push = (file: string) =>
    spawn(process.execPath, [path.join(ROOT, 'bin/fulcrum.js'), 'rules', 'push', file, '--to', 'group:pair', '--confirm-timeout', '10s', '--json'], {
      cwd: ROOT,
      env: { ...process.env, FULCRUM_LOG: 'warn', ...env() },
    });
  /** The agent's view, asked afresh: every member's reachability and running id. */
  const groupStatus = async (): Promise<MemberView[]> => {
    const r = await cli(['group', 'status', 'pair', '--live', '--json']);
    ensure(r.code === 0, () => `group status pair --live exited ${r.code}: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { members: MemberView[] }).members;
  };

  return {
    kind: 'group-push',
    about: `group pushes to a simulated pair (console BER ${NOISE_BER}) with the agent or a member SIGKILLed mid-push: after the confirm timeout + 1 s both run one id, and group status says which`,
    trials,
    trialTimeoutMs: 120_000,
    async setup() {
      dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-group-push-'));
      pair = await FailoverPair.start({
        serialCable: false,
        extraArgs: (unit) => ['--state', path.join(dir, `flash-${unit}`), '--noise-ber', String(NOISE_BER)],
      });
      await pair.members[0].waitFor(isActive);
      for (const [i, name] of MEMBERS.entries()) {
        const r = await cli(['appliance', 'add', name, pair.console((i + 1) as 1 | 2), '--json']);
        ensure(r.code === 0, () => `appliance add ${name}: ${r.stderr}`);
      }
      // The agent learns the group from what the members report.
      await groupStatus();
      const started = performance.now();
      const first = writeTable('setup', [1, 1, 1]);
      const child = push(first);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const end = await exited(child);
      ensure(end.code === 0, () => `an undisturbed group push failed (${end.code}): ${stderr}`);
      pushSpanMs = performance.now() - started;
      files.set((await groupStatus())[0]!.configId, first);
    },
    async teardown() {
      await pair?.stop();
      pair = null;
      rmSync(dir, { recursive: true, force: true });
    },
    async run({ index, rng }: TrialContext): Promise<Notes> {
      const p = pair!;
      // In turn, so that even a short run meets every fault.
      const fault: Fault = narrowed.fault ?? FAULTS[index % FAULTS.length]!;
      let before = await groupStatus();
      const notes: Notes = {};
      if (new Set(before.map((m) => m.configId)).size > 1 && files.has(before[0]!.configId)) {
        // A failed trial left the members split (its failure is reported already): one plain
        // push to each other member makes the later trials mean something again.
        for (const m of before.slice(1)) await cli(['rules', 'push', files.get(before[0]!.configId)!, '--to', m.appliance, '--json']);
        before = await groupStatus();
        notes['realigned after a failed trial'] = 1;
      }
      ensure(
        before.every((m) => m.reachable) && new Set(before.map((m) => m.configId)).size === 1,
        () => `the pair does not start the trial on one id: ${JSON.stringify(before)}`,
      );
      const old = before[0]!.configId;
      const file = writeTable(`trial-${index}`, [index + 2, rng.int(1, 50), rng.int(1, 50)]);
      const id = await cli(['rules', 'id', file]);
      ensure(id.code === 0, () => `rules id: ${id.stderr}`);
      const pushed = id.stdout
        .trim()
        .split(/\s+/)
        .find((w) => /^[0-9a-f]{64}$/.test(w));
      ensure(pushed !== undefined && pushed !== old, () => `rules id printed no new config id: ${id.stdout}`);
      files.set(pushed, file);

      const child = push(file);
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      createInterface({ input: child.stdout }).on('line', (l) => (stdout += l));
      const agentEnd = exited(child);
      let killedAgent = false;
      let killedUnit: 1 | 2 | null = null;
      // Anywhere from before the first byte to just past an undisturbed push's end.
      const atMs = narrowed.at ? rng.int(narrowed.at.from, narrowed.at.to) : rng.int(0, Math.round(pushSpanMs * 1.2));
      if (fault !== 'line-noise') await sleep(atMs);
      if (fault === 'agent-kill' && child.exitCode === null) {
        child.kill('SIGKILL');
        killedAgent = true;
      }
      if (fault === 'member-kill') {
        killedUnit = rng.pick([1, 2] as const);
        await p.members[killedUnit - 1]!.kill('SIGKILL');
      }
      const end = await agentEnd;
      // The last moment the agent could have committed anything: the deadline counts from here.
      const deadline = performance.now() + CONFIRM_TIMEOUT_MS + SLACK_MS;
      if (killedUnit !== null) {
        const back = await p.restart(killedUnit);
        await back.waitFor((e) => e.type === 'failover', 15_000).catch(() => undefined);
      }
      if (!killedAgent && end.code === 0) {
        const report = JSON.parse(stdout) as { ok: boolean; configId: string };
        ensure(report.ok && report.configId === pushed, () => `push exited 0 with the report ${stdout}`);
      }

      // Wait until nothing is pending anywhere, or the deadline: no member may change after that.
      // A read says what the members ran when it began (a console read takes a second or more on
      // a noisy line), so the last one must begin at the deadline, not merely end after it.
      let infos: (Info | null)[] = [];
      for (;;) {
        const asked = performance.now();
        infos = await Promise.all(MEMBERS.map(info));
        const settled = infos.every((i) => i !== null && i.pendingConfirm == null);
        if (settled || asked >= deadline) break;
        await sleep(Math.min(250, Math.max(0, deadline - performance.now())));
      }
      const seen = () =>
        MEMBERS.map((m, i) => `${m}: ${infos[i] ? `${infos[i].configId.slice(0, 12)} pending ${JSON.stringify(infos[i].pendingConfirm)}` : 'no answer'}`).join(
          ', ',
        );
      ensure(
        infos.every((i) => i !== null && i.pendingConfirm == null),
        () => `confirm timeout + 1 s after the ${fault} (${killedAgent ? 'agent killed' : `agent exited ${end.code}`}): ${seen()}`,
      );
      const ids = new Set(infos.map((i) => i!.configId));
      if (ids.size > 1) {
        // What each member's database says happened (who committed what, when), and what the
        // members said to each other, for the report: a split is too rare to catch twice.
        const histories = await Promise.all(MEMBERS.map((m) => cli(['rules', 'history', '--to', m])));
        const said = p.members.map((m) => m.events.filter((e) => e.type !== 'failover-services').slice(-6));
        ensure(
          false,
          () =>
            `the members run different ids after the ${fault} (at ${atMs} ms of ~${Math.round(pushSpanMs)}): ${seen()}; old ${old.slice(0, 12)}, pushed ${pushed.slice(0, 12)}; ` +
            `agent: ${stderr.trim()}; histories: ${histories.map((h, i) => `${MEMBERS[i]}: ${h.stdout.split('\n').slice(0, 5).join(' | ')}`).join('; ')}; events: ${JSON.stringify(said)}`,
        );
      }
      const now = [...ids][0]!;
      ensure(now === old || now === pushed, () => `the members run ${now}, neither the old ${old} nor the pushed ${pushed}`);
      if (!killedAgent && killedUnit === null)
        ensure(end.code === 0 && now === pushed, () => `an undisturbed push (line noise only) did not leave the pushed id: ${stderr}`);

      // The agent, asking afresh, reports the same id for every member.
      const after = await groupStatus();
      ensure(
        after.length === MEMBERS.length && after.every((m) => m.reachable && m.configId === now),
        () =>
          `group status reports ${JSON.stringify(after.map((m) => [m.appliance, m.reachable, m.configId.slice(0, 12)]))}, the members run ${now.slice(0, 12)}`,
      );
      return {
        ...notes,
        [fault]: 1,
        [now === old ? 'old config' : 'new config']: 1,
        ...(end.code === 0 && !killedAgent ? { 'push ok': 1 } : { 'push failed or killed': 1 }),
      };
    },
  };
}
