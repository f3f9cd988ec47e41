/**
 * What a heap snapshot (.heapsnapshot, as node:v8's writeHeapSnapshot writes it) holds, by kind
 * of object: for each node type and constructor (or string, array, code…) the count and the
 * bytes the objects themselves take (self size, not what they keep alive), largest first.
 *
 *   node dist/bench/lib/heap-summary.js FILE [--top N]
 *
 * For memory work on the agent (bench/poll-memory.ts, FULCRUM_MEMORY_PROBE_SNAPSHOT).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '40' } }, allowPositionals: true });
const file = positionals[0];
if (!file) throw new Error('usage: heap-summary FILE [--top N]');
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const width = fields.length;
const at = (name: string) => {
  const i = fields.indexOf(name);
  if (i < 0) throw new Error(`${file}: no node field ${name}`);
  return i;
};
const [typeAt, nameAt, sizeAt] = [at('type'), at('name'), at('self_size')];
const totals = new Map<string, { count: number; bytes: number }>();
let all = 0;
for (let i = 0; i < snap.nodes.length; i += width) {
  const type = types[snap.nodes[i + typeAt]!]!;
  // Strings and code are many distinct names: one line per type for those.
  const named = type === 'object' || type === 'closure' || type === 'native';
  const key = named ? `${type} ${snap.strings[snap.nodes[i + nameAt]!]}` : type;
  const size = snap.nodes[i + sizeAt]!;
  const t = totals.get(key) ?? { count: 0, bytes: 0 };
  t.count++;
  t.bytes += size;
  totals.set(key, t);
  all += size;
}
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(`${mb(all)} MB in ${snap.nodes.length / width} objects`);
for (const [key, t] of [...totals].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top)))
  console.log(`${mb(t.bytes).padStart(8)} MB ${String(t.count).padStart(9)}  ${key}`);
