import { canonicalProblems } from '../../../src/protocol/rules/index.js';
import { loadRules, RulesError } from '../../../src/rules/index.js';
import { ensure, expectOnly, target } from '../target.js';
import { ruleText } from './yaml-inputs.js';

const FILE = 'fuzz.yaml';
/** One problem per line (a key may hold U+2028, which is text here, not a line break). */
const LINE = /^fuzz\.yaml:(\d+):(\d+) \S.*: \S/s;

export default target({
  name: 'rules-yaml',
  what: 'loadRules on damaged rule files, deep nesting, wide documents, huge numbers, alias bombs, odd tags and random text: a canonical table or RulesError with file:line:col for every problem, within the time budget',
  arbitrary: ruleText,
  check: (text) => {
    const r = expectOnly(() => loadRules(text, FILE), RulesError);
    if (r.error === undefined) {
      const problems = canonicalProblems(r.value);
      ensure(problems.length === 0, () => `loaded a non-canonical table: ${JSON.stringify(problems[0])}`);
      return;
    }
    const errors = (r.error as RulesError).errors;
    ensure(errors.length > 0, 'RulesError without errors');
    const lines = text.split(/\r\n|\r|\n|\u2028|\u2029/).length;
    for (const e of errors) {
      ensure(e.file === FILE, () => `error names file ${e.file}`);
      ensure(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines + 1, () => `error at line ${e.line} of a ${lines}-line text: ${e.message}`);
      ensure(Number.isInteger(e.column) && e.column >= 1, () => `error at column ${e.column}: ${e.message}`);
      ensure(e.message.length > 0, 'an error without a message');
    }
    for (const line of r.error.message.split('\n'))
      ensure(LINE.test(line), () => `error line not in FILE:LINE:COL PATH: MESSAGE form: ${JSON.stringify(line.slice(0, 200))}`);
  },
});
