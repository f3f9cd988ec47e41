/**
 * Pushes to a simulator in a child process (`fulcrum sim start --serial --state DIR
 * --serial-link LINK`), killed with SIGKILL at a random moment of the push and started again on
 * its state directory: the power cut of an appliance mid-commit. After the restart the
 * appliance runs the old table or the new one (the startup config is written atomically), a
 * push that reported success left the new one, and the agent — through the stable device link,
 * as through /dev/serial/by-id — sees exactly what runs.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configId } from '../../../src/protocol/rules/index.js';
import { exited, fulcrumReady } from '../../support/cli.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';
import { randomTable } from '../random-rules.js';
import { agentView, connect, ensureRunning, pushMs, pushPlan, twoTables } from '../serial-agent.js';
import { TABLE_SIZES } from './serial-line.js';

const BAUD = 921_600;

type Sim = Awaited<ReturnType<typeof fulcrumReady<{ configId: string; serial: string }>>>;

export function serialSigkillCampaign(trials: { full: number; short: number }): Campaign {
  let dir = '';
  let sim: Sim | null = null;
  let args: string[] = [];
  /** What the appliance runs, as the last look found it (nothing changes it between trials). */
  let known = '';
  const target = () => `serial:${path.join(dir, 'console')}?baud=${BAUD}`;
  const start = async () => (sim = await fulcrumReady<{ configId: string; serial: string }>(args));

  return {
    kind: 'serial-sigkill',
    about: 'pushes with the simulator process SIGKILLed mid-push and restarted: old or new config, agent agrees',
    trials,
    trialTimeoutMs: 120_000,
    async setup() {
      dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serial-sigkill-'));
      const seed = path.join(dir, 'seed.json');
      writeFileSync(seed, JSON.stringify({ services: [] }));
      // The seed only matters to the first start; later starts run the stored startup config.
      args = [
        'sim',
        'start',
        '--rules',
        seed,
        '--state',
        path.join(dir, 'flash'),
        '--serial',
        '--serial-link',
        path.join(dir, 'console'),
        '--baud',
        String(BAUD),
        '--no-listen',
        '--json',
      ];
      known = (await start()).ready.configId;
    },
    async teardown() {
      if (sim) {
        sim.child.kill('SIGKILL');
        await exited(sim.child);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async run({ rng }: TrialContext): Promise<Notes> {
      const [before, next] = twoTables(() => randomTable(rng, TABLE_SIZES));
      const ids = [configId(before), configId(next)];
      const plan = pushPlan(before, next, rng.chance(0.3));
      // Forgotten until this trial ends well: after a failed one the next pushes its table regardless.
      const current = known;
      known = '';
      await ensureRunning(target(), before, current);

      // A short reconnect window: the agent notices the dead appliance quickly and gives up.
      const d = await connect(target(), 300);
      const push = d.push(plan.encoding, { confirmTimeoutMs: 0, baseFor: plan.baseFor }).catch(() => null);
      await sleep(rng.next() * 1.3 * pushMs(plan.bytes, BAUD));
      const killed = sim!;
      killed.child.kill('SIGKILL');
      await exited(killed.child);
      const result = await push;
      await d.close();
      if (result) ensure(result.configId === ids[1], () => `the push reported ${result.configId.slice(0, 12)}, not the table pushed`);

      const restarted = await start();
      const running = restarted.ready.configId;
      ensure(
        ids.includes(running),
        () => `after the restart the appliance runs ${running.slice(0, 12)}, neither the old table ${ids[0]!.slice(0, 12)} nor the new ${ids[1]!.slice(0, 12)}`,
      );
      if (result) ensure(running === ids[1], 'the push reported success but the restarted appliance runs the old table');
      const view = await agentView(target());
      ensure(view.configId === running, () => `the agent sees ${view.configId.slice(0, 12)}, the appliance runs ${running.slice(0, 12)}`);
      ensure(view.runningSha === running, () => `the running table the agent read hashes to ${view.runningSha.slice(0, 12)}, not ${running.slice(0, 12)}`);
      known = running;

      const notes: Notes = { [result ? 'pushed before the kill' : running === ids[1] ? 'killed (new runs)' : 'killed (old runs)']: 1 };
      if (plan.baseFor) notes.delta = 1;
      return notes;
    },
  };
}
