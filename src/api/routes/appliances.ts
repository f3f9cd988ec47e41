/**
 * The inventory over HTTP: list (with the last known state from polling), add, change, remove,
 * and one appliance's identity read live. Credentials go in with POST and PATCH and never come out.
 */
import { applianceOwners } from '../../store/agents-view.js';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { credentialKind, type ApplianceRecord } from '../../store/inventory.js';
import { DriverError } from '../../../drivers/driver.js';
import { planChange } from '../appliance-change.js';
import { toStored } from '../appliance-credentials.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { applianceItem, InventoryBody } from '../inventory-body.js';
import { ApiError, toApiError } from '../errors.js';
import { ApplianceChange, ApplianceInfo, ApplianceItem, ApplianceList, errors, NameParams, NewAppliance, Removed, UpdatedAppliance } from '../schemas.js';

type Item = Static<typeof ApplianceItem>;

/** A change refused because the appliance did not answer at its new address: worded as `appliance update` words it. */
function unanswered(name: string, target: string, err: unknown): unknown {
  if (!(err instanceof DriverError) || err.code !== 'unreachable') return err;
  const e = toApiError(err);
  return new ApiError(e.statusCode, e.code, `${name}: ${target} did not answer an identity read: ${err.message}; nothing was changed`, e.details);
}

function item(ctx: ApiContext, r: ApplianceRecord, owner?: (name: string) => string | null): Item {
  return applianceItem({ record: r, state: ctx.fleet.get(r.name), owner: owner?.(r.name) });
}

export function applianceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['appliances'];
  const listing = new InventoryBody();

  app.get(
    '/appliances',
    { schema: { summary: "The inventory, with each appliance's last known state", tags, response: { 200: ApplianceList, ...errors(401) } } },
    async (_request, reply) => {
      const owner = await applianceOwners(ctx.store);
      // Already JSON (src/api/inventory-body.ts): sent as it is, past the schema's serializer.
      const body = listing.render(await ctx.store.inventory.list(), (name) => ctx.fleet.get(name), owner);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );

  app.post<{ Body: NewAppliance }>(
    '/appliances',
    { schema: { summary: 'Add an appliance to the inventory', tags, body: NewAppliance, response: { 201: ApplianceItem, ...errors(400, 401, 403, 409) } } },
    async (request, reply) => {
      noteChange(request, { appliance: request.body.name, detail: { address: request.body.address } });
      const credentials = toStored(request.body.address, request.body.credentials);
      const record = await ctx.store.inventory.add({ name: request.body.name, target: request.body.address, credentials });
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
      await ctx.store.inventory.remove(name);
      await ctx.drivers.forget(name);
      ctx.fleet.forget(name);
      ctx.metrics.forget(name);
      return { removed: name };
    },
  );

  app.patch<{ Params: NameParams; Body: ApplianceChange }>(
    '/appliances/:name',
    {
      schema: {
        summary: "Change an appliance's address and/or credentials, after reading its identity there (unless check: false)",
        tags,
        params: NameParams,
        body: ApplianceChange,
        response: { 200: UpdatedAppliance, ...errors(400, 401, 403, 404, 502, 504) },
      },
    },
    async (request) => {
      const { name } = request.params;
      const check = request.body.check !== false;
      noteChange(request, { detail: { ...(request.body.address !== undefined ? { address: request.body.address } : {}), checked: check } });
      const current = await ctx.appliance(name);
      const change = planChange(current, request.body);
      noteChange(request, { detail: { before: current.target, address: change.target, credentials: credentialKind(change.credentials) } });
      // Queued with the appliance's polls; the pool reopens its driver for the new address or credentials.
      const identity = check
        ? await ctx.drivers
            .use({ ...current, target: change.target, credentials: change.credentials }, (d) => d.info())
            .catch((err: unknown) => Promise.reject(unanswered(name, change.target, err)))
        : null;
      const record = await ctx.store.inventory.update(name, { target: change.target, credentials: change.credentials });
      if (change.moved) {
        await ctx.store.applianceState.forget(name);
        ctx.fleet.forget(name);
      }
      // Unchecked, the pool may still hold the old console: let it go, the next use opens the new one.
      if (!check) await ctx.drivers.forget(name);
      return { name: record.name, address: record.target, credentials: credentialKind(record.credentials), identity };
    },
  );

  app.get<{ Params: NameParams }>(
    '/appliances/:name',
    { schema: { summary: 'Identity read live from the appliance', tags, params: NameParams, response: { 200: ApplianceInfo, ...errors(401, 404, 502, 504) } } },
    async (request) => {
      const record = await ctx.appliance(request.params.name);
      const info = await ctx.drivers.use(record, (d) => d.info());
      return { name: record.name, address: record.target, ...info };
    },
  );
}
