/**
 * The lease on a rollout (src/store/runner-lease.ts): at most one process runs it at a time,
 * and a process that died mid-rollout does not keep it locked. Running one rollout twice at
 * once would upload to the same console port from two processes and record one run's
 * interference as the other's failures. This module only gives the lease a rollout's words.
 */
import { RunnerLease, type LeaseOptions, type LeaseRefusals } from '../../store/runner-lease.js';
import type { RolloutStore } from '../../store/rollouts.js';
import { RolloutError } from './errors.js';

export { DEFAULT_LEASE_MS, runnerAlive, type LeaseOptions } from '../../store/runner-lease.js';

export type RolloutLease = RunnerLease;

const refusals: LeaseRefusals = {
  notFound: (id) => new RolloutError('notFound', `no rollout ${id} (fulcrum rollout list)`),
  busy: (id, holder, ago) =>
    holder
      ? new RolloutError(
          'busy',
          `rollout ${id} is being run by process ${holder.pid} on ${holder.host} (last heard from ${ago} s ago): wait for it to end, or pause it with \`fulcrum rollout pause ${id}\``,
        )
      : new RolloutError('busy', `rollout ${id} was taken by another process just now`),
};

export const RolloutLease = {
  /** Takes the lease on `rollout`, or throws RolloutError('busy') naming the live holder. */
  acquire: (store: RolloutStore, rollout: number, options: LeaseOptions = {}): Promise<RolloutLease> => RunnerLease.acquire(store, rollout, refusals, options),
};
