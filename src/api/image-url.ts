/**
 * Where an appliance fetches a catalog image from the agent: GET /api/v1/firmware/SHA256/image
 * on the address the agent's API listens on (no token needed: see routes/firmware.ts). An agent
 * listening on every address (0.0.0.0, ::) is reached through the address its own host would
 * use to reach the appliance — the kernel's route lookup, asked with a connected UDP socket that
 * sends nothing.
 */
import { createSocket } from 'node:dgram';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { Server as TlsServer } from 'node:tls';

const WILDCARD = new Set(['0.0.0.0', '::', '::0']);

/** The address this host uses to reach `host` (an IP or a name). */
function localAddressToward(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    // Port 9 (discard): connect() only picks the route; no datagram is sent.
    socket.connect(9, host, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

/** The host part of `snmp://HOST[:PORT]` (brackets of an IPv6 literal removed). */
export function targetHost(target: string): string {
  return new URL(target).hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The URL the appliance at `applianceHost` can fetch image `sha256` from. Throws when the API is not listening. */
export async function imageUrlFor(server: Server, applianceHost: string, sha256: string): Promise<string> {
  const bound = server.listening ? (server.address() as AddressInfo | null) : null;
  if (!bound || typeof bound !== 'object') {
    throw new Error('the agent does not listen on HTTP, and an SNMP appliance fetches its firmware image from the agent: run `fulcrum serve`');
  }
  const host = WILDCARD.has(bound.address) ? await localAddressToward(applianceHost) : bound.address;
  const hostText = isIP(host) === 6 ? `[${host}]` : host;
  // Over TLS the appliance must fetch with HTTPS, and trust the agent's certificate.
  const scheme = server instanceof TlsServer ? 'https' : 'http';
  return `${scheme}://${hostText}:${bound.port}/api/v1/firmware/${sha256}/image`;
}
