/**
 * Fleet firmware rollouts over HTTP: list, status, create (run in the background by this
 * server, see rollout-runs.ts), pause, resume, abort. The same engine and database as
 * `fulcrum rollout`, so either can watch and steer a rollout the other started.
 */
import type { FastifyInstance } from 'fastify';
import { CatalogError } from '../../upgrade/catalog.js';
import { RolloutError, type RolloutStatus } from '../../upgrade/rollout/index.js';
import { parseDuration } from '../../protocol/rules/index.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { IdParams, NewRollout, ResumeRollout, RolloutList, RolloutListQuery, RolloutStatusSchema } from '../firmware-schemas.js';
import { ADOPT_EVERY_MS, RolloutRuns } from '../rollout-runs.js';
import { errors } from '../schemas.js';

/** A RolloutError as an answer: the engine's code says which. */
function fromRolloutError(err: unknown): unknown {
  if (err instanceof CatalogError) return new ApiError(err.code === 'notFound' ? 404 : 500, err.code === 'notFound' ? 'notFound' : 'imageDamaged', err.message);
  if (!(err instanceof RolloutError)) return err;
  switch (err.code) {
    case 'invalid':
      return new ApiError(400, 'invalidRequest', err.message);
    case 'unknownAppliances':
      return new ApiError(400, 'unknownAppliances', `body.targets: ${err.message}`, { appliances: err.appliances });
    case 'conflict':
      return new ApiError(409, 'conflict', err.message, { appliances: err.appliances });
    case 'notFound':
      return new ApiError(404, 'notFound', err.message);
    case 'state':
      return new ApiError(409, 'rolloutState', err.message);
    case 'busy':
    case 'leaseLost':
      return new ApiError(409, 'rolloutBusy', err.message);
  }
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw fromRolloutError(err);
  }
}

/** The list's view of a rollout: everything but the device table, with the failed devices. */
function summary(status: RolloutStatus) {
  const { devices, ...rest } = status;
  return { ...rest, failed: devices.filter((d) => d.state === 'failed').map((d) => ({ appliance: d.appliance, wave: d.wave, error: d.error })) };
}

export function rolloutRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['rollouts'];
  const runs = new RolloutRuns(ctx, app.log, app.server);
  app.addHook('preClose', async () => runs.close());
  if (ctx.store.ownership) {
    // Shared store: a rollout whose runner died on another agent is carried on by one of the others.
    const adopt = setInterval(() => {
      runs.adoptOrphans().catch((err: unknown) => app.log.warn({ err }, 'looking for rollouts to carry on failed'));
    }, ADOPT_EVERY_MS).unref();
    app.addHook('preClose', async () => clearInterval(adopt));
  }

  app.get<{ Querystring: RolloutListQuery }>(
    '/rollouts',
    {
      schema: {
        summary: 'Rollouts, newest first, with per-wave counts and the failed appliances',
        tags,
        querystring: RolloutListQuery,
        response: { 200: RolloutList, ...errors(400, 401) },
      },
    },
    async (request) => {
      const limit = Math.min(1000, Number(request.query.limit ?? 20));
      return { rollouts: (await runs.engine.list(limit)).map(summary) };
    },
  );

  app.get<{ Params: IdParams }>(
    '/rollouts/:id',
    {
      schema: {
        summary: 'One rollout: state, waves and every appliance',
        tags,
        params: IdParams,
        response: { 200: RolloutStatusSchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => guarded(() => runs.engine.status(Number(request.params.id))),
  );

  app.post<{ Body: NewRollout }>(
    '/rollouts',
    {
      schema: {
        summary: 'Start a rollout of a catalog image; the agent runs it in the background (201 with its status at once)',
        description: 'Waves are cumulative (count or "P%"); the first failure beyond maxFailures halts it; deadline bounds one appliance (e.g. 15m).',
        tags,
        body: NewRollout,
        response: { 201: RolloutStatusSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let deadlineMs: number | undefined;
      if (body.deadline !== undefined) {
        try {
          deadlineMs = parseDuration(body.deadline);
        } catch (err) {
          throw new ApiError(400, 'invalidRequest', `body.deadline: ${(err as Error).message}`);
        }
      }
      noteChange(request, { detail: { image: body.image } });
      const status = await guarded(() =>
        runs.start(
          {
            image: body.image,
            targets: body.targets ?? 'all',
            ...(body.waves !== undefined ? { waves: body.waves } : {}),
            ...(body.maxFailures !== undefined ? { maxFailures: body.maxFailures } : {}),
            ...(deadlineMs !== undefined ? { deadlineMs } : {}),
          },
          body.concurrency,
        ),
      );
      noteChange(request, { detail: { rollout: status.id, version: status.version, appliances: status.devices.map((d) => d.appliance) } });
      return reply.code(201).send(status);
    },
  );

  const control = (verb: 'pause' | 'resume' | 'abort', summaryText: string) =>
    app.post<{ Params: IdParams; Body: ResumeRollout | undefined }>(
      `/rollouts/:id/${verb}`,
      {
        schema: {
          summary: summaryText,
          tags,
          params: IdParams,
          // Only a resume starts a run, so only it takes the run's concurrency (`fulcrum rollout resume --concurrency`).
          ...(verb === 'resume' ? { body: ResumeRollout } : {}),
          response: { 200: RolloutStatusSchema, ...errors(400, 401, 403, 404, 409) },
        },
        // The body is optional: a resume sent without one (the dashboard's, older clients') runs with the defaults.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      async (request) => {
        const id = Number(request.params.id);
        noteChange(request, { detail: { rollout: id } });
        const concurrency = request.body?.concurrency;
        return guarded(() => (verb === 'pause' ? runs.engine.pause(id) : verb === 'abort' ? runs.engine.abort(id) : runs.resume(id, concurrency)));
      },
    );
  control('pause', 'Start no more upgrades (those under way finish); resume carries on');
  control('resume', 'Run a paused rollout again, or a halted one (its failed appliances are retried), in the background');
  control('abort', 'End the rollout for good: no more upgrades start (those under way finish)');
}
