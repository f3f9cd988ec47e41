/**
 * Forwarding core: the per-flow decisions (Maglev, smooth WRR), Maglev's table, and the
 * connection table, each beside the npm package or figure a user would compare it with.
 */
import ConsistentHash from 'consistent-hash';
import HashRing from 'hashring';
import WeightedRoundRobinPeers from 'weighted-round-robin';
import { FlowTable } from '../firmware/forwarding/flow/flow-table.js';
import { hashFlow4, hashString } from '../firmware/forwarding/flow/hash.js';
import { createRandom } from '../firmware/forwarding/flow/random.js';
import { Maglev } from '../firmware/forwarding/schedulers/maglev.js';
import { SmoothWeightedRoundRobin } from '../firmware/forwarding/schedulers/weighted-round-robin.js';
import { duration, rate } from './lib/measure.js';
import { allCandidates, makePool } from './lib/pool.js';
import { result, type Result } from './lib/report.js';

export const title = 'Forwarding core: scheduling and connection table';

export const notes = [
  'Maglev hashes the 5-tuple as the parser holds it, as numbers; the peers accept only strings, ' +
    'so they are given the same flows as text, built before timing. "maglev pick from the string key" is the like-for-like row.',
  "hashring's per-key LRU cache is replaced by a no-op so that every get() does the lookup.",
  'consistent-hash places its ring points with Math.random, so its key-load figure changes from run to run.',
  'Smooth WRR: both implementations interleave the same way (nginx); the peer has no per-pick eligibility mask.',
  'Maglev build and disruption: the paper figures are cited (C++, their hardware), not run here.',
  'Flow table at 1M entries: every lookup misses the CPU caches, so the rate is set by how many misses the CPU ' +
    'overlaps; on a small VM it varies by up to 2× between runs. The 10k-entry row shows the cost of the code itself, ' +
    'the memory-ceiling row what the memory system gives with no work between reads.',
];

const TABLE_SIZE = 65_537;
const BACKENDS = 100;
/** Distinct flows looked up in the speed runs, as in FACTS' peer figures. */
const LOOKUP_KEYS = 200_000;
/** Flows counted for load quality. */
const LOAD_KEYS = 1_000_000;
const VIP = 0xc000020a; // 192.0.2.10
const VIP_PORT = 443;
const TCP = 6;

interface Flows {
  count: number;
  srcIp: Uint32Array;
  srcPort: Uint16Array;
  /** The same flows as text, for the peers, which hash strings only. Built before any timing. */
  text: string[];
}

function ipText(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Distinct client flows to one VIP: 10.0.0.0/8 sources (a bijection of the index, so no repeats), random ports. */
function makeFlows(count: number): Flows {
  const random = createRandom(2016);
  const srcIp = new Uint32Array(count);
  const srcPort = new Uint16Array(count);
  const text = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    srcIp[i] = (0x0a000000 | (Math.imul(i, 0x9e3779b1) & 0xffffff)) >>> 0;
    srcPort[i] = 1024 + Math.floor(random() * 64_512);
    text[i] = `${ipText(srcIp[i]!)}:${srcPort[i]}-${ipText(VIP)}:${VIP_PORT}/tcp`;
  }
  return { count, srcIp, srcPort, text };
}

function maxOverMean(counts: ArrayLike<number>): number {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    max = Math.max(max, counts[i]!);
    sum += counts[i]!;
  }
  return max / (sum / counts.length);
}

function consistentHashPeers(pool: { keys: readonly string[] }) {
  const ring = new ConsistentHash();
  for (const key of pool.keys) ring.add(key);
  // hashring caches answers per key: replace its cache so every get() does the lookup.
  const hashring = new HashRing([...pool.keys]);
  hashring.cache = { get: () => undefined, set: () => {} };
  return { ring, hashring };
}

