/** GET /agents: the agents polling this store, their site, heartbeat, leases and cycle times. */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { AgentList, errors } from '../schemas.js';
import { listAgents } from '../../store/agents-view.js';

export function agentRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/agents',
    {
      schema: {
        summary: 'The agents polling this store (several on a shared postgres:// store; its one poller on a SQLite file)',
        tags: ['agents'],
        response: { 200: AgentList, ...errors(401) },
      },
    },
    async () => ({ agents: await listAgents(ctx.store) }),
  );
}
