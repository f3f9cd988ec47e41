/**
 * Two pollers racing for one store: two `fulcrum monitor --db FILE --interval 1s --for 5s --json`
 * processes (the built CLI) on one SQLite file, started at random offsets, each with or without
 * --standby, polling two simulated appliances over SNMP; one of them SIGKILLed or sent SIGTERM
 * at a random moment, or neither. Promised (poller-race-checks.ts): at no instant do both poll;
 * no process dies of an uncaught error (a second poller without --standby is refused, exit 1,
 * naming the holder); a standby takes over once the holder is gone, at once when its pid is gone
 * on this host; and every frame a cycle wrote is in the store once, with no other.
 */

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRules } from '../../../src/rules/index.js';
import { openStore } from '../../../src/store/index.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { startCli, type CliProcess } from '../../support/cli-process.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';
import { checkExclusive, checkSamples, checkTakeover, type Cycle, type Seen } from './poller-race-checks.js';

const APPLIANCES = ['race-1', 'race-2'];
const FOR_MS = 5_000;

/** What a crash looks like on stderr: main's last-resort handler, a stack, or a pino error. */
const CRASH = /^fulcrum: |Uncaught|\n\s+at \S|"level":(50|60)/m;

interface Proc {
  cli: CliProcess;
  seen: Seen;
  exit: Promise<void>;
}

