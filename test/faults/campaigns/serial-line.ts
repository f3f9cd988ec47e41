/**
 * Pushes of random rule tables to one simulated appliance over its real PTY console (921600
 * baud), with a fault on the line: bit errors, lost bytes, or the agent's port closed at a
 * random moment of the transfer ("unplugged"). Every trial then checks the atomicity promise:
 * the appliance runs the old table or the new one, its forwarding table is the one its config
 * id names, a push that reported success left the new one, and the agent, looking afresh,
 * sees exactly what runs (the id and the bytes of the running table).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configId } from '../../../src/protocol/rules/index.js';
import { SimulatedAppliance } from '../../../sim/simulated-appliance.js';
import { ensure, type Campaign, type Notes, type TrialContext } from '../campaign.js';
import { randomTable } from '../random-rules.js';
import { agentView, connect, ensureRunning, pushMs, pushPlan, twoTables } from '../serial-agent.js';

const BAUD = 921_600;
export const TABLE_SIZES = { typicalServices: 16, maxServices: 60 };

type LineFault = { kind: 'serial-ber'; ber: number } | { kind: 'serial-drop'; drop: number } | { kind: 'serial-unplug' };

const ABOUT: Record<LineFault['kind'], string> = {
  'serial-ber': 'pushes over a console with bit errors',
  'serial-drop': 'pushes over a console losing bytes',
  'serial-unplug': "pushes cut by the agent's port closing mid-transfer",
};

export function serialLineCampaign(fault: LineFault, trials: { full: number; short: number }): Campaign {
  let sim: SimulatedAppliance | null = null;
  let dir = '';
  const noise = fault.kind === 'serial-ber' ? { ber: fault.ber } : fault.kind === 'serial-drop' ? { drop: fault.drop } : {};

  return {
    kind: fault.kind,
    about: `${ABOUT[fault.kind]}${fault.kind === 'serial-ber' ? ` (${fault.ber})` : fault.kind === 'serial-drop' ? ` (${fault.drop})` : ''}: old or new config, agent agrees`,
    trials,
    trialTimeoutMs: 120_000,
    async setup() {
      dir = mkdtempSync(path.join(tmpdir(), `fulcrum-${fault.kind}-`));
      sim = await SimulatedAppliance.start({ name: fault.kind, stateDir: dir, listen: false, serial: { baud: BAUD } });
    },
    async teardown() {
      await sim?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async run({ rng }: TrialContext): Promise<Notes> {
      const s = sim!;
      const line = s.line!;
      const target = `serial:${line.path}?baud=${BAUD}`;
      const [before, next] = twoTables(() => randomTable(rng, TABLE_SIZES));
      const ids = [configId(before), configId(next)];
      const plan = pushPlan(before, next, rng.chance(0.3));

      line.setNoise({});
      await ensureRunning(target, before, s.appliance.configId);
      ensure(s.appliance.configId === ids[0], 'the clean setup push did not take');

      const statsBefore = line.stats;
      line.setNoise(noise);
      let outcome: 'done' | 'failed' = 'failed';
      // Not even a connection is allowed on a bad line (the push never started); what runs is checked below.
      const d = await connect(target).catch(() => null);
      if (d) {
        const push = d.push(plan.encoding, { confirmTimeoutMs: 0, baseFor: plan.baseFor }).catch(() => null);
        if (fault.kind === 'serial-unplug') {
          await sleep(rng.next() * 1.3 * pushMs(plan.bytes, BAUD));
          await d.close();
        }
        const result = await push;
        if (fault.kind !== 'serial-unplug') await d.close();
        if (result) {
          ensure(result.configId === ids[1], () => `the push reported ${result.configId.slice(0, 12)}, not the table pushed`);
          outcome = 'done';
        }
      }
      const afterPush = s.appliance.configId;
      // Bytes the closed session left on the line still reach the appliance: look once they have.
      const view = await agentView(target);
      const running = s.appliance.configId;
      line.setNoise({});

      ensure(
        ids.includes(afterPush) && ids.includes(running),
        () =>
          `the appliance runs ${running.slice(0, 12)} (${afterPush.slice(0, 12)} right after the push), neither the old table ${ids[0]!.slice(0, 12)} nor the new ${ids[1]!.slice(0, 12)}`,
      );
      ensure(configId(s.appliance.rules) === running, 'the forwarding table is not the one the running config id names');
      if (outcome === 'done') ensure(running === ids[1], 'the push reported success but the old table runs');
      ensure(view.configId === running, () => `the agent sees ${view.configId.slice(0, 12)}, the appliance runs ${running.slice(0, 12)}`);
      ensure(view.runningSha === running, () => `the running table the agent read hashes to ${view.runningSha.slice(0, 12)}, not ${running.slice(0, 12)}`);

      const stats = line.stats;
      const notes: Notes = { [outcome === 'done' ? 'pushed' : running === ids[1] ? 'failed (new runs)' : 'failed (old runs)']: 1 };
      if (plan.baseFor) notes.delta = 1;
      if (fault.kind === 'serial-ber') notes['bits flipped'] = stats.bitsFlipped - statsBefore.bitsFlipped;
      if (fault.kind === 'serial-drop') notes['bytes lost'] = stats.bytesDropped - statsBefore.bytesDropped;
      return notes;
    },
  };
}
