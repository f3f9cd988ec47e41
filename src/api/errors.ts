/**
 * Every error the API answers with has one shape, `{error: {code, message, details?}}`, whatever
 * raised it: a route's own check, schema validation, a driver that could not reach the
 * appliance, the inventory, or a rule table that does not validate. The message is meant for an
 * operator: it names the field or the appliance and says what to do.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DriverError } from '../../drivers/driver.js';
import { RulesError, RulesLimitError } from '../rules/index.js';
import { ProvisionError } from '../provision/push.js';
import { InventoryError } from '../store/inventory.js';
import { TokenError } from '../store/tokens.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** An answer other than success, raised anywhere in a route. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, 'notFound', what);

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/credentials/community` in the body → `body.credentials.community`. */
function fieldPath(context: string, instancePath: string, extra?: unknown): string {
  const parts = instancePath
    .split('/')
    .filter((p) => p !== '')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (typeof extra === 'string') parts.push(extra);
  return [context, ...parts]
    .map((p, i) => (i > 0 && /^\d+$/.test(p) ? `[${p}]` : p))
    .join('.')
    .replaceAll('.[', '[');
}

/** An ajv complaint as a sentence naming the field: "body.steps: must be <= 10". */
export function describeValidation(context: string, errors: readonly AjvError[]): { message: string; details: { field: string; message: string }[] } {
  const details = errors.map((e) => {
    const params = e.params ?? {};
    if (e.keyword === 'required') return { field: fieldPath(context, e.instancePath ?? '', params.missingProperty), message: 'is required' };
    if (e.keyword === 'additionalProperties') {
      return { field: fieldPath(context, e.instancePath ?? '', params.additionalProperty), message: 'is not a known field' };
    }
    if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      return { field: fieldPath(context, e.instancePath ?? ''), message: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    return { field: fieldPath(context, e.instancePath ?? ''), message: e.message ?? 'is not valid' };
  });
  const first = details[0] ?? { field: context, message: 'is not valid' };
  return { message: `${first.field}: ${first.message}`, details };
}

/** How a driver's failure reads over HTTP: the appliance, not the agent, is the problem. */
function fromDriver(err: DriverError): ApiError {
  if (err.code === 'unreachable') {
    const timeout = /no (SNMP )?answer|timed? ?out|tries/i.test(err.message);
    return timeout
      ? new ApiError(504, 'applianceTimeout', `the appliance did not answer: ${err.message}`)
      : new ApiError(502, 'applianceUnreachable', `the appliance cannot be reached: ${err.message}`);
  }
  if (err.code === 'badTarget') return new ApiError(400, 'badTarget', err.message);
  if (err.remote === 'unsupported') return new ApiError(501, 'unsupported', err.message, { remote: err.remote });
  return new ApiError(
    409,
    'applianceRefused',
    `the appliance refused (its running config is unchanged): ${err.message}`,
    err.remote ? { remote: err.remote } : undefined,
  );
}

/** Rule text refused before parsing: too big is 413, too deep or too many aliases 400; the message names the limit. */
export function fromLimit(err: RulesLimitError): ApiError {
  if (err.limit === 'size') return new ApiError(413, 'tooLarge', err.message, err.errors);
  return new ApiError(400, err.limit === 'depth' ? 'tooDeep' : 'tooManyAliases', err.message, err.errors);
}

/** Any thrown value → the ApiError to answer with. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof DriverError) return fromDriver(err);
  if (err instanceof RulesLimitError) return fromLimit(err);
  if (err instanceof RulesError) return new ApiError(422, 'invalidRules', err.message, err.errors);
  if (err instanceof InventoryError) {
    const status = err.code === 'notFound' ? 404 : err.code === 'duplicate' ? 409 : 400;
    return new ApiError(status, err.code === 'invalid' ? 'invalidRequest' : err.code, err.message);
  }
  if (err instanceof ProvisionError) {
    return err.code === 'invalid' ? new ApiError(400, 'invalidRequest', err.message) : new ApiError(502, 'configMismatch', err.message);
  }
  if (err instanceof TokenError) return new ApiError(err.code === 'notFound' ? 404 : 400, err.code === 'invalid' ? 'invalidRequest' : err.code, err.message);
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const { message, details } = describeValidation(fe.validationContext ?? 'request', fe.validation);
    return new ApiError(400, 'invalidRequest', message, details);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, FASTIFY_CODES[fe.code ?? ''] ?? 'badRequest', fe.message ?? 'bad request');
  }
  return new ApiError(500, 'internal', 'the agent failed while answering; its log has the details');
}

/** Fastify's own client errors, named the way the rest of the API names its codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalidJson',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalidJson',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupportedMediaType',
  FST_ERR_CTP_BODY_TOO_LARGE: 'tooLarge',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'badRequest',
};

declare module 'fastify' {
  interface FastifyRequest {
    /** The error this request was answered with, for the audit log. */
    failure: ApiError | null;
  }
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  request.failure = error;
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) } };
  if (error.statusCode === 401) void reply.header('www-authenticate', 'Bearer realm="fulcrum"');
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(body);
}

/** JSON errors everywhere: thrown errors, validation failures and unknown routes. */
export function installErrorHandling(app: FastifyInstance): void {
  app.decorateRequest('failure', null);
  app.setErrorHandler((err, request, reply) => {
    const error = toApiError(err);
    if (error.statusCode >= 500 && error.code === 'internal') request.log.error({ err }, 'request failed');
    else request.log.info({ code: error.code, message: error.message }, 'request refused');
    return sendError(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, notFound(`no such route: ${request.method} ${request.url.split('?')[0]}`)));
}