export function pollerRaceCampaign(trials: { full: number; short: number }): Campaign {
  let sims: SimulatedAppliance[] = [];
  return {
    kind: 'poller-race',
    about:
      'two `fulcrum monitor` on one store at random offsets, --standby on random ones, one SIGKILLed or stopped at random: never both polling, a standby takes over at once, no frame lost or doubled',
    trials,
    trialTimeoutMs: 60_000,
    async setup() {
      const rules = loadRules('services:\n  - name: web\n    listen: 127.0.0.1:1\n    backends:\n      - { address: 127.0.0.1:2 }\n', 'race.yaml');
      sims = await Promise.all(
        APPLIANCES.map((name) => SimulatedAppliance.start({ name, rules, listen: false, snmp: { host: '127.0.0.1', port: 0, community: 'public' } })),
      );
    },
    async teardown() {
      await Promise.all(sims.map((s) => s.stop()));
    },
    async run({ rng }: TrialContext): Promise<Notes> {
      const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-poller-race-'));
      const home = path.join(dir, 'home');
      mkdirSync(home);
      const db = path.join(dir, 'fulcrum.db');
      const keyFile = path.join(home, 'secret.key');
      const setupStore = await openStore({ file: db, keyFile });
      try {
        for (const [i, s] of sims.entries())
          await setupStore.inventory.add({ name: APPLIANCES[i]!, target: `snmp://${s.readyInfo().snmp}`, credentials: { community: 'public' } });
      } finally {
        await setupStore.close();
      }

      const standby = [rng.chance(0.5), rng.chance(0.6)];
      const offsetMs = rng.int(0, 2_000);
      const victim = rng.pick([0, 1, 0, 1, null]);
      const signal = rng.chance(0.7) ? ('SIGKILL' as const) : ('SIGTERM' as const);
      // From the victim's own start: before it polls, mid-run, or near its end.
      const killAfterMs = rng.int(100, FOR_MS);
      const procs: Proc[] = [];
      const start = (i: number) => {
        const cli = startCli(['monitor', '--db', db, '--interval', '1s', '--for', `${FOR_MS / 1000}s`, '--json', ...(standby[i] ? ['--standby'] : [])], {
          FULCRUM_HOME: home,
        });
        const seen: Seen = { startedAt: Date.now(), killedAt: null, signal: null, exitedAt: 0, standby: standby[i]!, cycles: [] };
        procs[i] = { cli, seen, exit: cli.exit().then(() => void (seen.exitedAt = Date.now())) };
      };
      try {
        const kill = (p: Proc) => {
          if (p.cli.child.exitCode !== null || p.cli.child.signalCode !== null) return;
          p.cli.child.kill(signal);
          p.seen.killedAt = Date.now();
          p.seen.signal = signal;
        };
        start(0);
        const plan = [{ at: offsetMs, act: () => start(1) }];
        if (victim !== null) plan.push({ at: (victim === 0 ? 0 : offsetMs) + killAfterMs, act: () => kill(procs[victim]!) });
        const t0 = Date.now();
        for (const step of plan.sort((a, b) => a.at - b.at)) {
          await sleep(Math.max(0, step.at - (Date.now() - t0)));
          step.act();
        }
        await Promise.all(procs.map((p) => p.exit));
        return await check(procs, db, keyFile);
      } finally {
        for (const p of procs) if (p && p.cli.child.exitCode === null && p.cli.child.signalCode === null) p.cli.child.kill('SIGKILL');
        await Promise.all(procs.map((p) => p?.exit));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

async function check(procs: Proc[], db: string, keyFile: string): Promise<Notes> {
  const notes: Notes = {};
  const note = (k: string) => void (notes[k] = (notes[k] ?? 0) + 1);
  const all: Cycle[] = [];
  for (const [i, p] of procs.entries()) {
    const { code, signal } = await p.cli.exit();
    const err = p.cli.stderr();
    const other = procs[1 - i]!.cli.child.pid;
    ensure(!CRASH.test(err), () => `process ${i} crashed: ${err.slice(0, 1_500)}`);
    p.seen.cycles = p.cli.lines().map((line) => {
      const c = JSON.parse(line) as Omit<Cycle, 'owner'>;
      ensure(Number.isFinite(c.at) && Number.isFinite(c.ms) && c.polled + c.failed === APPLIANCES.length, () => `process ${i} printed ${line}`);
      return { ...c, owner: i };
    });
    all.push(...p.seen.cycles);
    if (p.seen.signal === 'SIGKILL') {
      ensure(signal === 'SIGKILL', () => `process ${i} was SIGKILLed, yet exited ${code}/${signal}: ${err}`);
      note('killed');
    } else if (signal === 'SIGTERM' && p.seen.signal === 'SIGTERM' && p.seen.cycles.length === 0 && !err.includes('standing by')) {
      // Stopped while Node was still loading the CLI, before monitor set its handlers: nothing to release yet.
      note('stopped while starting');
    } else if (code === 1) {
      ensure(!p.seen.standby && p.seen.cycles.length === 0, () => `process ${i} exited 1: ${err.slice(0, 1_500)}`);
      ensure(err.includes('already polled by') && err.includes(`pid ${other}`), () => `process ${i} refused without naming the holder: ${err.slice(0, 600)}`);
      note('refused (no --standby)');
    } else {
      ensure(code === 0 && signal === null, () => `process ${i} exited ${code}/${signal}: ${err.slice(0, 1_500)}`);
      if (p.seen.signal === 'SIGTERM') note('stopped (SIGTERM)');
    }
    if (p.seen.cycles.some((c) => c.failed > 0)) note('cycles with a failed poll');
  }

  const { holder, switches } = checkExclusive(
    all,
    procs.map((p) => p.seen),
  );
  if (switches > 0) note('handed over');
  if (
    checkTakeover(
      procs.map((p) => p.seen),
      holder,
    )
  )
    note('standby took over');

  const store = await openStore({ file: db, keyFile });
  try {
    const rows = new Map<string, number[]>();
    let perFrame = 0;
    for (const name of APPLIANCES) {
      const series = await store.metrics.listSeries(name);
      perFrame = series.length;
      const connections = series.find((s) => s.counter === 'connsTotal' && s.service === 'web' && s.backend === undefined);
      const points = connections
        ? ((await store.metrics.query({ appliance: name, counter: 'connsTotal', service: 'web', from: 0, to: Date.now() + 1_000, resolution: 'raw' }))
            ?.points ?? [])
        : [];
      rows.set(
        name,
        points.map((pt) => pt.ts / 1000),
      );
    }
    const { frames, unprinted } = checkSamples(
      all,
      procs.map((p) => p.seen),
      rows,
      Math.max(1, perFrame),
    );
    notes.cycles = all.length;
    notes.frames = frames;
    if (unprinted > 0) notes['frames of a cycle killed before its line'] = unprinted;
  } finally {
    await store.close();
  }
  return notes;
}
