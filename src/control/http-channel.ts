/**
 * A remote driver's operations over a remote agent's API (POST /api/v1/appliances/NAME/driver,
 * src/api/routes/driver.ts), one request per operation, the answer read as NDJSON lines. The
 * server is trusted by a pinned SHA-256 certificate fingerprint, a CA file, or the system's CAs;
 * a pinned or CA-checked connection is verified before the request — and its token — is written
 * (agentRequest, which src/cli/remote-api.ts uses for the rest of the API).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { createInterface } from 'node:readline';
import { DriverError, type ApplianceEvent, type DriverErrorCode } from '../../drivers/driver.js';
import { decodeLine, encodeJson, type Op, type Reply } from './wire.js';
import { InventoryError } from '../store/inventory.js';
import type { Channel } from './remote-driver.js';

export interface AgentEndpoint {
  /** https://HOST:PORT (or http:// where the context allows it). */
  server: string;
  token: string;
  /** SHA-256 fingerprint of the server's certificate (AB:CD:…), pinned instead of a CA. */
  fingerprint?: string;
  /** PEM CA certificate(s) the server's certificate must chain to, instead of the system's. */
  ca?: string;
}

const DRIVER_CODES: readonly string[] = ['unreachable', 'refused', 'badTarget'] satisfies DriverErrorCode[];

/** Opens the TLS connection and checks the pin before handing it to the HTTP client. */
function pinnedConnection(url: URL, endpoint: AgentEndpoint) {
  return (_options: http.ClientRequestArgs, done: (err: Error | null, socket: Duplex) => void): undefined => {
    const socket = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      servername: /^[\d.[\]:]+$/.test(url.hostname) ? undefined : url.hostname,
      ...(endpoint.ca ? { ca: endpoint.ca } : {}),
      // A pinned certificate is checked below, whoever signed it.
      rejectUnauthorized: endpoint.fingerprint === undefined,
    } as tls.ConnectionOptions);
    socket.once('error', (err) => done(err, socket));
    socket.once('secureConnect', () => {
      const seen = socket.getPeerCertificate().fingerprint256;
      if (endpoint.fingerprint !== undefined && seen?.toUpperCase() !== endpoint.fingerprint.toUpperCase()) {
        socket.destroy();
        done(
          new Error(
            `the server's certificate fingerprint is ${seen}, not the pinned ${endpoint.fingerprint}: someone may be in between, or the agent has a new certificate (fulcrum context add … --fingerprint)`,
          ),
          socket,
        );
        return;
      }
      done(null, socket);
    });
    return undefined;
  };
}

/**
 * The options of one request to the agent at `url` (its path and query included): the bearer
 * token, and over https a connection checked against the pin or CA before anything is written.
 */
export function agentRequest(endpoint: AgentEndpoint, url: URL, method: string, headers: http.OutgoingHttpHeaders = {}): http.RequestOptions {
  const https = url.protocol === 'https:';
  return {
    // Over https the connection is made (and checked) by pinnedConnection; the request itself is plain HTTP on it.
    protocol: 'http:',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (https ? 443 : 80)),
    path: `${url.pathname}${url.search}`,
    method,
    // No agent: with one, Node would open its own connection and skip createConnection.
    ...(https ? {} : { agent: false }),
    headers: { ...headers, authorization: `Bearer ${endpoint.token}` },
    ...(https ? { createConnection: pinnedConnection(url, endpoint) } : {}),
  };
}

export class HttpChannel implements Channel {
  private readonly url: URL;

  constructor(
    private readonly endpoint: AgentEndpoint,
    private readonly appliance: string,
  ) {
    this.url = new URL(`/api/v1/appliances/${encodeURIComponent(appliance)}/driver`, endpoint.server);
  }

  call<T>(op: Op, args: Record<string, unknown> = {}, onProgress?: (sent: number, total: number) => void): Promise<T> {
    const where = `${this.appliance} at ${this.endpoint.server}`;
    const body = encodeJson({ op, args });
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        agentRequest(this.endpoint, this.url, 'POST', { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        (res) => {
          if (res.statusCode !== 200) {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => reject(httpError(res.statusCode ?? 0, text, where)));
            return;
          }
          let settled = false;
          createInterface({ input: res })
            .on('line', (line) => {
              let reply: Reply;
              try {
                reply = decodeLine(line) as Reply;
              } catch {
                return;
              }
              if ('progress' in reply) onProgress?.(reply.progress[0], reply.progress[1]);
              else if ('result' in reply) {
                settled = true;
                resolve(reply.result as T);
              } else if ('error' in reply) {
                settled = true;
                const { code, message, remote } = reply.error;
                reject(DRIVER_CODES.includes(code) ? new DriverError(code as DriverErrorCode, message, remote) : new Error(`${where}: ${message}`));
              }
            })
            .on('close', () => {
              if (!settled) reject(new DriverError('unreachable', `${where}: the agent ended the answer to ${op} before its result`));
            });
        },
      );
      req.on('error', (err) => reject(new DriverError('unreachable', `${where}: ${err.message}`)));
      req.end(body);
    });
  }

  onEvent(_listener: (e: ApplianceEvent) => void): () => void {
    // Events of a remote agent are on its live stream (/api/v1/stream), not on this channel.
    return () => undefined;
  }

  async close(): Promise<void> {}
}

function httpError(status: number, text: string, where: string): Error {
  let code = '';
  let message = text.slice(0, 300);
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    code = e?.code ?? '';
    message = e?.message ?? message;
  } catch {
    // not the API's JSON: the text as it came
  }
  // The agent's inventory has no such name: the same error (and exit code) as a local inventory's.
  if (status === 404 && code === 'notFound') return new InventoryError('notFound', `${where}: ${message}`);
  if (status === 404) return new DriverError('badTarget', `${where}: ${message}`);
  if (status === 401 || status === 403) return new DriverError('refused', `${where}: ${message}`, code || (status === 401 ? 'unauthorized' : 'forbidden'));
  return new DriverError(status >= 500 ? 'unreachable' : 'refused', `${where}: HTTP ${status}: ${message}`, code || undefined);
}
