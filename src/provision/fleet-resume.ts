/**
 * Carrying on a fleet push another process started and could not finish (it died, or its lease
 * went stale), so that the end is what one uninterrupted run could have produced: every target
 * on the wanted config id, confirmed — or the run failed and what it changed rolled back.
 *
 * What the dead runner recorded decides what is read again; what the appliance runs now
 * decides what is done (`resumeAction`), for a target whose push was sent but not recorded as
 * confirmed:
 *
 * - it runs the wanted config, nothing pending: the runner confirmed it and died before
 *   recording it (only the runner confirms, after its check) — done, never redone;
 * - it runs the wanted config, pending: the push landed and was not judged yet — judged now
 *   against the counters recorded just before the push (the same check, with a fresh window
 *   after it), and confirmed if healthy; when its commit would revert before the check could
 *   end, or no counters were recorded, it is rolled back at once (what its own revert would do
 *   a little later) and pushed again as one not reached;
 * - it runs what it ran before, nothing pending: the push never landed or already reverted —
 *   pushed as one not reached;
 * - anything else: someone else changed it meanwhile — left alone, and the run fails, as a
 *   change seen mid-run does in one run.
 *
 * Targets recorded confirmed or unchanged are not read at all; targets planned but not reached
 * are pushed as in one run (their config must still be the one planned). A recorded failure
 * means the run was stopping: the adopter only rolls back.
 */
import type { ApplianceInfo } from '../../drivers/driver.js';
import type { FleetPushFailure, FleetTargetChange, FleetTargetRecord } from '../store/fleet-pushes.js';
import { CONFIRM_MARGIN_MS } from './fleet-request.js';

/** Where a run writes each step before it acts on it: the push's rows in the store. */
export interface FleetJournal {
  /** False: the run no longer holds its lease, and must act no further. */
  record(changes: readonly FleetTargetChange[]): Promise<boolean>;
  /** The failure that stops the run (the first one is kept); false as for record. */
  fail(failure: FleetPushFailure): Promise<boolean>;
  /** Whether the run still holds its lease, asked right before a confirm or a rollback. */
  held(): Promise<boolean>;
}

/** What the dead runner left: every target's row, and the failure it had hit, if any. */
export interface FleetResume {
  targets: readonly FleetTargetRecord[];
  failure: FleetPushFailure | null;
}

export type ResumeAction =
  { action: 'confirmed' } | { action: 'check' } | { action: 'revert'; why: string } | { action: 'push' } | { action: 'leftAlone'; reason: string };

const short = (id: string): string => id.slice(0, 12);

/** What to do with a target recorded `pushing`, given what it runs now (see the module comment). */
export function resumeAction(
  target: Pick<FleetTargetRecord, 'before' | 'baseline'>,
  info: Pick<ApplianceInfo, 'configId' | 'pendingConfirm'>,
  wanted: string,
  settleMs: number,
): ResumeAction {
  const pending = info.pendingConfirm !== null;
  if (info.configId === wanted && !pending) return { action: 'confirmed' };
  if (info.configId === wanted) {
    if (target.baseline === null) return { action: 'revert', why: 'no counters were recorded before its push to judge it against' };
    const leftMs = info.pendingConfirm! * 1000;
    if (leftMs < settleMs + CONFIRM_MARGIN_MS)
      return { action: 'revert', why: `its commit reverts in ${info.pendingConfirm} s, too soon to watch it for ${settleMs / 1000} s first` };
    return { action: 'check' };
  }
  if (info.configId === target.before && !pending) return { action: 'push' };
  return {
    action: 'leftAlone',
    reason: `it runs ${short(info.configId)}${pending ? ', pending confirmation' : ''}, neither the pushed config nor the one before: changed by someone else meanwhile, left alone`,
  };
}

/** Whether the dead runner got past planning: every target planned (planning is recorded in one write). */
export const planningRecorded = (resume: FleetResume): boolean => resume.targets.length > 0 && resume.targets.every((t) => t.state !== 'waiting');