function consistentHashing(flows: Flows): Result[] {
  const pool = makePool(new Array<number>(BACKENDS).fill(1));
  const eligible = allCandidates(BACKENDS);
  const maglev = new Maglev(pool, TABLE_SIZE);
  maglev.update(eligible);
  const { ring, hashring } = consistentHashPeers(pool);
  const index = new Map(pool.keys.map((k, i) => [k, i]));
  const { srcIp, srcPort, text } = flows;

  // Each timed call resumes where the last stopped, so every call cycles through all the keys.
  const loop = (pick: (j: number) => number) => {
    let j = 0;
    return (n: number) => {
      let acc = 0;
      for (let i = 0; i < n; i++) {
        acc += pick(j);
        if (++j === LOOKUP_KEYS) j = 0;
      }
      return acc;
    };
  };
  const maglevRate = rate(loop((j) => maglev.pick(hashFlow4(srcIp[j]!, srcPort[j]!, VIP, VIP_PORT, TCP), eligible)));
  const maglevTextRate = rate(loop((j) => maglev.pick(hashString(text[j]!), eligible)));
  const ringRate = rate(loop((j) => ring.get(text[j]!)!.length));
  const hashringRate = rate(
    loop((j) => hashring.get(text[j]!)!.length),
    { repeats: 5 },
  );
  const fastest = ringRate >= hashringRate ? { name: 'consistent-hash', value: ringRate } : { name: 'hashring', value: hashringRate };

  // Load: the table's shares, then the keys each actually receives.
  const entries = new Float64Array(BACKENDS);
  for (const b of maglev.table) entries[b]!++;
  const maglevLoad = new Float64Array(BACKENDS);
  const ringLoad = new Float64Array(BACKENDS);
  const hashringLoad = new Float64Array(BACKENDS);
  for (let j = 0; j < flows.count; j++) {
    maglevLoad[maglev.pick(hashFlow4(srcIp[j]!, srcPort[j]!, VIP, VIP_PORT, TCP), eligible)]!++;
    ringLoad[index.get(ring.get(text[j]!)!)!]!++;
    hashringLoad[index.get(hashring.get(text[j]!)!)!]!++;
  }
  const ringImbalance = maxOverMean(ringLoad);
  const hashringImbalance = maxOverMean(hashringLoad);
  const bestPeer = ringImbalance <= hashringImbalance ? { name: 'consistent-hash', value: ringImbalance } : { name: 'hashring', value: hashringImbalance };
  const keys = `${flows.count / 1e6}M keys, ${BACKENDS} backends`;

  return [
    result({
      name: 'maglev pick incl. 5-tuple hash (200k flows)',
      value: maglevRate,
      unit: 'lookups/s',
      better: 'higher',
      peer: fastest,
      goal: { ratio: 3 },
    }),
    result({ name: 'maglev pick from the string key', value: maglevTextRate, unit: 'lookups/s', better: 'higher', peer: fastest }),
    result({ name: 'consistent-hash get (string key)', value: ringRate, unit: 'lookups/s', better: 'higher' }),
    result({ name: 'hashring get, cache off (string key)', value: hashringRate, unit: 'lookups/s', better: 'higher' }),
    result({
      name: `maglev table share max/mean (${BACKENDS} backends, M=${TABLE_SIZE})`,
      value: maxOverMean(entries),
      unit: 'max/mean',
      better: 'lower',
      goal: { value: 1.02 },
    }),
    result({ name: `maglev key load max/mean (${keys})`, value: maxOverMean(maglevLoad), unit: 'max/mean', better: 'lower', peer: bestPeer }),
    result({ name: `consistent-hash key load max/mean (${keys})`, value: ringImbalance, unit: 'max/mean', better: 'lower' }),
    result({ name: `hashring key load max/mean (${keys})`, value: hashringImbalance, unit: 'max/mean', better: 'lower' }),
  ];
}

function smoothWeightedRoundRobin(): Result[] {
  const weights = [5, 3, 2, 1, 1];
  const pool = makePool(weights);
  const eligible = allCandidates(weights.length);
  const wrr = new SmoothWeightedRoundRobin(pool);
  const peers = new WeightedRoundRobinPeers();
  weights.forEach((weight, i) => peers.add({ id: `b${i}`, weight }));
  const ours = rate((n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += wrr.pick(0, eligible);
    return acc;
  });
  const theirs = rate((n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += peers.get()!.weight;
    return acc;
  });
  return [
    result({
      name: `smooth WRR pick (${weights.length} backends, weights ${weights.join(',')})`,
      value: ours,
      unit: 'picks/s',
      better: 'higher',
      peer: { name: 'weighted-round-robin', value: theirs },
      goal: { value: 10e6 },
    }),
  ];
}

function maglevTable(): Result[] {
  const n = 1_000;
  const candidates = allCandidates(n);
  const equal = new Maglev(makePool(new Array<number>(n).fill(1)), TABLE_SIZE);
  const random = createRandom(7);
  const weighted = new Maglev(makePool(Array.from({ length: n }, () => 1 + Math.floor(random() * 100))), TABLE_SIZE);
  const build = (maglev: Maglev) => () => {
    maglev.update(candidates);
    return maglev.table[0]!;
  };
  const equalMs = duration(build(equal));
  const weightedMs = duration(build(weighted));

  // Disruption: rebuild without one backend, count entries that changed; mean over several.
  equal.update(candidates);
  const before = equal.table.slice();
  let changed = 0;
  const trials = 10;
  for (let t = 0; t < trials; t++) {
    const without = candidates.slice();
    without[t * 97] = 0;
    equal.update(without);
    for (let i = 0; i < TABLE_SIZE; i++) if (equal.table[i] !== before[i]) changed++;
  }
  const paper = 'Maglev paper, C++ (cited, not run)';
  return [
    result({
      name: `maglev table build, N=${n}, M=${TABLE_SIZE}, equal weights`,
      value: equalMs,
      unit: 'ms',
      better: 'lower',
      peer: { name: paper, value: 1.8 },
      goal: { value: 5 },
    }),
    result({ name: `maglev table build, N=${n}, weights 1–100`, value: weightedMs, unit: 'ms', better: 'lower', goal: { value: 5 } }),
    result({
      name: `maglev entries moved removing 1 of ${n} (ideal 0.1%)`,
      value: (100 * changed) / (trials * TABLE_SIZE),
      unit: '%',
      better: 'lower',
      peer: { name: 'Maglev paper (cited)', value: 0.64 },
    }),
  ];
}

