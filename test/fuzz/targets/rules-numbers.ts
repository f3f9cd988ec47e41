/**
 * Fuzzes the numeric fields of a rule table — weights, connection limits, rise/fall, maglev
 * table sizes, status codes, ports and durations — with huge, negative, fractional, hex, octal,
 * exponent, NaN-like and zero-padded spellings, in block YAML and in JSON. One field of a valid
 * table is rewritten at a time, so whatever happens is that field's doing. Promised: loadRules
 * gives a table or a RulesError whose problems include that field's path, never anything else;
 * a field is accepted exactly when its value (as YAML 1.2 reads it) is an integer or duration
 * within the field's documented range, and then holds that very value: never NaN, Infinity, a
 * fraction, or a number rounded on the way.
 */

import fc from 'fast-check';
import { parse } from 'yaml';
import { durationProblem } from '../../../src/protocol/rules/duration.js';
import { canonicalProblems, parseDuration, parseEndpoint, type Service } from '../../../src/protocol/rules/index.js';
import { DURATION_LIMITS, isPrime, MAX_CONNECTIONS_MAX, WEIGHT_MAX } from '../../../src/protocol/rules/limits.js';
import { loadRules, RulesError } from '../../../src/rules/index.js';
import { ensure, expectOnly, target } from '../target.js';
import { durationText, numberText, portText } from './number-inputs.js';

type Kind = 'int' | 'duration' | 'port' | 'status';

interface Field {
  path: string;
  kind: Kind;
  min: number;
  max: number;
  /** What the canonical table holds for it. */
  read: (s: Service) => number;
  prime?: true;
}

const b0 = (s: Service) => s.backends[0]!;
const portOf = (endpoint: string | null) => (endpoint === null ? NaN : parseEndpoint(endpoint).port);

const FIELDS: Record<string, Field> = {
  weight: { path: 'services[0].backends[0].weight', kind: 'int', min: 0, max: WEIGHT_MAX, read: (s) => b0(s).weight },
  maxc: { path: 'services[0].backends[0].max-connections', kind: 'int', min: 0, max: MAX_CONNECTIONS_MAX, read: (s) => b0(s).maxConnections },
  rise: { path: 'services[0].health.rise', kind: 'int', min: 1, max: 255, read: (s) => s.health!.rise },
  fall: { path: 'services[0].health.fall', kind: 'int', min: 1, max: 255, read: (s) => s.health!.fall },
  maglev: { path: 'services[0].maglev-table-size', kind: 'int', min: 251, max: 1_000_003, read: (s) => s.maglevTableSize, prime: true },
  expect: { path: 'services[0].health.expect', kind: 'status', min: 100, max: 599, read: (s) => s.health!.expectStatus[0] },
  // The table's interval is 1h and its timeout 10ms, the ends of their ranges: any timing in range passes the timeout ≤ interval rule.
  interval: { path: 'services[0].health.interval', kind: 'duration', ...DURATION_LIMITS.healthInterval, read: (s) => s.health!.intervalMs },
  timeout: { path: 'services[0].health.timeout', kind: 'duration', ...DURATION_LIMITS.healthTimeout, read: (s) => s.health!.timeoutMs },
  persistence: { path: 'services[0].persistence.timeout', kind: 'duration', ...DURATION_LIMITS.persistenceTimeout, read: (s) => s.persistence!.timeoutMs },
  idle: { path: 'services[0].idle-timeout', kind: 'duration', ...DURATION_LIMITS.idleTimeout, read: (s) => s.idleTimeoutMs },
  listen: { path: 'services[0].listen', kind: 'port', min: 1, max: 65_535, read: (s) => portOf(s.listen) },
  address: { path: 'services[0].backends[0].address', kind: 'port', min: 1, max: 65_535, read: (s) => portOf(b0(s).address) },
  fallback: { path: 'services[0].fallback', kind: 'port', min: 1, max: 65_535, read: (s) => portOf(s.fallback) },
};

const BASE: Record<string, string> = {
  weight: '5',
  maxc: '100',
  rise: '2',
  fall: '3',
  maglev: '251',
  expect: '200',
  interval: '1h',
  timeout: '10ms',
  persistence: '5m',
  idle: '5m',
  listen: '80',
  address: '80',
  fallback: '80',
};

function block(v: Record<string, string>): string {
  return `services:
  - name: web
    listen: 10.0.0.1:${v.listen}
    algorithm: maglev
    maglev-table-size: ${v.maglev}
    persistence: { type: source-ip, timeout: ${v.persistence} }
    health: { type: http, interval: ${v.interval}, timeout: ${v.timeout}, rise: ${v.rise}, fall: ${v.fall}, path: /, expect: ${v.expect} }
    idle-timeout: ${v.idle}
    fallback: 10.0.0.9:${v.fallback}
    backends:
      - { address: 10.0.0.2:${v.address}, weight: ${v.weight}, max-connections: ${v.maxc} }
`;
}

