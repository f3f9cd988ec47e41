/**
 * One appliance's driver operations over HTTP, for the CLI working against a remote agent
 * (`fulcrum --context NAME …`): the same operations as the local control socket
 * (src/control/wire.ts), one per request, run through the agent's driver pool with its polls.
 * The answer streams as NDJSON — progress lines while bytes go out, then the result or the error —
 * so a remote push or upload shows the same progress bar as a local one.
 *
 * Reads need a read token; operations that change the appliance need an admin token and are
 * written to the audit log when they end, with their outcome.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { parseRequest, runOperation, wireError } from '../../control/server.js';
import { CHANGING_OPS, encodeJson, revive, type Reply } from '../../control/wire.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { errors, NameParams } from '../schemas.js';

/** A firmware image in base64 with room to spare. */
const BODY_LIMIT = 96 * 1024 * 1024;

export function driverRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: NameParams; Body: unknown }>(
    '/appliances/:name/driver',
    {
      bodyLimit: BODY_LIMIT,
      config: { access: 'read', audit: false },
      schema: {
        summary: "One driver operation on the appliance (the CLI's remote use); NDJSON progress, then the result",
        tags: ['appliances'],
        params: NameParams,
        response: errors(400, 401, 403, 404),
      },
    },
    async (request, reply) => {
      const record = await ctx.appliance(request.params.name);
      let op: ReturnType<typeof parseRequest>;
      try {
        op = parseRequest({ id: 0, appliance: record.name, ...(revive(request.body) as object) });
      } catch (err) {
        throw new ApiError(400, 'invalidRequest', `body: ${(err as Error).message}`);
      }
      const changing = CHANGING_OPS.has(op.op);
      const actor = request.actor!;
      if (changing && actor.role !== 'admin')
        throw new ApiError(403, 'forbidden', `${op.op} changes the appliance: it needs an admin token, and token "${actor.name}" has the read role`);
      const out = new PassThrough();
      const send = (r: Reply) => out.write(`${encodeJson(r)}\n`);
      const before = changing ? (ctx.fleet.get(record.name)?.info?.configId ?? null) : null;
      ctx.drivers
        .use(record, (d) => runOperation(d, op, (sent, total) => send({ id: 0, progress: [sent, total] }), ctx.configCache))
        .then(
          (result) => {
            send({ id: 0, result: result ?? null });
            return { ok: true as const, result };
          },
          (err: unknown) => {
            send({ id: 0, error: wireError(err) });
            return { ok: false as const, error: err };
          },
        )
        .then(async (done) => {
          out.end();
          if (!changing) return;
          const after =
            done.ok && done.result && typeof (done.result as { configId?: unknown }).configId === 'string'
              ? (done.result as { configId: string }).configId
              : null;
          const entry = await ctx.store.audit.append({
            ts: Date.now(),
            actor: { id: actor.id, name: actor.name },
            action: `driver ${op.op}`,
            appliance: record.name,
            status: done.ok ? 200 : 502,
            outcome: done.ok ? 'ok' : 'failed',
            configBefore: before,
            configAfter: after,
            detail: done.ok ? {} : { error: done.error instanceof Error ? done.error.message : String(done.error) },
          });
          ctx.hub.publish('event', { source: 'audit', ...entry });
        })
        // The answer has gone; what is left to report is for the agent's log.
        .catch((err: unknown) => request.log.error({ err }, 'driver operation: could not write its audit entry'));
      return reply.type('application/x-ndjson').send(out);
    },
  );
}
