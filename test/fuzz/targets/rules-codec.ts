import fc from 'fast-check';
import { CodecError, RULES_MAGIC, canonicalProblems, decodeRules, encodeRules } from '../../../src/protocol/rules/index.js';
import { ruleTable } from '../../unit/protocol/rules/arbitraries.js';
import { concat, mutate, mutations } from '../mutate.js';
import { ensure, expectOnly, hex, sameBytes, target } from '../target.js';

const encoded = ruleTable.map((t) => encodeRules(t));

/** Random bytes (some behind a good magic and version), or a valid encoding damaged, spliced with another. */
const input = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.uint8Array({ maxLength: 600 }).map((b) => concat(RULES_MAGIC, Uint8Array.of(1), b)),
  fc.tuple(encoded, encoded, mutations(4)).map(([bytes, donor, m]) => mutate(bytes, m, donor)),
);

export default target({
  name: 'rules-codec',
  what: 'decodeRules on random and damaged encodings: a table or CodecError (offset within the input); an accepted table is canonical and re-encodes to the same bytes',
  arbitrary: input,
  check: (bytes) => {
    const r = expectOnly(() => decodeRules(bytes), CodecError);
    if (r.error) {
      const { offset } = r.error as CodecError;
      ensure(Number.isInteger(offset) && offset >= 0 && offset <= bytes.length, () => `CodecError offset ${offset} outside 0..${bytes.length}`);
      return;
    }
    const problems = canonicalProblems(r.value);
    ensure(problems.length === 0, () => `accepted a non-canonical table: ${JSON.stringify(problems[0])}`);
    const again = encodeRules(r.value);
    ensure(sameBytes(again, bytes), () => `accepted ${hex(bytes).slice(0, 120)}…, which re-encodes differently`);
  },
});
