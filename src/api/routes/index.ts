/**
 * The API's route modules, registered under /api/v1 in this order. Each is a function of the
 * scope (already behind token auth and the audit log) and the shared context; to add a resource,
 * write routes/NAME.ts exporting one such function and list it here.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { agentRoutes } from './agents.js';
import { applianceRoutes } from './appliances.js';
import { backendRoutes } from './backends.js';
import { counterRoutes } from './counters.js';
import { driverRoutes } from './driver.js';
import { eventRoutes } from './events.js';
import { firmwareRoutes } from './firmware.js';
import { fleetPushRoutes } from './fleet-push.js';
import { groupRoutes } from './groups.js';
import { rolloutRoutes } from './rollouts.js';
import { ruleRoutes } from './rules.js';
import { tokenRoutes } from './token.js';

export type RouteModule = (app: FastifyInstance, ctx: ApiContext) => void | Promise<void>;

export const API_ROUTES: readonly RouteModule[] = [
  applianceRoutes,
  counterRoutes,
  ruleRoutes,
  backendRoutes,
  fleetPushRoutes,
  groupRoutes,
  eventRoutes,
  firmwareRoutes,
  rolloutRoutes,
  driverRoutes,
  tokenRoutes,
  agentRoutes,
];
