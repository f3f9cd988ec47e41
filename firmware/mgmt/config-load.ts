/**
 * What the configuration database finds on flash after a boot (ConfigManager.load): the startup
 * config, the rollback history saved with it, and whether a commit confirmed was pending when
 * the box went down.
 *
 * Invariants: a missing or corrupt history is an empty one, never fatal (only reading
 * `startup.rules` itself failing is); startup and history come from the same side of the
 * journal (history-journal.ts); an interrupted commit is reported only when the journal side
 * that matches the startup config on flash says so, and only for a config other than the startup
 * one — anything less certain reports none, and the box boots its startup config as ever.
 */
import { CodecError } from '../../src/protocol/rules/index.js';
import { MAX_ROLLBACK_STEPS } from '../../src/protocol/rules/limits.js';
import { describeError } from '../../src/protocol/describe-error.js';
import { recordFromBytes, recordFromTable, withNote, type ConfigRecord } from './config-record.js';
import type { LoadOptions, RestoredState } from './config-types.js';
import { MgmtError } from './errors.js';
import { decodeJournal, HISTORY_FILE, pickState } from './history-journal.js';

/** Where the startup config lives; the same name Appliance.boot reads (a test keeps them equal). */
export const STARTUP_FILE = 'startup.rules';

/** Reads storage into the state a ConfigManager starts from: running = startup = `startup.rules`. */
export async function restoreState(options: LoadOptions): Promise<RestoredState> {
  const problems: string[] = [];
  let startup: ConfigRecord | null = null;
  let bytes: Uint8Array | null;
  try {
    bytes = await options.storage.read(STARTUP_FILE);
  } catch (err) {
    throw new MgmtError('storage', `reading ${STARTUP_FILE} failed: ${describeError(err)}`, { cause: err });
  }
  if (bytes === null) {
    problems.push(`no ${STARTUP_FILE} stored; running the fallback table`);
  } else {
    try {
      startup = recordFromBytes(bytes);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      problems.push(`${STARTUP_FILE} unreadable (${err.message}); running the fallback table`);
    }
  }
  // '' when flash holds no usable startup config: then the first change writes one.
  const startupId = startup?.id ?? '';

  // The history is a convenience: whatever is wrong with it (unreadable, rotten, another
  // format), the box still runs, with an empty history and a note in problems.
  let history: readonly ConfigRecord[] = [];
  let pending = false;
  try {
    const blob = await options.storage.read(HISTORY_FILE);
    if (blob) {
      const decoded = decodeJournal(blob);
      problems.push(...decoded.problems);
      const { state, problem } = pickState(decoded.journal, startupId);
      if (problem) problems.push(problem);
      history = state.history.slice(0, MAX_ROLLBACK_STEPS);
      // Only a side that belongs with this startup config says what was pending on top of it.
      pending = problem === null && state.pending === true && history.length > 0;
      if (startup && state.startupId === startup.id && state.startupNote) startup = withNote(startup, state.startupNote);
    }
  } catch (err) {
    problems.push(`${HISTORY_FILE}: ${describeError(err)}; starting with an empty history`);
  }
  const running = startup ?? recordFromTable(options.fallback ?? { services: [] });
  const head = history[0];
  const interrupted = startup !== null && pending && head !== undefined && head.id !== startup.id ? head : null;
  return { running, history, saved: { startupId, startupNote: running.note, history, ...(pending ? { pending } : {}) }, problems, interrupted };
}
