/**
 * Changes made from the command line, in the same audit log as the API's (src/store/audit.ts):
 * who (the OS user@host), via "cli", what, which appliance, config ids before and after, and
 * the outcome — failures too — so `fulcrum audit` tells the whole story. The log is opened
 * before the change is attempted: a change that could not be audited is not made.
 *
 * Commands wrap the step that changes something: `await audited(change, (note) => work())`.
 */
import { hostname, userInfo } from 'node:os';
import type { PushResult } from '../../drivers/driver.js';
import type { FleetPushReport } from '../provision/fleet-push.js';
import type { AuditActor, AuditOutcome } from '../store/audit.js';
import type { AgentStore } from '../store/index.js';
import { CliError, EXIT } from './exit-codes.js';

/** The OS user@host: who runs a command on this machine. */
export function cliActor(): AuditActor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): the uid is still someone.
    user = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'unknown';
  }
  return { id: null, name: `${user}@${hostname()}` };
}

export interface CliChangeNote {
  appliance?: string | null;
  configBefore?: string | null;
  configAfter?: string | null;
  detail?: Record<string, unknown>;
  /** Default: ok when the work returned, failed when it threw. */
  outcome?: AuditOutcome;
}

export interface CliChange<T> {
  /** The command, e.g. "rules push". */
  action: string;
  /** The log to write to: an open store, or the database of --db (default $FULCRUM_HOME/fulcrum.db). */
  store?: AgentStore;
  db?: string | undefined;
  appliance?: string | null;
  detail?: Record<string, unknown>;
  /** What the result tells of the change; several notes make several entries (a fleet push: one per appliance). */
  describe?: (result: T) => CliChangeNote | CliChangeNote[];
}

function errorDetail(err: unknown): Record<string, unknown> {
  const e = err as { message?: unknown; code?: unknown; exitCode?: unknown };
  return {
    error: typeof e.message === 'string' ? e.message : String(err),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(err instanceof CliError ? { exitCode: err.exitCode } : {}),
  };
}

/** Writes one entry now. */
export async function recordCliChange(store: AgentStore, action: string, note: CliChangeNote & { outcome: AuditOutcome }): Promise<void> {
  await store.audit.append({
    ts: Date.now(),
    actor: cliActor(),
    via: 'cli',
    action,
    appliance: note.appliance ?? null,
    status: 0,
    outcome: note.outcome,
    configBefore: note.configBefore ?? null,
    configAfter: note.configAfter ?? null,
    detail: note.detail ?? {},
  });
}

/** Runs `work` and audits it: ok with what `describe` tells of the result, or failed with the error, which is rethrown. */
export async function audited<T>(change: CliChange<T>, work: (note: (n: CliChangeNote) => void) => Promise<T>): Promise<T> {
  let store = change.store;
  const owned = !store;
  if (!store) {
    const { openStore } = await import('../store/index.js');
    store = await openStore(change.db ? { file: change.db } : {});
  }
  let known: CliChangeNote = { appliance: change.appliance ?? null, detail: { ...change.detail } };
  const note = (n: CliChangeNote) => (known = { ...known, ...n, detail: { ...known.detail, ...n.detail } });
  const write = (n: CliChangeNote, outcome: AuditOutcome) =>
    recordCliChange(store, change.action, { ...known, ...n, detail: { ...known.detail, ...n.detail }, outcome: n.outcome ?? outcome });
  try {
    let result: T;
    try {
      result = await work(note);
    } catch (err) {
      try {
        await write({ detail: errorDetail(err) }, 'failed');
      } catch (auditErr) {
        process.stderr.write(`fulcrum: writing the audit log failed: ${(auditErr as Error).message}\n`);
      }
      throw err;
    }
    try {
      const notes = change.describe?.(result) ?? {};
      for (const n of Array.isArray(notes) ? notes : [notes]) await write(n, 'ok');
    } catch (auditErr) {
      throw new CliError(`${change.action}: done, but writing the audit log failed: ${(auditErr as Error).message}`, EXIT.failure);
    }
    return result;
  } finally {
    if (owned) await store.close();
  }
}

/** A change of one appliance named by --to (an inventory name or a target). */
export function onTarget<T>(
  action: string,
  opts: { to: string; db?: string | undefined },
  describe?: (result: T) => CliChangeNote,
  detail?: Record<string, unknown>,
): CliChange<T> {
  return { action, db: opts.db, appliance: opts.to, ...(describe ? { describe } : {}), ...(detail ? { detail } : {}) };
}

/** What a push returns: the driver's result, or a checked push around one (src/provision/push-preflight.ts). */
type PushOutcome = PushResult | { outcome: string; preflight: { runningConfigId: string; configId: string }; result: PushResult | null };

/** `rules push --to`: the config ids the appliance reported; a dry run changes nothing and is not logged. */
export function pushAudit(opts: { to: string; db?: string | undefined }, detail?: Record<string, unknown>): CliChange<PushOutcome> {
  const ids = (r: PushResult): CliChangeNote => ({ configBefore: r.previousConfigId, configAfter: r.configId, detail: { mode: r.mode, bytes: r.bytes } });
  return {
    ...onTarget<PushOutcome>('rules push', opts, undefined, detail),
    describe: (r) => {
      if (!('outcome' in r)) return ids(r);
      if (r.result) return ids(r.result);
      if (r.outcome === 'dryRun') return [];
      return { configBefore: r.preflight.runningConfigId, configAfter: r.preflight.runningConfigId, detail: { outcome: r.outcome } };
    },
  };
}

/** `rules push --all | --targets`: one entry per appliance of the run, with its config ids; failed everywhere when the run failed. */
export function fleetPushAudit(opts: { db?: string | undefined }): CliChange<FleetPushReport> {
  return {
    action: 'rules push (fleet)',
    db: opts.db,
    describe: (report) => {
      // A dry run sends nothing: not a change.
      if (report.dryRun === true) return [];
      const run = { configId: report.configId, canary: report.canary, rolledBack: report.rolledBack, ...(report.failure ? { failure: report.failure } : {}) };
      const outcome: AuditOutcome = report.ok ? 'ok' : 'failed';
      if (report.results.length === 0) return { outcome, detail: run };
      return report.results.map((r) => ({
        appliance: r.name,
        configBefore: r.before,
        configAfter: r.after,
        outcome,
        detail: { ...run, result: r.result, ...(r.error ? { error: r.error } : {}) },
      }));
    },
  };
}
