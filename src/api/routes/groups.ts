/**
 * Failover groups over HTTP, as `fulcrum group …` and `rules push --to group:NAME`: the groups
 * the appliances reported (the store's appliance state), a failover of one (admin, audited),
 * and a two-phase push to every member (admin, audited; src/provision/groups/).
 */
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../protocol/rules/index.js';
import { DEFAULT_FLEET_CONFIRM_MS } from '../../provision/fleet-request.js';
import { GroupError } from '../../provision/groups/errors.js';
import { DEFAULT_FAILOVER_WAIT_MS, failoverGroup } from '../../provision/groups/group-failover.js';
import { pushToGroup } from '../../provision/groups/group-push.js';
import { groupsOf, type GroupView } from '../../provision/groups/group-view.js';
import { PushRefused } from '../../provision/push-preflight.js';
import { ProvisionError } from '../../provision/push.js';
import { noteChange } from '../audit.js';
import type { ApiContext } from '../context.js';
import { ApiError } from '../errors.js';
import { apiGroupAccess } from '../group-access.js';
import { GroupFailoverBody, GroupFailoverResult, GroupList, GroupParams, GroupPushBody, GroupPushReport, GroupSchema } from '../group-schemas.js';
import { API_OVERRIDES } from '../push-refusal.js';
import { rulesFromField } from '../rules-input.js';
import { errors } from '../schemas.js';

function duration(field: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new ApiError(400, 'invalidRequest', `${field}: ${(err as Error).message}`);
  }
  if (ms <= 0) throw new ApiError(400, 'invalidRequest', `${field}: give a duration above 0`);
  return ms;
}

function fromGroupError(err: unknown): unknown {
  if (err instanceof GroupError)
    return new ApiError(err.code === 'failed' ? 502 : 409, err.code === 'failed' ? 'groupFailoverFailed' : 'groupState', err.message);
  if (err instanceof PushRefused) return new ApiError(409, err.code, err.message);
  if (err instanceof ProvisionError)
    return new ApiError(err.code === 'invalid' ? 400 : 502, err.code === 'invalid' ? 'invalidRequest' : 'mismatch', err.message);
  return err;
}

export function groupRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['groups'];
  const named = async (name: string): Promise<GroupView> => {
    const g = groupsOf((await ctx.store.applianceState.all()).values()).find((x) => x.name === name);
    if (!g) throw new ApiError(404, 'notFound', `no appliance of the inventory reported a failover group "${name}"`);
    return g;
  };

  app.get(
    '/groups',
    { schema: { summary: 'Failover groups the appliances reported, as last polled', tags, response: { 200: GroupList, ...errors(401) } } },
    async () => ({
      groups: groupsOf((await ctx.store.applianceState.all()).values()),
    }),
  );

  app.get<{ Params: GroupParams }>(
    '/groups/:name',
    {
      schema: {
        summary: "A group's members: unit, state, reachability, config id, firmware",
        tags,
        params: GroupParams,
        response: { 200: GroupSchema, ...errors(401, 404) },
      },
    },
    async (request) => named(request.params.name),
  );

  app.post<{ Params: GroupParams; Body: GroupFailoverBody }>(
    '/groups/:name/failover',
    {
      schema: {
        summary: 'Tell the active member to go standby and wait until another member is active',
        description:
          '409 groupState: not exactly one active, no standby, or a member whose driver cannot carry it; nothing was sent. 502: the failover did not happen.',
        tags,
        params: GroupParams,
        body: GroupFailoverBody,
        response: { 200: GroupFailoverResult, ...errors(400, 401, 403, 404, 409, 502) },
      },
    },
    async (request) => {
      const g = await named(request.params.name);
      const waitMs = duration('body.wait', request.body?.wait, DEFAULT_FAILOVER_WAIT_MS);
      // The audit entry names the member that yielded; until it is known, the group (as `--to group:NAME` does).
      noteChange(request, { appliance: `group:${g.name}`, detail: { group: g.name } });
      try {
        const r = await failoverGroup(
          g.name,
          g.members.map((m) => m.appliance),
          apiGroupAccess(ctx),
          { waitMs },
        );
        noteChange(request, { appliance: r.from, detail: { from: r.from, to: r.to } });
        return r;
      } catch (err) {
        throw fromGroupError(err);
      }
    },
  );

  app.post<{ Params: GroupParams; Body: GroupPushBody }>(
    '/groups/:name/push',
    {
      schema: {
        summary: 'Bring every member of the group to one rule table: commit confirmed on each, standby first, confirmed only once all run it',
        description: '200 with ok false: the push failed and was rolled back (the report says what each member runs). 409: refused before anything was sent.',
        tags,
        params: GroupParams,
        body: GroupPushBody,
        response: { 200: GroupPushReport, ...errors(400, 401, 403, 404, 409, 422, 502) },
      },
    },
    async (request) => {
      const g = await named(request.params.name);
      const body = request.body;
      const confirmTimeoutMs = duration('body.confirmTimeout', body.confirmTimeout, DEFAULT_FLEET_CONFIRM_MS);
      const rules = await rulesFromField(body.rules, 'rules', ctx.rules);
      noteChange(request, { appliance: `group:${g.name}`, ...(body.dryRun === true ? { unaudited: true } : {}) });
      try {
        const report = await pushToGroup(
          {
            group: g.name,
            members: g.members.map((m) => m.appliance),
            rules,
            confirmTimeoutMs,
            cache: ctx.configCache,
            allowDestructive: body.allowDestructive,
            dryRun: body.dryRun,
            names: API_OVERRIDES,
          },
          apiGroupAccess(ctx),
        );
        noteChange(request, { configAfter: report.configId, detail: { group: g.name, ok: report.ok, members: report.members } });
        return report;
      } catch (err) {
        throw fromGroupError(err);
      }
    },
  );
}
