/**
 * The thread rule tables are loaded on (see rule-loader.ts): parsing and checking megabytes of
 * YAML takes seconds, which on the server's own thread would stall every other request. One job
 * at a time: `{id, text, file}` in; the canonical table, the RulesError's list, or a crash out.
 */
import { parentPort } from 'node:worker_threads';
import { loadRules, RulesError, RulesLimitError } from '../rules/index.js';
import type { LoadJob, LoadOutcome } from './rule-loader.js';

const port = parentPort!;
port.on('message', (job: LoadJob) => {
  let outcome: LoadOutcome;
  try {
    outcome = { id: job.id, table: loadRules(job.text, job.file) };
  } catch (err) {
    if (err instanceof RulesError) outcome = { id: job.id, errors: err.errors, limit: err instanceof RulesLimitError ? err.limit : null };
    else outcome = { id: job.id, failure: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(outcome);
});
