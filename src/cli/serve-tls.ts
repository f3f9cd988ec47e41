/**
 * How `fulcrum serve` is reached safely: HTTPS from --tls-cert/--tls-key or from the
 * self-signed pair --tls-self-signed keeps in $FULCRUM_HOME/tls, and plain HTTP only on a
 * loopback address unless --insecure-http says otherwise (tokens would cross the network in the
 * clear). Everything is checked before the store is opened: a bad flag is a usage error (exit 2).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fingerprint, selfSignedIn, type TlsPair } from '../api/tls.js';
import { fulcrumHome } from '../store/config-cache.js';
import { CliError, EXIT } from './exit-codes.js';

export interface TlsFlags {
  host: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned?: boolean;
  insecureHttp?: boolean;
}

export interface ServeTls {
  pair: TlsPair;
  fingerprint: string;
  /** Where the self-signed pair is kept, when it is one. */
  selfSigned: { dir: string; created: boolean } | null;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '::0', '']);

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** The TLS the flags ask for, or null for plain HTTP (refused beyond loopback without --insecure-http). */
export async function serveTls(flags: TlsFlags): Promise<ServeTls | null> {
  const fromFiles = flags.tlsCert !== undefined || flags.tlsKey !== undefined;
  if (fromFiles && flags.tlsSelfSigned) throw new CliError('--tls-self-signed: give it or --tls-cert/--tls-key, not both', EXIT.usage);
  if (fromFiles) {
    if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw new CliError('--tls-cert and --tls-key go together: give both', EXIT.usage);
    const pair = { cert: readPem('--tls-cert', flags.tlsCert), key: readPem('--tls-key', flags.tlsKey) };
    let print: string;
    try {
      print = fingerprint(pair.cert);
    } catch (err) {
      throw new CliError(`--tls-cert: ${flags.tlsCert} is not a PEM certificate: ${(err as Error).message}`, EXIT.usage);
    }
    return { pair, fingerprint: print, selfSigned: null };
  }
  if (flags.tlsSelfSigned) {
    const dir = path.join(fulcrumHome(), 'tls');
    const host = flags.host.replace(/^\[(.*)\]$/, '$1');
    const names = ['localhost', '127.0.0.1', '::1', hostname(), ...(WILDCARDS.has(host) ? [] : [host])];
    const { pair, created } = await selfSignedIn(dir, names);
    return { pair, fingerprint: fingerprint(pair.cert), selfSigned: { dir, created } };
  }
  if (!isLoopback(flags.host) && !flags.insecureHttp) {
    throw new CliError(
      `--host ${flags.host}: serving the API beyond this machine needs TLS, or tokens cross the network in the clear: give --tls-cert FILE --tls-key FILE or --tls-self-signed (or --insecure-http to serve plain HTTP anyway)`,
      EXIT.usage,
    );
  }
  return null;
}
