/**
 * `fulcrum serve` against hostile and careless use, as an operator runs it (the built CLI in its
 * own process): a read token's hostile rule body does not kill it, a token in a stream URL never
 * reaches the logs however it is spelled, TLS from files or self-signed (real HTTPS requests),
 * and plain HTTP beyond loopback refused unless asked for. Also `fulcrum rules validate` on a
 * hostile file.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, fulcrum, fulcrumReady } from '../support/cli.js';

interface Ready {
  url: string;
  tlsFingerprint?: string;
}

/** A GET over HTTPS trusting only `ca`; the answer and the server certificate's SHA-256 fingerprint. */
function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers, agent: false }, (res) => {
      // Read the certificate now: once the answer ends the socket may already be detached.
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fulcrum serve under hostile and careless use', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-serve-sec-'));
  const db = path.join(dir, 'fulcrum.db');
  const children: { kill(signal?: NodeJS.Signals): boolean; exitCode: number | null }[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });
  const token = (role: 'admin' | 'read') => (JSON.parse(fulcrum(['token', 'create', '--role', role, '--db', db, '--json']).stdout) as { token: string }).token;

  it('survives a read token sending 5,000-deep JSON to rules/validate twice', async () => {
    const read = token('read');
    const { child, ready } = await fulcrumReady<Ready>(['serve', '--port', '0', '--db', db, '--no-poll']);
    children.push(child);
    const body = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (let i = 0; i < 2; i++) {
      const r = await fetch(`${ready.url}/api/v1/rules/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${read}`, 'content-type': 'application/json' },
        body,
      });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('tooDeep');
    }
    expect((await fetch(`${ready.url}/api/v1/appliances`, { headers: { authorization: `Bearer ${read}` } })).status).toBe(200);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  it('never logs a stream token, however the query spells it', async () => {
    const read = token('read');
    const { child, ready, stderr } = await fulcrumReady<Ready>(['serve', '--port', '0', '--db', db, '--no-poll'], { FULCRUM_LOG: 'info' });
    children.push(child);
    for (const query of [`tok%65n=${read}`, `token=${read}`, `%74oken=${encodeURIComponent(read)}`]) {
      const controller = new AbortController();
      const r = await fetch(`${ready.url}/api/v1/stream?${query}`, { signal: controller.signal });
      expect(r.status, query).toBe(200);
      controller.abort();
    }
    const other = await fetch(`${ready.url}/api/v1/appliances?token=${read}&x=%74oken`, { headers: { authorization: `Bearer ${read}` } });
    expect(other.status).toBe(200);
    child.kill('SIGTERM');
    await exited(child);
    const logs = stderr();
    expect(logs).toContain('/api/v1/stream');
    expect(logs).toContain('/api/v1/appliances?token=[redacted]&x=%74oken');
    expect(logs).not.toContain(read);
    expect(logs).not.toContain(read.slice('fulcrum_'.length, 30));
  });

  it('serves HTTPS with --tls-cert and --tls-key, printing the certificate fingerprint', async () => {
    const { selfSignedPair } = await import('../../src/api/tls.js');
    const pair = await selfSignedPair(['localhost', '127.0.0.1']);
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    writeFileSync(cert, pair.cert);
    writeFileSync(key, pair.key, { mode: 0o600 });
    const read = token('read');
    const { child, ready } = await fulcrumReady<Ready>(['serve', '--port', '0', '--db', db, '--no-poll', '--tls-cert', cert, '--tls-key', key]);
    children.push(child);
    expect(ready.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.tlsFingerprint).toBe(new X509Certificate(pair.cert).fingerprint256);
    const r = await httpsGet(`${ready.url}/api/v1/appliances`, pair.cert, { authorization: `Bearer ${read}` });
    expect(r.status).toBe(200);
    expect(r.fingerprint).toBe(ready.tlsFingerprint);
    const page = await httpsGet(`${ready.url}/`, pair.cert);
    expect(page.body).toContain('<title>Fulcrum</title>');
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  it('refuses a missing or unreadable certificate, and half a pair, as usage errors', () => {
    const missing = fulcrum(['serve', '--port', '0', '--db', db, '--tls-cert', path.join(dir, 'nope.pem'), '--tls-key', path.join(dir, 'nope.key')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--tls-cert: cannot read/);
    const half = fulcrum(['serve', '--port', '0', '--db', db, '--tls-cert', path.join(dir, 'cert.pem')]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
    const both = fulcrum([
      'serve',
      '--port',
      '0',
      '--db',
      db,
      '--tls-self-signed',
      '--tls-cert',
      path.join(dir, 'cert.pem'),
      '--tls-key',
      path.join(dir, 'key.pem'),
    ]);
    expect(both.code).toBe(2);
  });

  it('makes a self-signed pair in $FULCRUM_HOME on first use and reuses it', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-tls-home-'));
    const first = await fulcrumReady<Ready>(['serve', '--port', '0', '--db', db, '--no-poll', '--tls-self-signed'], { FULCRUM_HOME: home });
    children.push(first.child);
    const certFile = path.join(home, 'tls', 'cert.pem');
    expect(existsSync(certFile)).toBe(true);
    expect(statSync(path.join(home, 'tls', 'key.pem')).mode & 0o077).toBe(0);
    const cert = readFileSync(certFile, 'utf8');
    expect(first.ready.tlsFingerprint).toBe(new X509Certificate(cert).fingerprint256);
    const r = await httpsGet(`${first.ready.url}/api/v1/appliances`, cert);
    expect(r.status).toBe(401);
    expect(r.fingerprint).toBe(first.ready.tlsFingerprint);
    first.child.kill('SIGTERM');
    await exited(first.child);
    // Read once it has exited: the log line may still be in flight when the ready line arrives.
    expect(first.stderr()).toContain(first.ready.tlsFingerprint);

    const second = await fulcrumReady<Ready>(['serve', '--port', '0', '--db', db, '--no-poll', '--tls-self-signed'], { FULCRUM_HOME: home });
    children.push(second.child);
    expect(second.ready.tlsFingerprint).toBe(first.ready.tlsFingerprint);
    second.child.kill('SIGTERM');
    await exited(second.child);
  });

  it('refuses plain HTTP on a non-loopback address unless --insecure-http', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const refused = fulcrum(['serve', '--host', host, '--port', '0', '--db', db, '--no-poll']);
      expect(refused.code, host).toBe(2);
      expect(refused.stderr).toMatch(/needs TLS.*--tls-self-signed.*--insecure-http/s);
    }
    const { child, ready } = await fulcrumReady<Ready>(['serve', '--host', '0.0.0.0', '--port', '0', '--db', db, '--no-poll', '--insecure-http']);
    children.push(child);
    const port = new URL(ready.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    child.kill('SIGTERM');
    await exited(child);
  });
});

describe('fulcrum rules validate on hostile files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rules-limits-'));

  it('exits 3 with FILE:LINE:COL naming the nesting limit', () => {
    const file = path.join(dir, 'deep.json');
    writeFileSync(file, `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const r = fulcrum(['rules', 'validate', file]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:1:69 \\(root\\): nested more than 64 levels deep`));
  });

  it('exits 3 naming the size limit', () => {
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, `services: []\n${'# padding padding padding padding padding padding padding\n'.repeat(80_000)}`);
    const r = fulcrum(['rules', 'validate', file, '--json']);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout) as { valid: boolean; errors: { line: number; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.errors[0]!.message).toMatch(/larger than 4 MiB/);
  });
});
