/**
 * `fulcrum rollout status | list | pause | abort` against a remote agent (GET /api/v1/rollouts,
 * /rollouts/:id, POST /rollouts/:id/pause|abort), in the shapes rollout.ts prints for this
 * machine's rollouts. Invariant: an API refusal has the exit code the engine's error has
 * locally (rollout.ts asCliError): an unknown id or a wrong state is a usage error, a conflict
 * over appliances invalid input, a rollout busy elsewhere a failure.
 */
import type { RolloutStatus } from '../../upgrade/rollout/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { ExitsByCode, RemoteApi } from '../remote-api.js';

/** The API's codes for the engine's errors (src/api/routes/rollouts.ts) → the local exit codes. */
const ROLLOUT_EXITS: ExitsByCode = {
  notFound: EXIT.usage,
  rolloutState: EXIT.usage,
  invalidRequest: EXIT.usage,
  conflict: EXIT.invalidInput,
  unknownAppliances: EXIT.invalidInput,
  rolloutBusy: EXIT.failure,
};

/** How many `rollout list` shows, as the engine's list does locally. */
const LIST_LIMIT = 100;

type Summary = Omit<RolloutStatus, 'devices'> & { failed?: unknown };

/** The list's entries as the engine gives them, without devices: the API's summaries less their `failed` list. */
export async function list(api: RemoteApi): Promise<Omit<RolloutStatus, 'devices'>[]> {
  const { rollouts } = await api.get<{ rollouts: Summary[] }>('/rollouts', { limit: String(LIST_LIMIT) }, ROLLOUT_EXITS);
  return rollouts.map(({ failed: _failed, ...summary }) => summary);
}

/** Rollout `id`, or the latest (null when there is none). */
export async function status(api: RemoteApi, id: number | undefined): Promise<RolloutStatus | null> {
  const latest = id ?? (await api.get<{ rollouts: Summary[] }>('/rollouts', { limit: '1' }, ROLLOUT_EXITS)).rollouts[0]?.id;
  return latest === undefined ? null : api.get<RolloutStatus>(`/rollouts/${latest}`, {}, ROLLOUT_EXITS);
}

export function control(api: RemoteApi, verb: 'pause' | 'abort', id: number): Promise<RolloutStatus> {
  return api.send<RolloutStatus>('POST', `/rollouts/${id}/${verb}`, undefined, ROLLOUT_EXITS);
}

/** `start` and `resume` run the rollout in this process, over this machine's consoles: not against a remote agent. */
export function foregroundOnly(api: RemoteApi, verb: 'start' | 'resume'): CliError {
  return new CliError(
    `rollout ${verb} runs the rollout in this process, over this machine's inventory; ${api.where} runs its own rollouts: ${verb} it there (POST /api/v1/rollouts${verb === 'resume' ? '/ID/resume' : ''}, or the dashboard), or pass --direct to work on this machine`,
    EXIT.usage,
  );
}
