/**
 * TLS for the API: a certificate and key from files, or a self-signed pair that `serve
 * --tls-self-signed` makes once and keeps in $FULCRUM_HOME/tls (key readable by its owner only),
 * so its SHA-256 fingerprint stays the same across restarts and can be pinned by clients.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

export interface TlsPair {
  /** PEM. */
  cert: string;
  /** PEM. */
  key: string;
}

/** The certificate's SHA-256 fingerprint as browsers and `openssl x509 -fingerprint -sha256` show it (AB:CD:…). */
export function fingerprint(cert: string): string {
  return new X509Certificate(cert).fingerprint256;
}

/** A new self-signed pair (ECDSA P-256, SHA-256, valid 825 days) for these host names and addresses. */
export async function selfSignedPair(names: readonly string[]): Promise<TlsPair> {
  const unique = [...new Set(names)];
  const altNames = unique.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const notBeforeDate = new Date();
  // 825 days: the longest validity macOS and iOS accept for a TLS server certificate.
  const notAfterDate = new Date(notBeforeDate.getTime() + 825 * 86_400_000);
  // Loaded only when a pair is made: the library is large and most runs never need it.
  const { generate } = await import('selfsigned');
  const pems = await generate(
    [
      { name: 'commonName', value: unique[0] ?? 'localhost' },
      { name: 'organizationName', value: 'Fulcrum agent' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames },
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}

/** The pair in `dir` (cert.pem, key.pem), made on first use; `created` says whether it was made now. */
export async function selfSignedIn(dir: string, names: readonly string[]): Promise<{ pair: TlsPair; created: boolean }> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile))
    return { pair: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }, created: false };
  const pair = await selfSignedPair(names);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Key first, each written whole then renamed: a crash leaves no certificate without its key.
  for (const [file, text, mode] of [
    [keyFile, pair.key, 0o600],
    [certFile, pair.cert, 0o644],
  ] as const) {
    const partial = `${file}.partial`;
    writeFileSync(partial, text, { mode });
    chmodSync(partial, mode);
    renameSync(partial, file);
  }
  return { pair, created: true };
}