interface LookupRates {
  table: number;
  map: number;
}

/** Lookups/s of the flow table and of a Map holding the same `entries` flows, probed in a random order. */
function lookupRates(entries: number): LookupRates {
  const random = createRandom(42);
  // Flows as the parser would hand them over: [service, IPv4 source, source port].
  const keys = new Uint32Array(entries * 3);
  for (let i = 0; i < entries; i++) {
    keys[i * 3] = i & 3;
    keys[i * 3 + 1] = (0x0a000000 | (Math.imul(i, 0x9e3779b1) & 0xffffff)) >>> 0;
    keys[i * 3 + 2] = 1024 + Math.floor(random() * 64_512);
  }
  const now = 1_000;
  const table = new FlowTable({ keyWords: 3, maxEntries: entries, idleTimeoutMs: 300_000 });
  for (let i = 0; i < entries; i++) table.set(keys.subarray(i * 3, i * 3 + 3), i, now);
  // The Map's best case: a number key (service · 2^48 + address · 2^16 + port is exact below 2^53).
  const numberKey = (k: Uint32Array, at: number) => k[at]! * 2 ** 48 + k[at + 1]! * 65_536 + k[at + 2]!;
  const map = new Map<number, number>();
  for (let i = 0; i < entries; i++) map.set(numberKey(keys, i * 3), i);

  // Lookups in a random order, laid out in that order: the table is hit at random, as on a busy
  // box, while the incoming keys stream from memory as packets do.
  const order = shuffled(entries, random);
  const lookups = new Uint32Array(entries * 3);
  order.forEach((i, c) => lookups.set(keys.subarray(i * 3, i * 3 + 3), c * 3));

  const key = new Uint32Array(3);
  let next = 0;
  const ours = rate((n) => {
    let acc = 0;
    for (let c = 0; c < n; c++) {
      key[0] = lookups[next]!;
      key[1] = lookups[next + 1]!;
      key[2] = lookups[next + 2]!;
      acc += table.get(key, now);
      next += 3;
      if (next === lookups.length) next = 0;
    }
    return acc;
  });
  let nextForMap = 0;
  const theirs = rate((n) => {
    let acc = 0;
    for (let c = 0; c < n; c++) {
      acc += map.get(numberKey(lookups, nextForMap))!;
      nextForMap += 3;
      if (nextForMap === lookups.length) nextForMap = 0;
    }
    return acc;
  });
  return { table: ours, map: theirs };
}

function shuffled(n: number, random: () => number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * The memory system's ceiling for a lookup that misses the cache once: independent random
 * 4-byte reads over an array the size of the million-entry table (48 MB).
 */
function randomReadRate(): number {
  const words = 12 * 1024 * 1024;
  const data = new Uint32Array(words).fill(1);
  const random = createRandom(3);
  const at = Uint32Array.from({ length: 1 << 20 }, () => Math.floor(random() * words));
  let next = 0;
  return rate((n) => {
    let acc = 0;
    for (let c = 0; c < n; c++) {
      acc += data[at[next]!]!;
      if (++next === at.length) next = 0;
    }
    return acc;
  });
}

function connectionTable(): Result[] {
  const large = lookupRates(1_000_000);
  const small = lookupRates(10_000);
  return [
    result({
      name: 'flow-table get at 1M entries (3-word key, touches last-seen)',
      value: large.table,
      unit: 'lookups/s',
      better: 'higher',
      peer: { name: 'Map, number key', value: large.map },
      goal: { value: 10e6 },
    }),
    result({
      name: 'flow-table get at 10k entries (cache-resident)',
      value: small.table,
      unit: 'lookups/s',
      better: 'higher',
      peer: { name: 'Map, number key', value: small.map },
    }),
    result({ name: 'memory ceiling: independent random reads over 48 MB', value: randomReadRate(), unit: 'reads/s', better: 'higher' }),
  ];
}

export async function run(): Promise<Result[]> {
  // The parts that build a million keys run last, so the others meet a small, quiet heap.
  const wrr = smoothWeightedRoundRobin();
  const table = maglevTable();
  const connections = connectionTable();
  const hashing = consistentHashing(makeFlows(LOAD_KEYS));
  return [...hashing, ...wrr, ...table, ...connections];
}
