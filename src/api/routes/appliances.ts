/**
 * The inventory over HTTP: list (with the last known state from polling), add, remove, and one
 * appliance's identity read live. Credentials go in with POST and never come out.
 */
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { credentialKind, type ApplianceRecord, type Credentials } from '../../store/inventory.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { ApplianceInfo, ApplianceItem, ApplianceList, errors, NameParams, NewAppliance, Removed } from '../schemas.js';

type Item = Static<typeof ApplianceItem>;

/** The API's credentials ({community} or {v3User, v3Auth, v3Priv}) in the inventory's form. */
function toStored(body: NewAppliance): Credentials {
  const c = body.credentials ?? {};
  const v3 = [c.v3User, c.v3Auth, c.v3Priv];
  const v3Given = v3.some((v) => v !== undefined);
  if (c.community !== undefined && v3Given)
    throw new ApiError(400, 'invalidRequest', 'body.credentials: give community (v2c) or v3User/v3Auth/v3Priv (v3), not both');
  if (v3Given && v3.some((v) => v === undefined))
    throw new ApiError(400, 'invalidRequest', 'body.credentials: SNMPv3 needs v3User, v3Auth and v3Priv together');
  const isSnmp = body.address.startsWith('snmp:');
  if (isSnmp && c.community === undefined && !v3Given) {
    throw new ApiError(400, 'invalidRequest', 'body.credentials: an SNMP appliance needs {community} or {v3User, v3Auth, v3Priv}');
  }
  if (!isSnmp && (c.community !== undefined || v3Given)) throw new ApiError(400, 'invalidRequest', 'body.credentials: only SNMP appliances take credentials');
  if (c.community !== undefined) return { community: c.community };
  if (v3Given) return { user: c.v3User!, authProtocol: 'sha', authKey: c.v3Auth!, privProtocol: 'aes', privKey: c.v3Priv! };
  return {};
}

function item(ctx: ApiContext, r: ApplianceRecord): Item {
  const state = ctx.fleet.get(r.name);
  const info = state?.info ?? null;
  return {
    name: r.name,
    address: r.target,
    credentials: credentialKind(r.credentials),
    created: r.created,
    reachable: state?.reachable ?? null,
    lastPoll: state?.lastPoll ?? null,
    error: state?.error ?? null,
    model: info?.model ?? null,
    firmware: info?.firmware ?? null,
    configId: info?.configId ?? null,
    pendingConfirm: info?.pendingConfirm ?? null,
  };
}

export function applianceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['appliances'];

  app.get(
    '/appliances',
    { schema: { summary: "The inventory, with each appliance's last known state", tags, response: { 200: ApplianceList, ...errors(401) } } },
    async () => ({
      appliances: ctx.store.inventory.list().map((r) => item(ctx, r)),
    }),
  );

  app.post<{ Body: NewAppliance }>(
    '/appliances',
    { schema: { summary: 'Add an appliance to the inventory', tags, body: NewAppliance, response: { 201: ApplianceItem, ...errors(400, 401, 403, 409) } } },
    async (request, reply) => {
      noteChange(request, { appliance: request.body.name, detail: { address: request.body.address } });
      const record = ctx.store.inventory.add({ name: request.body.name, target: request.body.address, credentials: toStored(request.body) });
      return reply.code(201).send(item(ctx, record));
    },
  );

  app.delete<{ Params: NameParams }>(
    '/appliances/:name',
    {
      schema: {
        summary: 'Remove an appliance from the inventory (its stored metrics stay until retention drops them)',
        tags,
        params: NameParams,
        response: { 200: Removed, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const { name } = request.params;
      ctx.store.inventory.remove(name);
      await ctx.drivers.forget(name);
      ctx.fleet.forget(name);
      ctx.metrics.forget(name);
      return { removed: name };
    },
  );

  app.get<{ Params: NameParams }>(
    '/appliances/:name',
    { schema: { summary: 'Identity read live from the appliance', tags, params: NameParams, response: { 200: ApplianceInfo, ...errors(401, 404, 502, 504) } } },
    async (request) => {
      const record = ctx.appliance(request.params.name);
      const info = await ctx.drivers.use(record, (d) => d.info());
      return { name: record.name, address: record.target, ...info };
    },
  );
}
