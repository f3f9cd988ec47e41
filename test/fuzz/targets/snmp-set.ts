import fc from 'fast-check';
import { emptyCandidate, planSet, rowsOf, type CandidateState } from '../../../firmware/mgmt/mib/candidate.js';
import { ErrorStatus } from '../../../src/protocol/mib/smi.js';
import { canonicalProblems, configId } from '../../../src/protocol/rules/index.js';
import { ruleTable } from '../../unit/protocol/rules/arbitraries.js';
import { ensure, target } from '../target.js';
import { varbinds } from './snmp-inputs.js';

const ERROR_STATUSES = new Set<number>(Object.values(ErrorStatus).filter((s) => s !== ErrorStatus.noError));

/** Everything planSet may not change in the state it is given (it plans; the caller applies). */
function snapshot(state: CandidateState): string {
  return JSON.stringify({
    spinLock: state.spinLock,
    services: [...state.services],
    backends: [...state.backends].map(([k, m]) => [k, [...m]]),
    base: state.base,
  });
}

const input = fc.record({
  running: ruleTable,
  loaded: fc.boolean(),
  spinLock: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_147_483_647 })),
  pendingConfirm: fc.boolean(),
  historyLength: fc.integer({ min: 0, max: 12 }),
  varbinds,
});

export default target({
  name: 'snmp-set',
  what: 'planSet (SNMP SET of candidate rows, lock, commit, confirm, rollback) with random varbind lists: never throws; a plan or an error status with the 1-based index of a varbind; the given state untouched; a planned commit is a canonical table with its id',
  arbitrary: input,
  check: ({ running, loaded, spinLock, pendingConfirm, historyLength, varbinds: vbs }) => {
    const state: CandidateState = { ...emptyCandidate(running), ...(loaded ? rowsOf(running) : {}), spinLock };
    const before = snapshot(state);
    const plan = planSet(state, vbs, { running, pendingConfirm, historyLength });
    ensure(snapshot(state) === before, 'planSet changed the state it was given');
    if (!plan.ok) {
      ensure(ERROR_STATUSES.has(plan.errorStatus), () => `error status ${plan.errorStatus} is not an RFC 3416 error`);
      ensure(
        Number.isInteger(plan.errorIndex) && plan.errorIndex >= 1 && plan.errorIndex <= vbs.length,
        () => `error index ${plan.errorIndex} of ${vbs.length} varbinds`,
      );
      ensure(typeof plan.message === 'string' && plan.message.length > 0, 'a refusal without a message');
      return;
    }
    ensure(plan.state.spinLock >= 0 && plan.state.spinLock <= 2_147_483_647, () => `spin lock ${plan.state.spinLock}`);
    const action = plan.action;
    if (action?.kind === 'commit') {
      const problems = canonicalProblems(action.table);
      ensure(problems.length === 0, () => `planned commit of a non-canonical table: ${JSON.stringify(problems[0])}`);
      ensure(action.id === configId(action.table), "planned commit id is not the table's config id");
      ensure(Number.isInteger(action.confirmTimeoutMs) && action.confirmTimeoutMs >= 0, () => `confirm timeout ${action.confirmTimeoutMs}`);
    }
    if (action?.kind === 'rollback')
      ensure(action.steps >= 1 && action.steps <= historyLength, () => `rollback ${action.steps} with a history of ${historyLength}`);
    if (action?.kind === 'confirm') ensure(pendingConfirm, 'planned a confirm with nothing pending');
  },
});
