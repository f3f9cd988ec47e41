/**
 * `fulcrum rollout status | list | pause | abort | start | resume` against a remote agent (GET
 * /api/v1/rollouts, /rollouts/:id, POST /rollouts, /rollouts/:id/pause|resume|abort), in the
 * shapes rollout.ts prints for this machine's rollouts. `start` sends the image file to the
 * agent's catalog (POST /firmware) first; the agent runs the rollout, and this process follows
 * it to its end (rollout-follow.ts), printing the lines and giving the exit code a run in this
 * process would. Invariant: an API refusal has the exit code the engine's error has locally
 * (rollout.ts asCliError): an unknown id or a wrong state is a usage error, a conflict over
 * appliances or a bad image invalid input, a rollout busy elsewhere a failure.
 */
import type { RolloutStatus, WaveStep } from '../../upgrade/rollout/index.js';
import type { FirmwareImageRecord } from '../../store/firmware-images.js';
import { CliError, EXIT } from '../exit-codes.js';
import { AgentError, type ExitsByCode, type RemoteApi } from '../remote-api.js';
import { RolloutProgress } from '../rollout-display.js';
import { reportEnd, writeEndLine } from '../rollout-end.js';
import { followRollout } from '../rollout-follow.js';
import { remoteEvents } from './remote-logs.js';

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

export interface RemoteStart {
  /** The image file's name, for messages, and its bytes. */
  file: string;
  bytes: Uint8Array;
  targets: readonly string[] | 'all';
  waves?: readonly WaveStep[];
  maxFailures?: string;
  /** As the operator wrote it (checked already): the agent reads it the same way. */
  deadline: string;
  concurrency: number;
  json: boolean;
}

/** Adds the image to the agent's catalog; a bad image is exit 3 with the check that failed, as locally. */
async function upload(api: RemoteApi, file: string, bytes: Uint8Array): Promise<FirmwareImageRecord> {
  try {
    return await api.sendBytes<FirmwareImageRecord>('/firmware', bytes);
  } catch (err) {
    if (err instanceof AgentError && err.code === 'invalidImage') throw new CliError(`${file}: ${err.detail}`, EXIT.invalidInput);
    throw err;
  }
}

/** Follows rollout `id` from event `after` on, then ends as a run in this process would. */
async function followToEnd(api: RemoteApi, id: number, after: number, progress: RolloutProgress, json: boolean, beforeRun?: () => void): Promise<void> {
  const status = await followRollout(api, id, { after, progress, exits: ROLLOUT_EXITS, ...(beforeRun ? { beforeRun } : {}) });
  if (json) writeEndLine(status);
  reportEnd(status, json, api.context);
}

export async function start(api: RemoteApi, req: RemoteStart): Promise<void> {
  const image = await upload(api, req.file, req.bytes);
  // Taken before the rollout exists, so that its first event (`created`, with its id) is shown.
  const after = await remoteEvents(api, {}).lastId();
  const created = await api.send<RolloutStatus>(
    'POST',
    '/rollouts',
    {
      image: image.sha256,
      targets: req.targets,
      deadline: req.deadline,
      concurrency: req.concurrency,
      ...(req.waves ? { waves: req.waves } : {}),
      ...(req.maxFailures !== undefined ? { maxFailures: req.maxFailures } : {}),
    },
    ROLLOUT_EXITS,
  );
  await followToEnd(api, created.id, after, new RolloutProgress(req.json), req.json);
}

export async function resume(api: RemoteApi, id: number, concurrency: number, json: boolean): Promise<void> {
  const after = await remoteEvents(api, {}).lastId();
  const resumed = await api.send<RolloutStatus>('POST', `/rollouts/${id}/resume`, { concurrency }, ROLLOUT_EXITS);
  const progress = new RolloutProgress(json);
  // The bar counts from where the resume left the rollout (its failed appliances back to pending).
  const track = () => progress.track(resumed.totals.devices, resumed.totals.succeeded + resumed.totals.failed);
  await followToEnd(api, id, after, progress, json, track);
}
