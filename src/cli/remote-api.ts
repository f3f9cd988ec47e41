/**
 * The CLI as a JSON client of a remote agent's API (/api/v1), for the commands that read or
 * change the agent's store: inventory, events, audit, history, rollouts; a firmware image goes
 * up as its raw bytes (POST /firmware), the answer is JSON as ever. The connection is
 * src/control/http-channel.ts's (pinned fingerprint or CA checked before the token is written).
 * Invariant: a command reaches the agent only when a context is chosen (--context,
 * $FULCRUM_CONTEXT, the current one) and neither --direct nor --db asks for this machine; every
 * failure is a CliError with the exit code a local command gives for the same cause.
 */
import http from 'node:http';
import { agentRequest, type AgentEndpoint } from '../control/http-channel.js';
import { CliError, EXIT } from './exit-codes.js';

/** How a command says where it works: the options it shares with `connect()`. */
export interface ReachFlags {
  context?: string;
  direct?: boolean;
  db?: string;
}

/** A refusal or failure the agent answered: the CliError a command shows, with the API's own code and words for one that handles it. */
export class AgentError extends CliError {
  constructor(
    message: string,
    exitCode: number,
    /** The API's error code (`notFound`, `applianceUnreachable`…), '' when the answer had none. */
    readonly code: string,
    /** The API's message alone, without the context's name. */
    readonly detail: string,
  ) {
    super(message, exitCode);
  }
}

/** Exit codes by the API's error code, for a command whose local twin words a cause otherwise. */
export type ExitsByCode = Readonly<Record<string, number>>;

export interface RemoteApi {
  /** The context's name and the agent's URL, for messages. */
  readonly where: string;
  /** The context's name alone, for the `--context NAME` of a command to run next. */
  readonly context: string;
  get<T>(path: string, query?: Record<string, string | undefined>, exits?: ExitsByCode): Promise<T>;
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, exits?: ExitsByCode): Promise<T>;
  /** POSTs `bytes` as they are (application/octet-stream), for the routes that take a file. */
  sendBytes<T>(path: string, bytes: Uint8Array, exits?: ExitsByCode): Promise<T>;
}

/** A request's body as it goes on the wire, with its content type. */
interface Payload {
  type: string;
  bytes: Buffer;
}

/** The agent this command works against, or null for this machine. */
export async function remoteApi(opts: ReachFlags): Promise<RemoteApi | null> {
  if (opts.direct === true) return null;
  if (opts.db !== undefined) {
    if (opts.context !== undefined) throw new CliError('--db works on this machine, --context on a remote agent: give one of them', EXIT.usage);
    return null;
  }
  const { chosenContext } = await import('./contexts.js');
  const chosen = chosenContext(opts.context);
  return chosen ? new AgentApi(chosen.name, chosen.endpoint) : null;
}

interface ApiErrorBody {
  error?: { code?: string; message?: string };
}

/**
 * A 404 means "no such appliance, image, rollout…" (exit 3, as locally) only when the API says so
 * with its `notFound` code. The agent answers an unknown route with `notFound` too, worded
 * "no such route: …" (src/api/errors.ts), and anything else at that address answers a bare 404:
 * neither says the name is unknown, and exit 3 would make a script believe it is.
 */
function namesAThing(error: ApiErrorBody['error']): boolean {
  return error?.code === 'notFound' && !(error.message ?? '').startsWith('no such route:');
}

/**
 * A route the agent lacks is a failure of the remote side, not of the input and not transient:
 * exit 1 (EXIT.failure), never 4, which scripts read as "try again later".
 */
const NO_ROUTE_EXIT = EXIT.failure;

/** The exit code of an API error a command did not name: the same cause's exit code locally. */
function defaultExit(status: number, code: string): number {
  if (status === 401 || status === 403) return EXIT.refused;
  if (status === 404 || status === 409) return EXIT.invalidInput;
  if (code === 'applianceUnreachable' || code === 'applianceTimeout') return EXIT.unreachable;
  if (status === 400 || status === 422) return EXIT.usage;
  return EXIT.failure;
}

class AgentApi implements RemoteApi {
  readonly where: string;

  constructor(
    readonly context: string,
    private readonly endpoint: AgentEndpoint,
  ) {
    this.where = `context ${context} (${endpoint.server})`;
  }

  get<T>(path: string, query: Record<string, string | undefined> = {}, exits: ExitsByCode = {}): Promise<T> {
    const url = this.url(path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return this.request<T>('GET', url, undefined, exits);
  }

  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, exits: ExitsByCode = {}): Promise<T> {
    const payload = body === undefined ? undefined : { type: 'application/json', bytes: Buffer.from(JSON.stringify(body), 'utf8') };
    return this.request<T>(method, this.url(path), payload, exits);
  }

  sendBytes<T>(path: string, bytes: Uint8Array, exits: ExitsByCode = {}): Promise<T> {
    const payload = { type: 'application/octet-stream', bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
    return this.request<T>('POST', this.url(path), payload, exits);
  }

  private url(path: string): URL {
    return new URL(`/api/v1${path}`, this.endpoint.server);
  }

  private request<T>(method: string, url: URL, payload: Payload | undefined, exits: ExitsByCode): Promise<T> {
    const headers =
      payload === undefined ? (method === 'GET' ? {} : { 'content-length': 0 }) : { 'content-type': payload.type, 'content-length': payload.bytes.length };
    return new Promise<T>((resolve, reject) => {
      const req = http.request(agentRequest(this.endpoint, url, method, headers), (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('error', (err) => reject(new CliError(`${this.where}: ${err.message}`, EXIT.unreachable)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            if (status === 404) return reject(this.noRoute(method, url));
            return reject(new CliError(`${this.where}: HTTP ${status}, not the API's JSON: ${text.slice(0, 200)}`, EXIT.failure));
          }
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const error = (parsed as ApiErrorBody | null)?.error;
          if (status === 404 && !namesAThing(error)) return reject(this.noRoute(method, url));
          reject(this.failure(status, error, exits));
        });
      });
      req.on('error', (err) => reject(new CliError(`${this.where}: ${err.message}`, EXIT.unreachable)));
      req.end(payload?.bytes);
    });
  }

  /** An agent without this route (older than this CLI, or not Fulcrum's API at that path). */
  private noRoute(method: string, url: URL): CliError {
    return new CliError(
      `${this.where}: the remote agent does not offer ${method} ${url.pathname} (an older agent? upgrade it, or run the command on its machine)`,
      NO_ROUTE_EXIT,
    );
  }

  private failure(status: number, error: ApiErrorBody['error'], exits: ExitsByCode): CliError {
    const code = error?.code ?? '';
    const message = error?.message ?? `HTTP ${status}`;
    const exit = exits[code] ?? defaultExit(status, code);
    // Worded as the remote driver words a refusal (src/cli/connect.ts asCliError).
    const text = exit === EXIT.refused ? `refused (${code || status}): ${this.where}: ${message}` : `${this.where}: ${message}`;
    return new AgentError(text, exit, code, message);
  }
}
