/**
 * Waves that respect failover groups. A rollout never holds every member of a group in one
 * wave — here, never two members of one group in the same wave — and takes each group's
 * members standby first, the active last: the standby is upgraded and checked in one wave, the
 * group fails over to it, the other member goes in a later wave (group-upgrade.ts). Since a wave
 * starts only when every device of the waves before succeeded, a standby that fails its upgrade
 * halts the rollout with its group still served by the active, on the old image. Pure.
 *
 * The operator's waves (waves.ts) stay the plan; a member that would share a wave with another
 * member of its group moves to the next wave (appended when needed), and waves left empty are
 * dropped so they stay numbered 1, 2, 3… without gaps.
 */
import { assignWaves, type WaveStep } from './waves.js';

export interface Membership {
  group: string;
  state: 'active' | 'standby' | 'offline';
}

/** Standby first: it takes over while the active is upgraded; an offline member serves nobody either way. */
const RANK: Record<Membership['state'], number> = { standby: 0, offline: 1, active: 2 };

export interface PlannedDevice {
  appliance: string;
  wave: number;
}

/**
 * `targets` in rollout order with their waves. A group's members keep the positions the group's
 * members had among the targets, filled standby first; lone appliances keep theirs.
 */
export function planWaves(steps: readonly WaveStep[], targets: readonly string[], membershipOf: (appliance: string) => Membership | null): PlannedDevice[] {
  const ordered = groupOrder(targets, membershipOf);
  const base = assignWaves(steps, ordered.length);
  const lastWave = new Map<string, number>();
  const waves = ordered.map((appliance, i) => {
    const m = membershipOf(appliance);
    if (m === null) return base[i]!;
    const wave = Math.max(base[i]!, (lastWave.get(m.group) ?? 0) + 1);
    lastWave.set(m.group, wave);
    return wave;
  });
  const numbers = [...new Set(waves)].sort((a, b) => a - b);
  return ordered.map((appliance, i) => ({ appliance, wave: numbers.indexOf(waves[i]!) + 1 }));
}

function groupOrder(targets: readonly string[], membershipOf: (appliance: string) => Membership | null): string[] {
  const byGroup = new Map<string, string[]>();
  for (const t of targets) {
    const m = membershipOf(t);
    if (m !== null) byGroup.set(m.group, [...(byGroup.get(m.group) ?? []), t]);
  }
  for (const members of byGroup.values()) members.sort((a, b) => RANK[membershipOf(a)!.state] - RANK[membershipOf(b)!.state]);
  const next = new Map<string, number>();
  return targets.map((t) => {
    const m = membershipOf(t);
    if (m === null) return t;
    const i = next.get(m.group) ?? 0;
    next.set(m.group, i + 1);
    return byGroup.get(m.group)![i]!;
  });
}

/** The size of each wave of a plan, in wave order. */
export function plannedWaveSizes(plan: readonly PlannedDevice[]): number[] {
  const sizes: number[] = [];
  for (const d of plan) sizes[d.wave - 1] = (sizes[d.wave - 1] ?? 0) + 1;
  return sizes;
}
