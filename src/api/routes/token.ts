/**
 * `GET /token`: who the request's token is (name and role), so a client such as the dashboard
 * shows the buttons that change something only to an admin, instead of offering them to a read
 * token and failing with 403.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { errors } from '../schemas.js';

const TokenResponse = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  role: Type.Union([Type.Literal('read'), Type.Literal('admin')]),
});

export function tokenRoutes(app: FastifyInstance, _ctx: ApiContext): void {
  app.get(
    '/token',
    {
      schema: { summary: "The request's own token: its name and role (never its secret)", tags: ['tokens'], response: { 200: TokenResponse, ...errors(401) } },
    },
    async (request) => {
      const actor = request.actor!;
      return { id: actor.id, name: actor.name, role: actor.role };
    },
  );
}
