/**
 * Rule tables arriving over HTTP: YAML text (content-type text/yaml or application/yaml), JSON
 * as the whole body, or inside a JSON body as `rules`. Errors are the CLI's: every problem at
 * once, each with its path and rule — and with line and column wherever the request has the
 * text they point into (a YAML body, a JSON body, `rules` given as text). Tables are loaded on
 * the rule loader's worker (rule-loader.ts), never on the event loop; text over the loader's
 * limits (size, nesting) is refused before any parse, 413 or 400 naming the limit.
 */
import type { FastifyRequest } from 'fastify';
import { formatPath } from '../protocol/rules/index.js';
import { RulesError, RulesLimitError } from '../rules/index.js';
import type { RuleTable } from '../protocol/rules/model.js';
import { ApiError } from './errors.js';
import type { RuleLoader } from './rule-loader.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** A JSON body's text as received, so rule errors can point at its lines. */
    rawBody: string | null;
  }
}

/** What the file of a rule error is called when the table came in the request body. */
export const BODY = '<body>';

/** 422 with every problem: `details` lists them as objects, `message` as the CLI prints them. */
function invalid(message: string, details: readonly unknown[]): ApiError {
  return new ApiError(422, 'invalidRules', message, details);
}

/** The whole body is the table: YAML text, or JSON whose text was kept. */
export async function rulesFromBody(request: FastifyRequest, loader: RuleLoader): Promise<RuleTable> {
  const body = request.body;
  const text = typeof body === 'string' ? body : request.rawBody;
  if (text === null || text === undefined) throw new ApiError(400, 'invalidRequest', 'body: send the rule table as JSON or as YAML (content-type text/yaml)');
  try {
    return await loader.load(text, BODY);
  } catch (err) {
    if (err instanceof RulesError && !(err instanceof RulesLimitError)) throw invalid(err.message, err.errors);
    throw err;
  }
}

/**
 * A table inside a JSON body under `field`: text is loaded as YAML (JSON is YAML too), with
 * positions in that text; an object has no text of its own, so its errors give paths only.
 */
export async function rulesFromField(value: unknown, field: string, loader: RuleLoader): Promise<RuleTable> {
  if (typeof value === 'string') {
    try {
      return await loader.load(value, field);
    } catch (err) {
      if (err instanceof RulesError && !(err instanceof RulesLimitError)) throw invalid(err.message, err.errors);
      throw err;
    }
  }
  try {
    // The body it came in passed the nesting limit, so this stays shallow.
    return await loader.load(JSON.stringify(value), field);
  } catch (err) {
    if (!(err instanceof RulesError) || err instanceof RulesLimitError) throw err;
    const details = err.errors.map((e) => ({ path: e.path, message: e.message }));
    const message = details.map((d) => `${field}${d.path === formatPath([]) ? '' : `.${d.path}`}: ${d.message}`).join('\n');
    throw invalid(message, details);
  }
}
