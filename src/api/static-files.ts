/**
 * The dashboard's files (plain HTML, CSS and ES modules in ./dashboard, no build step) and the
 * charting library from node_modules, served by the agent itself: no CDN, since an agent on a
 * management network often has no way out. The files are public; the data behind them needs a
 * token like any API call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The project's root: the nearest folder above this module with Fulcrum's package.json. The
 * dashboard's files are not compiled, so the built server (dist/) serves them from src/ too.
 */
function projectRoot(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'fulcrum') return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find Fulcrum's package.json above ${import.meta.dirname}`);
  }
}

export function dashboardDirectory(): string {
  return path.join(projectRoot(), 'src/api/dashboard');
}

export async function serveDashboard(app: FastifyInstance): Promise<void> {
  const root = dashboardDirectory();
  if (!existsSync(path.join(root, 'index.html'))) throw new Error(`the dashboard's files are missing: no ${root}/index.html`);
  const uplot = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'], decorateReply: false, cacheControl: false });
  await app.register(fastifyStatic, {
    root: uplot,
    prefix: '/vendor/uplot/',
    wildcard: false,
    decorateReply: false,
    allowedPath: (pathName) => ['/uPlot.esm.js', '/uPlot.min.css'].includes(pathName),
  });
}
