import fc from 'fast-check';
import { encodeRules } from '../../../src/protocol/rules/index.js';
import { PatchError, applyPatch, computePatch } from '../../../src/protocol/rules/patch.js';
import { ruleTable } from '../../unit/protocol/rules/arbitraries.js';
import { mutate, mutations } from '../mutate.js';
import { ensure, expectOnly, sameBytes, target } from '../target.js';

const encoded = ruleTable.map((t) => encodeRules(t));

export default target({
  name: 'rules-patch',
  what: 'applyPatch (delta pushes) on damaged and random patches against a base: bytes or PatchError; an undamaged patch rebuilds its target exactly',
  arbitrary: fc.record({
    base: encoded,
    next: encoded,
    damage: fc.option(mutations(3), { freq: 5 }),
    random: fc.option(fc.uint8Array({ maxLength: 64 }), { freq: 6 }),
  }),
  check: ({ base, next, damage, random }) => {
    const clean = computePatch(base, next);
    const patch = random ?? (damage ? mutate(clean, damage) : clean);
    // A small ceiling keeps a patch that claims a huge result cheap to refuse.
    const r = expectOnly(() => applyPatch(base, patch, { maxResultBytes: 1 << 20 }), PatchError);
    if (r.error) {
      ensure(patch !== clean, () => `an undamaged patch was refused: ${r.error.message}`);
      const { offset } = r.error as PatchError;
      ensure(Number.isInteger(offset) && offset >= 0 && offset <= patch.length, () => `PatchError offset ${offset} outside 0..${patch.length}`);
      return;
    }
    if (patch === clean) ensure(sameBytes(r.value, next), 'an undamaged patch rebuilt something else');
  },
});
