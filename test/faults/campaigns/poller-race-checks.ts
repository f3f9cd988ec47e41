/**
 * What the poller-race campaign checks once both `fulcrum monitor` processes are gone: their
 * cycles (the --json lines) never overlap in time and change hands at most once; a standby took
 * over soon after the holder went; and the store holds exactly one sample frame for every frame a
 * printed cycle wrote, per appliance and second, and no other (a holder SIGKILLed may have
 * written the frames of a cycle it never got to print: at most one per appliance, before the kill).
 */

import { ensure } from '../campaign.js';

/** One `fulcrum monitor --json` line, with which process printed it. */
export interface Cycle {
  owner: number;
  at: number;
  polled: number;
  failed: number;
  points: number;
  ms: number;
}

/** What the campaign saw of one process. */
export interface Seen {
  startedAt: number;
  /** When it was sent SIGKILL or SIGTERM, if it was. */
  killedAt: number | null;
  signal: 'SIGKILL' | 'SIGTERM' | null;
  exitedAt: number;
  standby: boolean;
  cycles: Cycle[];
}

/** Clocks of two processes on one host agree to the millisecond; `ms` is rounded. */
const SLACK_MS = 2;
/** A standby tries the lease every 500 ms; a pid gone on this host frees it at once (the lease itself lasts 30 s). */
export const TAKEOVER_MS = 2_500;
/** Generous for reading a two-appliance inventory (SQLite, secrets unsealed) before a cycle's polls. */
const LISTING_MS = 250;

const end = (c: Cycle) => c.at + c.ms;

/** At no instant two pollers: cycles of different processes never overlap, and polling changes hands at most once. */
export function checkExclusive(all: readonly Cycle[], seen: readonly Seen[]): { holder: number | null; switches: number } {
  const sorted = [...all].sort((a, b) => a.at - b.at);
  let switches = 0;
  for (let i = 1; i < sorted.length; i++) {
    const [prev, next] = [sorted[i - 1]!, sorted[i]!];
    if (prev.owner === next.owner) continue;
    switches++;
    ensure(
      end(prev) <= next.at + SLACK_MS,
      () => `both polled at once: process ${prev.owner}'s cycle at ${prev.at} ran ${prev.ms} ms, process ${next.owner}'s began at ${next.at}`,
    );
    const gone = seen[prev.owner]!;
    if (gone.signal === 'SIGKILL')
      ensure(
        next.at + SLACK_MS >= gone.killedAt!,
        () => `process ${next.owner} polled at ${next.at}, before process ${prev.owner} was killed at ${gone.killedAt}`,
      );
  }
  ensure(switches <= 1, () => `polling changed hands ${switches} times: ${sorted.map((c) => c.owner).join('')}`);
  return { holder: sorted[0]?.owner ?? null, switches };
}

/**
 * A standby still running when the holder went, with time left, takes over within TAKEOVER_MS.
 * Returns whether a takeover was due (and so checked).
 */
export function checkTakeover(seen: readonly Seen[], holder: number | null): boolean {
  if (holder === null) return false;
  const h = seen[holder]!;
  const s = seen[1 - holder]!;
  if (!s.standby || s.signal !== null) return false;
  const goneAt = h.killedAt ?? h.exitedAt;
  // The standby's --for runs out at its exit: it needs a moment after the holder went to poll at all.
  const from = Math.max(goneAt, s.startedAt);
  if (s.exitedAt - from < TAKEOVER_MS + 1_000) return false;
  const first = s.cycles[0];
  ensure(first !== undefined, () => `the standby never polled: the holder went at ${goneAt}, the standby ran until ${s.exitedAt}`);
  ensure(first.at - from <= TAKEOVER_MS, () => `the standby took ${first.at - from} ms to take over after the holder went (at ${goneAt})`);
  return true;
}

/**
 * Every printed cycle's frames are in the store, once, in the seconds the cycle ran; no frame is
 * there that no cycle wrote. `rows` are the stored frame times (s) of each appliance;
 * `pointsPerFrame` is how many points one appliance's frame holds. A cycle writes one frame per
 * appliance, except for an appliance polled twice in one second (the recorder keeps the first):
 * its line's point count says how many. Which frame is whose is a matching problem (a cycle
 * near a second's end may write into the next one), solved exactly: frames and cycles in time
 * order, each cycle taking as many frames as it wrote, at most one per appliance.
 */
