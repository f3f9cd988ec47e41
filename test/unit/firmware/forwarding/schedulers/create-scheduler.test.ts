import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../../../../src/protocol/rules/model.js';
import { createRandom } from '../../../../../firmware/forwarding/flow/random.js';
import { Maglev } from '../../../../../firmware/forwarding/schedulers/maglev.js';
import { createScheduler } from '../../../../../firmware/forwarding/schedulers/index.js';
import { makePool } from './pool.js';

describe('createScheduler', () => {
  it.each(ALGORITHMS)('builds %s under its own name', (algorithm) => {
    const scheduler = createScheduler(algorithm, makePool([1, 1]), { random: createRandom(1) });
    expect(scheduler.algorithm).toBe(algorithm);
  });

  it('defaults maglev to a table of 65,537 and honours another prime', () => {
    const pool = makePool([1, 1]);
    expect((createScheduler('maglev', pool, { random: createRandom(1) }) as Maglev).tableSize).toBe(65_537);
    expect((createScheduler('maglev', pool, { random: createRandom(1), tableSize: 251 }) as Maglev).tableSize).toBe(251);
  });

  it.each(ALGORITHMS)('%s picks only eligible backends of positive weight, or -1 when there is none', (algorithm) => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ weight: fc.constantFrom(0, 1, 2, 7, 65_535), candidate: fc.boolean(), full: fc.boolean(), active: fc.nat(20) }), {
          maxLength: 12,
        }),
        fc.array(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 20 }),
        (backends, hashes) => {
          const pool = makePool(backends.map((b) => b.weight));
          backends.forEach((b, i) => {
            pool.active[i] = b.active;
            pool.connectEwmaMs[i] = b.active % 3;
          });
          const scheduler = createScheduler(algorithm, pool, { random: createRandom(hashes[0]!), tableSize: 251 });
          // Candidates come from the runtime, which never offers weight 0; eligible may be sloppier.
          scheduler.update(Uint8Array.from(backends, (b) => (b.candidate && b.weight > 0 ? 1 : 0)));
          const eligible = Uint8Array.from(backends, (b) => (b.candidate && !b.full ? 1 : 0));
          const any = backends.some((b) => b.candidate && !b.full && b.weight > 0);
          for (const h of hashes) {
            const b = scheduler.pick(h, eligible);
            if (!any) expect(b).toBe(-1);
            else {
              expect(b).toBeGreaterThanOrEqual(0);
              expect(eligible[b]).toBe(1);
              expect(pool.weights[b]).toBeGreaterThan(0);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
