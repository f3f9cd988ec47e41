/**
 * How `fulcrum rollout start | resume` end, whether the rollout ran in this process or on a
 * remote agent the command followed: the last JSON line, and the exit code with its message.
 * Invariant: 0 only for a rollout that succeeded; every other end is 1 with what to do next.
 */
import type { RolloutStatus } from '../upgrade/rollout/index.js';
import { CliError, EXIT } from './exit-codes.js';
import { toJson } from './output.js';

/** The last line of `--json` output: the status as `rollout status --json` gives it. */
export function writeEndLine(status: RolloutStatus): void {
  process.stdout.write(`${toJson({ event: 'end', status })}\n`);
}

/** `context`: the context the rollout ran through, named in every command to run next (`--context NAME`). */
export function reportEnd(s: RolloutStatus, json: boolean, context?: string): void {
  const on = context === undefined ? '' : ` --context ${context}`;
  const failed = s.devices.filter((d) => d.state === 'failed');
  const failures = failed.map((d) => `\n  ${d.appliance}: ${d.error}`).join('');
  switch (s.state) {
    case 'succeeded':
      if (!json) process.stdout.write(`rollout ${s.id} succeeded: ${s.totals.succeeded} appliance${s.totals.succeeded === 1 ? '' : 's'} run ${s.version}\n`);
      return;
    case 'halted':
      throw new CliError(
        `rollout ${s.id} halted: ${s.reason ?? 'failures'}\nfailed:${failures}\nfix the cause, then \`fulcrum rollout resume ${s.id}${on}\` retries the failed appliances (or \`fulcrum rollout abort ${s.id}${on}\`)`,
        EXIT.failure,
      );
    case 'paused':
      throw new CliError(`rollout ${s.id} was paused: \`fulcrum rollout resume ${s.id}${on}\` carries on`, EXIT.failure);
    case 'aborted':
      throw new CliError(
        `rollout ${s.id} was aborted: ${s.totals.succeeded} of ${s.totals.devices} appliances upgraded${failed.length > 0 ? `; failed:${failures}` : ''}`,
        EXIT.failure,
      );
    case 'running':
      throw new CliError(`rollout ${s.id} stopped before its end; \`fulcrum rollout status ${s.id}${on}\` shows where it stands`, EXIT.failure);
  }
}
