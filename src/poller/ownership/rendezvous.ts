/**
 * Who should own each appliance: rendezvous (highest random weight) hashing over the live agents
 * of the appliance's site, with each agent's capacity as a cap. Pure and deterministic — every
 * coordinator computes the same plan from the same view — and stable: an agent joining takes
 * about 1/N of the appliances (those it now scores highest on) and one leaving gives up only its
 * own, because every other appliance's ranking is unchanged (Thaler & Ravishankar, 1998).
 * Caps are filled in name order; an appliance whose site has no agent with room gets null.
 */

export interface PlanAgent {
  id: string;
  site: string;
  capacity: number;
}

export interface PlanAppliance {
  name: string;
  site: string;
}

/** 32-bit FNV-1a of `text`, then a murmur3 finaliser so that nearby ids spread over the whole range. */
function weight(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Agents of one site by descending weight for `appliance` (ties by id, so the order is total). */
export function ranking(appliance: string, agents: readonly PlanAgent[]): PlanAgent[] {
  return agents
    .map((a) => ({ a, w: weight(`${appliance}\u0000${a.id}`) }))
    .sort((x, y) => y.w - x.w || (x.a.id < y.a.id ? -1 : 1))
    .map((x) => x.a);
}

export function planOwners(appliances: readonly PlanAppliance[], agents: readonly PlanAgent[]): Map<string, string | null> {
  const bySite = new Map<string, PlanAgent[]>();
  for (const a of agents) bySite.set(a.site, [...(bySite.get(a.site) ?? []), a]);
  const load = new Map<string, number>();
  const plan = new Map<string, string | null>();
  for (const appliance of [...appliances].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    const chosen = ranking(appliance.name, bySite.get(appliance.site) ?? []).find((a) => (load.get(a.id) ?? 0) < a.capacity) ?? null;
    if (chosen) load.set(chosen.id, (load.get(chosen.id) ?? 0) + 1);
    plan.set(appliance.name, chosen?.id ?? null);
  }
  return plan;
}
