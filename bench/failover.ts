/**
 * A failover pair under traffic: two `fulcrum sim start` processes in one group on one host,
 * one VIP, a client opening a new TCP connection every 10 ms through it, and the active member
 * SIGKILLed. How long the VIP was unavailable (last success before the kill to first success
 * after), how many connections failed meanwhile, and what share of sticky clients kept their
 * backend — beside keepalived's master-down interval at its defaults (RFC 5798 §6.1:
 * 3 × Advertisement_Interval + Skew_Time, 1 s adverts and priority 100: ≈ 3.61 s), cited, not run.
 * Then a group-aware rollout over four pairs under the same probe: per pair, the connections that
 * failed and the longest stretch without service (all of it at the failovers the rollout makes).
 */
import { DEFAULT_INTERVAL_MS, masterDownMs } from '../firmware/failover/group-config.js';
import { FailoverPair, outage, PRIORITIES, probe, request, stickyAddresses } from '../sim/pair/failover-pair.js';
import { median } from './lib/measure.js';
import { rolloutUnderTraffic } from './lib/pair-rollout.js';
import { result, type Result } from './lib/report.js';

const ROUNDS = 3;
const ROLLOUT_PAIRS = 4;
const STICKY_CLIENTS = 200;
const PROBE_EVERY_MS = 10;
const KEEPALIVED_MS = masterDownMs(100, 1_000);
const OURS_MS = masterDownMs(PRIORITIES[1], DEFAULT_INTERVAL_MS);

export const title = 'Failover: a pair of simulators, the active SIGKILLed under traffic';

export const notes = [
  'Two `fulcrum sim start --group pair` processes on 127.0.0.1 sharing one VIP port (unit 1 priority 200, unit 2 priority 100, default heartbeats every ' +
    `${DEFAULT_INTERVAL_MS} ms over UDP and a serial failover cable of two PTY pairs), three real HTTP backends, round robin with source-IP persistence.`,
  `A probe opens a new TCP connection (HTTP GET, Connection: close, 1 s timeout) every ${PROBE_EVERY_MS} ms through the VIP; after 0.5 s the active is SIGKILLed. ` +
    'Unavailable time: from the end of the last successful request before the kill to the end of the first successful one begun after it. Failed: requests that failed in that window.',
  `Sticky share: ${STICKY_CLIENTS} clients, each from its own loopback source address (127.0.1.x), make one request before the kill and one after it (in the reverse order); the share that got the same backend.`,
  `Expected: the standby's master-down interval, 3 × ${DEFAULT_INTERVAL_MS} ms + skew (priority ${PRIORITIES[1]}) = ${OURS_MS.toFixed(0)} ms, plus the time to bind the VIP. ` +
    `Peer: keepalived's master-down at its defaults (advert_int 1 s, priority 100), ${KEEPALIVED_MS.toFixed(0)} ms by RFC 5798's formula; cited, not measured.`,
  `Each figure is the median of ${ROUNDS} rounds, each on a fresh pair.`,
  `Rollout: ${ROLLOUT_PAIRS} fresh pairs (8 processes, default heartbeats and preemption, consoles at 921600 baud, no serial cable), firmware 1.0.0 → 1.1.0 (24 KiB, signed) by the group-aware rollout ` +
    `(waves 100%, ${ROLLOUT_PAIRS} at a time: the standbys, then each group failed over and its other member upgraded; that member preempts back when it returns), ` +
    `the probe running through every VIP from just before the rollout to 0.5 s after it. Per pair: failed connections, and the longest stretch from the last success before a failure to the first success after it. One run.`,
];

interface Round {
  unavailableMs: number;
  failed: number;
  stickyShare: number;
}

async function round(): Promise<Round> {
  const pair = await FailoverPair.start();
  try {
    const [primary, secondary] = pair.members;
    await primary.waitFor((e) => e.type === 'failover-services' && e.listening === true);
    const sticky = stickyAddresses(STICKY_CLIENTS);
    const before = new Map<string, string>();
    for (const a of sticky) before.set(a, await request(pair.vip, a));
    await new Promise((r) => setTimeout(r, 1_000));
    const traffic = probe(pair.vip, PROBE_EVERY_MS);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = performance.now();
    await primary.kill('SIGKILL');
    await secondary.waitFor((e) => e.type === 'failover-services' && e.listening === true);
    await new Promise((r) => setTimeout(r, 500));
    const attempts = await traffic.stop();
    const o = outage(attempts, killedAt);
    if (!o) throw new Error('the VIP did not come back after the kill');
    let kept = 0;
    for (const a of [...sticky].reverse()) if ((await request(pair.vip, a)) === before.get(a)) kept++;
    return { ...o, stickyShare: (100 * kept) / sticky.length };
  } finally {
    await pair.stop();
  }
}

export async function run(): Promise<Result[]> {
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round());
  const pairs = await rolloutUnderTraffic(ROLLOUT_PAIRS, PROBE_EVERY_MS);
  return [
    result({
      name: 'VIP unavailable after SIGKILL of the active (median)',
      value: median(rounds.map((r) => r.unavailableMs)),
      unit: 'ms',
      better: 'lower',
      peer: { name: "keepalived's master-down at defaults (RFC 5798, cited)", value: KEEPALIVED_MS },
      goal: { value: 1_000 },
    }),
    result({
      name: 'VIP unavailable, worst round',
      value: Math.max(...rounds.map((r) => r.unavailableMs)),
      unit: 'ms',
      better: 'lower',
    }),
    result({
      name: `connections failed during the outage (one every ${PROBE_EVERY_MS} ms, median)`,
      value: median(rounds.map((r) => r.failed)),
      unit: 'connections',
      better: 'lower',
    }),
    result({
      name: 'sticky clients on their backend after the failover (worst round)',
      value: Math.min(...rounds.map((r) => r.stickyShare)),
      unit: '%',
      better: 'higher',
      goal: { value: 99 },
    }),
    ...pairs.flatMap((p) => [
      result({
        name: `rollout over ${ROLLOUT_PAIRS} pairs: ${p.group}, connections failed (of ${p.attempts})`,
        value: p.failed,
        unit: 'connections',
        better: 'lower',
      }),
      result({
        name: `rollout over ${ROLLOUT_PAIRS} pairs: ${p.group}, longest unavailable`,
        value: p.longestUnavailableMs,
        unit: 'ms',
        better: 'lower',
      }),
    ]),
  ];
}
