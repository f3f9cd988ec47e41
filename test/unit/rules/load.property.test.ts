import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { canonicalProblems } from '../../../src/protocol/rules/index.js';
import { loadRules, RulesError } from '../../../src/rules/index.js';
import { ruleTable, toDocument } from '../protocol/rules/arbitraries.js';

type Mapping = Record<string, unknown>;

/** Values that sit on, just past, or far from the edges of what the fields accept. */
const nasty = fc.constantFrom<unknown>(
  -1,
  0,
  1,
  1.5,
  99,
  100,
  255,
  256,
  599,
  600,
  65_535,
  65_536,
  2 ** 32,
  251,
  252,
  65_537,
  1_000_003,
  1_000_033,
  '',
  'x',
  '0ms',
  '9ms',
  '10ms',
  '99ms',
  '100ms',
  '1s',
  '1h',
  '1h1ms',
  '168h',
  '168h1ms',
  '1.5ms',
  '300',
  '0.0.0.0:80',
  '[::]:80',
  '10.0.0.1:80',
  '10.0.0.2:80',
  '256.0.0.1:1',
  '[::1]:0',
  'host:80',
  '/',
  '/ok',
  'no-slash',
  '2xx',
  '6xx',
  '200-199',
  200,
  'tcp',
  'udp',
  'http',
  'maglev',
  'drain',
  'source-ip',
  '5-tuple',
  null,
  true,
  false,
  [],
  {},
  { type: 'tcp' },
  { type: 'http', path: '/' },
  [{ address: '10.0.0.9:1' }],
);

const SERVICE_KEYS = [
  'name',
  'listen',
  'protocol',
  'algorithm',
  'hash-key',
  'maglev-table-size',
  'persistence',
  'health',
  'fallback',
  'idle-timeout',
  'backends',
  'bogus',
];
const HEALTH_KEYS = ['type', 'interval', 'timeout', 'rise', 'fall', 'path', 'expect'];
const BACKEND_KEYS = ['address', 'weight', 'max-connections', 'backup', 'state'];

const edit = fc.record({
  level: fc.constantFrom('service', 'health', 'persistence', 'backend'),
  service: fc.nat(),
  backend: fc.nat(),
  key: fc.nat(),
  value: nasty,
  remove: fc.boolean(),
});

type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

const isMapping = (value: unknown): value is Mapping => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Sets or removes one key somewhere in the document; an earlier edit may have made the spot unreachable. */
function apply(document: { services: Mapping[] }, e: Edit): void {
  const service = document.services[e.service % Math.max(1, document.services.length)];
  if (service === undefined) return;
  const pick = (keys: string[]) => keys[e.key % keys.length]!;
  let target: unknown = service;
  let key = pick(SERVICE_KEYS);
  if (e.level === 'health') [target, key] = [(service.health ??= { type: 'tcp' }), pick(HEALTH_KEYS)];
  if (e.level === 'persistence') [target, key] = [(service.persistence ??= { type: 'source-ip' }), pick(['type', 'timeout'])];
  if (e.level === 'backend') {
    const backends = Array.isArray(service.backends) ? service.backends : [];
    [target, key] = [backends[e.backend % Math.max(1, backends.length)], pick(BACKEND_KEYS)];
  }
  if (!isMapping(target)) return;
  if (e.remove) delete target[key];
  else target[key] = e.value;
}

describe('loadRules on edited documents', () => {
  it('either reports RulesError or returns a valid canonical table; never anything else', () => {
    fc.assert(
      fc.property(ruleTable, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean(), (table, edits, asJson) => {
        const document = toDocument(table) as { services: Mapping[] };
        for (const e of edits) apply(document, e);
        const text = asJson ? JSON.stringify(document) : stringify(document);
        let loaded;
        try {
          loaded = loadRules(text, 'edited.yaml');
        } catch (error) {
          if (!(error instanceof RulesError)) throw error;
          expect(error.errors.length).toBeGreaterThan(0);
          for (const line of error.message.split('\n')) expect(line).toMatch(/^edited\.yaml:\d+:\d+ \S+: \S/);
          return;
        }
        expect(canonicalProblems(loaded)).toEqual([]);
      }),
      { numRuns: 1_500 },
    );
  });
});