export function checkSamples(
  all: readonly Cycle[],
  seen: readonly Seen[],
  rows: ReadonlyMap<string, number[]>,
  pointsPerFrame: number,
): { frames: number; unprinted: number } {
  const cycles = [...all].sort((a, b) => a.at - b.at);
  const lists = [...rows.values()].map((t) => [...t].sort((a, b) => a - b));
  for (const [appliance, times] of rows) ensure(new Set(times).size === times.length, () => `${appliance}: two frames for one second`);
  const claims = cycles.map((c) => {
    ensure(c.points % pointsPerFrame === 0, () => `process ${c.owner}'s cycle at ${c.at} wrote ${c.points} points, not whole frames of ${pointsPerFrame}`);
    return c.points / pointsPerFrame;
  });
  const lo = (c: Cycle) => Math.floor(c.at / 1000);
  // A cycle's `at` is taken before monitor lists the inventory, and its `ms` counts the polls only: its frames may come a little after at + ms.
  const hi = (c: Cycle) => Math.floor((end(c) + LISTING_MS) / 1000);
  // A SIGKILL between a cycle's write and its line leaves that cycle's frames unclaimed: after the victim's last line, not after the kill.
  const unclaimed = (ts: number) =>
    seen.some((p) => p.signal === 'SIGKILL' && ts <= Math.floor(p.killedAt! / 1000) && ts >= Math.floor((p.cycles.at(-1)?.at ?? p.startedAt) / 1000));

  // States after each cycle: how far into each appliance's frames, and how many frames were left unclaimed.
  type State = { pos: number[]; stray: number };
  const key = (st: State) => `${st.pos.join(',')}/${st.stray}`;
  const skipStrays = (st: State): State[] => {
    const out = [st];
    for (let k = 0; k < lists.length; k++)
      for (const s of [...out]) {
        const ts = lists[k]![s.pos[k]!];
        if (ts !== undefined && unclaimed(ts) && s.stray < lists.length) out.push({ pos: s.pos.map((p, j) => (j === k ? p + 1 : p)), stray: s.stray + 1 });
      }
    return out;
  };
  let states = new Map([[key({ pos: lists.map(() => 0), stray: 0 }), { pos: lists.map(() => 0), stray: 0 }]]);
  cycles.forEach((c, i) => {
    const next = new Map<string, State>();
    for (const start of states.values())
      for (const st of skipStrays(start))
        for (let mask = 0; mask < 1 << lists.length; mask++) {
          const take = lists.map((_, k) => (mask >> k) & 1);
          if (take.reduce((a, b) => a + b, 0) !== claims[i]) continue;
          const fits = take.every((t, k) => t === 0 || ((ts) => ts !== undefined && ts >= lo(c) && ts <= hi(c))(lists[k]![st.pos[k]!]));
          if (fits) {
            const to = { pos: st.pos.map((p, k) => p + take[k]!), stray: st.stray };
            next.set(key(to), to);
          }
        }
    const shown = () => cycles.map((x, j) => `${x.owner}@${x.at}+${x.ms}:${claims[j]}`).join(' ');
    // The store keeps the first frame of a second (INSERT OR IGNORE): a handover within one second is where a frame would go missing.
    const handover = cycles.findIndex((x, j) => j > 0 && x.owner !== cycles[j - 1]!.owner && hi(cycles[j - 1]!) >= lo(x));
    const why =
      handover > 0
        ? ` (process ${cycles[handover]!.owner} took over at ${cycles[handover]!.at}, within second ${lo(cycles[handover]!)} s, in which process ${cycles[handover - 1]!.owner}'s last cycle wrote its frames)`
        : '';
    ensure(
      next.size > 0,
      () =>
        `the store does not hold the frames as the cycles wrote them, from process ${c.owner}'s cycle at ${c.at} on${why}; cycles (process@at+ms:frames) ${shown()}; stored frames ${[...rows].map(([a, t]) => `${a} ${t.join(',')}`).join('; ')}`,
    );
    states = next;
  });
  const done = [...states.values()].flatMap(skipStrays).find((st) => st.pos.every((p, k) => p === lists[k]!.length));
  ensure(done !== undefined, () => `frames no printed cycle wrote: ${[...rows].map(([a, t]) => `${a} ${t.join(',')}`).join('; ')}`);
  return { frames: claims.reduce((a, b) => a + b, 0), unprinted: done.stray };
}
