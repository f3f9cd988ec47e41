/**
 * Remote agents the CLI can work against, kubectl-style: `$FULCRUM_HOME/contexts.json` (0600)
 * names each agent's URL, the file its token is read from, and how its certificate is trusted
 * (a pinned SHA-256 fingerprint, a CA file, or the system's CAs). One may be current; `--context
 * NAME` or `$FULCRUM_CONTEXT` chooses per command. Tokens never cross a network in clear: plain
 * http:// is accepted for loopback addresses only.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AgentEndpoint } from '../control/http-channel.js';
import { fulcrumHome } from '../store/config-cache.js';
import { CliError, EXIT } from './exit-codes.js';

export interface AgentContext {
  server: string;
  tokenFile: string;
  fingerprint?: string;
  ca?: string;
}

interface ContextFile {
  current?: string;
  contexts: Record<string, AgentContext>;
}

export const contextsFile = (): string => path.join(fulcrumHome(), 'contexts.json');

export function readContexts(file = contextsFile()): ContextFile {
  if (!existsSync(file)) return { contexts: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as ContextFile;
    return { ...(parsed.current ? { current: parsed.current } : {}), contexts: parsed.contexts ?? {} };
  } catch (err) {
    throw new CliError(`${file}: not a contexts file (${(err as Error).message}); fix or remove it`, EXIT.failure);
  }
}

export function writeContexts(contents: ContextFile, file = contextsFile()): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;
const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

/** Checks a context as `context add` is given it; the error names the flag. */
export function checkContext(c: { server: string; tokenFile: string; fingerprint?: string; ca?: string }, insecureHttp: boolean): AgentContext {
  let url: URL;
  try {
    url = new URL(c.server);
  } catch {
    throw new CliError(`--server: "${c.server}" is not a URL (https://HOST:PORT)`, EXIT.usage);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError(`--server: expected https://HOST:PORT, got ${url.protocol}`, EXIT.usage);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !insecureHttp)
    throw new CliError(
      `--server: ${c.server} is plain HTTP to another machine: the token would cross the network in clear (use https://, or --insecure-http)`,
      EXIT.usage,
    );
  if (url.pathname !== '/' || url.search || url.hash) throw new CliError(`--server: give the agent's address only (https://HOST:PORT), not a path`, EXIT.usage);
  tokenOf(c.tokenFile);
  const fingerprint = c.fingerprint?.toUpperCase();
  if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint))
    throw new CliError(`--fingerprint: expected the certificate's SHA-256 fingerprint as 32 hex pairs (AB:CD:…), as serve prints it`, EXIT.usage);
  if (c.ca !== undefined && !existsSync(c.ca)) throw new CliError(`--ca: ${c.ca} does not exist`, EXIT.usage);
  return {
    server: url.origin,
    tokenFile: path.resolve(c.tokenFile),
    ...(fingerprint ? { fingerprint } : {}),
    ...(c.ca ? { ca: path.resolve(c.ca) } : {}),
  };
}

/** The token in `file`, which only its owner may read. */
function tokenOf(file: string): string {
  let text: string;
  try {
    if ((statSync(file).mode & 0o077) !== 0) throw new CliError(`token file ${file}: others may read it; chmod 600 it first`, EXIT.usage);
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`token file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, EXIT.usage);
  }
  if (!/^fulcrum_\S+$/.test(text)) throw new CliError(`token file ${file}: does not hold a Fulcrum token (fulcrum token create prints one)`, EXIT.usage);
  return text;
}

/** The context a command works against: --context, then $FULCRUM_CONTEXT, then the current one; null: this machine. */
export function chosenContext(flag: string | undefined): { name: string; endpoint: AgentEndpoint } | null {
  const name = flag ?? process.env.FULCRUM_CONTEXT ?? undefined;
  const file = readContexts();
  const chosen = name ?? file.current;
  if (chosen === undefined || chosen === '') return null;
  const c = file.contexts[chosen];
  if (!c)
    throw new CliError(`context "${chosen}" is not defined (fulcrum context list; fulcrum context add ${chosen} --server URL --token-file FILE)`, EXIT.usage);
  return {
    name: chosen,
    endpoint: {
      server: c.server,
      token: tokenOf(c.tokenFile),
      ...(c.fingerprint ? { fingerprint: c.fingerprint } : {}),
      ...(c.ca ? { ca: readFileSync(c.ca, 'utf8') } : {}),
    },
  };
}