/** JSON as an operator or a generator writes it; durations quoted unless `bare` (a number then, or worse). */
function json(v: Record<string, string>, bare: boolean): string {
  const d = (s: string) => (bare ? s : `"${s}"`);
  return `{"services": [{"name": "web", "listen": "10.0.0.1:${v.listen}", "algorithm": "maglev", "maglev-table-size": ${v.maglev},
 "persistence": {"type": "source-ip", "timeout": ${d(v.persistence!)}},
 "health": {"type": "http", "interval": ${d(v.interval!)}, "timeout": ${d(v.timeout!)}, "rise": ${v.rise}, "fall": ${v.fall}, "path": "/", "expect": ${v.expect}},
 "idle-timeout": ${d(v.idle!)}, "fallback": "10.0.0.9:${v.fallback}",
 "backends": [{"address": "10.0.0.2:${v.address}", "weight": ${v.weight}, "max-connections": ${v.maxc}}]}]}`;
}

const input = fc.constantFrom(...Object.keys(FIELDS)).chain((name) => {
  const f = FIELDS[name]!;
  const value = f.kind === 'duration' ? durationText(f.min, f.max) : f.kind === 'port' ? portText : numberText(f.min, f.max);
  return fc.record({ name: fc.constant(name), value, style: fc.constantFrom('block' as const, 'json' as const, 'json-bare' as const) });
});

/** What the field should hold, or null if it must be refused: the value as YAML reads it, judged by the field's documented range. */
function expected(f: Field, text: string, quoted: boolean): number | null {
  if (f.kind === 'port') return /^[0-9]{1,5}$/.test(text) && Number(text) >= f.min && Number(text) <= f.max ? Number(text) : null;
  let value: unknown;
  try {
    value = quoted ? text : parse(`v: ${text}`).v;
  } catch {
    return null;
  }
  if (f.kind === 'duration') {
    if (typeof value !== 'string' || durationProblem(value) !== null) return null;
    const ms = parseDuration(value);
    return ms >= f.min && ms <= f.max ? ms : null;
  }
  // A status may also be a string ("2xx", "200-399"): only its first code is compared here.
  if (f.kind === 'status' && typeof value === 'string') {
    const m = /^([1-5])[xX][xX]$|^([1-5][0-9][0-9])(?:-([1-5][0-9][0-9]))?$/.exec(value);
    if (!m) return null;
    if (m[1]) return Number(m[1]) * 100;
    return m[3] !== undefined && Number(m[3]) < Number(m[2]) ? null : Number(m[2]);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < f.min || value > f.max) return null;
  return f.prime && !isPrime(value) ? null : value;
}

export default target({
  name: 'rules-numbers',
  what: 'loadRules with one numeric field of a valid table (weight, max-connections, rise/fall, maglev size, status, ports, durations) rewritten as huge, negative, fractional, hex, exponent, NaN-like or zero-padded: accepted exactly when in range, holding that value (no NaN, Infinity or rounding); else a RulesError naming the field',
  arbitrary: input,
  check: ({ name, value, style }) => {
    const f = FIELDS[name]!;
    const quoted = style === 'json' && f.kind === 'duration';
    // A text that would end the JSON string it sits in belongs to the block style only.
    if (style !== 'block' && f.kind === 'port' && /["\\]/.test(value)) return;
    const values = { ...BASE, [name]: value };
    const text = style === 'block' ? block(values) : json(values, style === 'json-bare');
    const want = expected(f, value, quoted);
    const r = expectOnly(() => loadRules(text, 'numbers.yaml'), RulesError);
    if (r.error !== undefined) {
      const errors = (r.error as RulesError).errors;
      ensure(want === null, () => `${name}: ${JSON.stringify(value)} (${style}) reads as ${want}, within range, but was refused: ${r.error!.message}`);
      ensure(
        errors.some((e) => e.path === f.path || e.path.startsWith(`${f.path}.`) || e.path.startsWith(`${f.path}[`)),
        () => `${name}: ${JSON.stringify(value)} (${style}) refused without naming ${f.path}: ${r.error!.message}`,
      );
      return;
    }
    const problems = canonicalProblems(r.value);
    ensure(problems.length === 0, () => `loaded a non-canonical table: ${JSON.stringify(problems[0])}`);
    const got = f.read(r.value.services[0]!);
    ensure(want !== null, () => `${name}: ${JSON.stringify(value)} (${style}) should be refused, was accepted as ${got}`);
    ensure(Number.isSafeInteger(got), () => `${name}: ${JSON.stringify(value)} accepted as ${got}`);
    // `-0`, `-0.0` and `-0e0` are held as 0: Object.is tells them apart, as a deep equality would.
    ensure(Object.is(got, want + 0), () => `${name}: ${JSON.stringify(value)} (${style}) reads as ${want}, the table holds ${Object.is(got, -0) ? '-0' : got}`);
  },
});
