/**
 * Who should own each appliance: rendezvous (highest random weight) hashing over the live agents
 * of the appliance's site, with each agent's capacity as a cap. Pure and deterministic — every
 * coordinator computes the same plan from the same view — and stable: an agent joining takes
 * about 1/N of the appliances (those it now scores highest on) and one leaving gives up only its
 * own, because every other appliance's ranking is unchanged (Thaler & Ravishankar, 1998).
 * Caps are filled in name order; an appliance whose site has no agent with room gets null.
 *
 * Bounded loads (Mirrokni, Thorup & Zadimoghaddam, 2018; HAProxy's hash-balance-factor): within
 * a site no agent takes more than BALANCE × its even share while another has room. Plain
 * rendezvous spreads a large fleet evenly but a small one by chance — four appliances on two
 * agents all land on one of them one time in eight, and the agent kept for redundancy then
 * polls nothing. Only when the bound leaves appliances without an owner do capacities alone
 * decide (an agent with a small capacity leaves more to the others).
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

/** An agent takes at most this many times its even share of its site, while another has room. */
export const BALANCE = 1.25;

export function planOwners(appliances: readonly PlanAppliance[], agents: readonly PlanAgent[]): Map<string, string | null> {
  const bySite = new Map<string, PlanAgent[]>();
  for (const a of agents) bySite.set(a.site, [...(bySite.get(a.site) ?? []), a]);
  const perSite = new Map<string, number>();
  for (const a of appliances) perSite.set(a.site, (perSite.get(a.site) ?? 0) + 1);
  const sorted = [...appliances].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const load = new Map<string, number>();
  const plan = new Map<string, string | null>();
  const place = (appliance: PlanAppliance, room: (a: PlanAgent) => number): boolean => {
    const chosen = ranking(appliance.name, bySite.get(appliance.site) ?? []).find((a) => (load.get(a.id) ?? 0) < room(a));
    if (!chosen) return false;
    load.set(chosen.id, (load.get(chosen.id) ?? 0) + 1);
    plan.set(appliance.name, chosen.id);
    return true;
  };
  const bound = (a: PlanAgent) => Math.min(a.capacity, Math.ceil((BALANCE * perSite.get(a.site)!) / bySite.get(a.site)!.length));
  const left = sorted.filter((appliance) => !place(appliance, bound));
  for (const appliance of left) if (!place(appliance, (a) => a.capacity)) plan.set(appliance.name, null);
  return plan;
}
