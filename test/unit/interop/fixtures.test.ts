import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configId } from '../../../src/protocol/rules/config-id.js';
import { loadRules } from '../../../src/rules/index.js';
import { exportConfig, FORMATS, importConfig } from '../../../src/interop/index.js';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/interop');
const load = (name: string) => {
  const result = importConfig(readFileSync(path.join(DIR, name), 'utf8'), name);
  const reasons = result.report.map((o) => `${o.line} ${o.directive}: ${o.reason}`);
  const service = (n: string) => {
    const found = result.table.services.find((s) => s.name === n);
    if (found === undefined) throw new Error(`no service ${n}`);
    return found;
  };
  return { ...result, reasons, service, has: (line: number, text: string) => reasons.some((r) => r.startsWith(`${line} `) && r.includes(text)) };
};

describe('real-world configurations', () => {
  it.each(readdirSync(DIR))('%s imports with a report, validates, and exports to every format', (name) => {
    const result = load(name);
    expect(result.format).toBe(name.split('-')[0]);
    expect(result.table.services.length).toBeGreaterThan(0);
    expect(result.report.length).toBeGreaterThan(0);
    expect(loadRules(result.yaml, name)).toStrictEqual(result.table);
    for (const format of FORMATS) {
      const exported = exportConfig(result.table, format);
      const again = importConfig(exported.text, `${name}.${format}`, { from: format });
      if (exported.report.length === 0) expect(configId(again.table)).toBe(configId(result.table));
    }
  });

  it('Patroni: primary and replicas with the HTTP role check, its port 8008 reported', () => {
    const r = load('haproxy-patroni.cfg');
    expect(r.table.services.map((s) => s.name)).toEqual(['primary', 'replicas']);
    expect(r.service('primary')).toMatchObject({
      listen: '0.0.0.0:5000',
      algorithm: 'round-robin',
      idleTimeoutMs: 1_800_000,
      health: { type: 'http', path: '/primary', expectStatus: [200, 200], intervalMs: 3_000, timeoutMs: 3_000, rise: 2, fall: 3 },
    });
    expect(r.service('primary').backends.map((b) => [b.address, b.maxConnections])).toEqual([
      ['10.0.0.11:5432', 100],
      ['10.0.0.12:5432', 100],
      ['10.0.0.13:5432', 100],
    ]);
    expect(r.service('replicas')).toMatchObject({ listen: '0.0.0.0:5001', algorithm: 'least-connections', health: { path: '/replica' } });
    expect(r.has(29, 'the check goes to port 8008')).toBe(true);
    expect(r.has(28, 'on-marked-down shutdown-sessions')).toBe(true);
    expect(r.has(26, 'method OPTIONS is not carried')).toBe(true);
    expect(r.has(16, 'longer than the check interval')).toBe(true);
    expect(r.has(18, 'a statistics page, not a service')).toBe(true);
    expect(r.has(7, 'runtime API')).toBe(true);
  });

  it('Kubernetes API on HAProxy: IPv4 and IPv6 binds merged into one dual-stack service, /healthz over TLS reported, HTTP defaults reported', () => {
    const r = load('haproxy-kube-apiserver.cfg');
    expect(r.table.services.map((s) => [s.name, s.listen])).toEqual([['apiserver', '[::]:6443']]);
    expect(r.has(25, 'merged into the service from line 24')).toBe(true);
    expect(r.service('apiserver')).toMatchObject({
      algorithm: 'round-robin',
      idleTimeoutMs: 35_000,
      health: { type: 'http', path: '/healthz', expectStatus: [200, 200], intervalMs: 10_000, fall: 2 },
    });
    expect(r.service('apiserver').backends.every((b) => b.weight === 100 && b.maxConnections === 250)).toBe(true);
    expect(r.has(32, 'connect options of a check (TLS')).toBe(true);
    expect(r.has(37, 'slowstart')).toBe(true);
    expect(r.has(38, 'TLS is not carried')).toBe(true);
    expect(r.has(15, 'HTTP-only')).toBe(true);
  });

  it('compose lab: the default backend of an HTTP frontend, ACL routing, cookies, TLS and a host name reported', () => {
    const r = load('haproxy-compose-lab.cfg');
    expect(r.table.services.map((s) => [s.name, s.listen])).toEqual([
      ['http-in', '0.0.0.0:80'],
      ['http-in-2', '0.0.0.0:443'],
    ]);
    expect(r.service('http-in').backends.map((b) => b.address)).toEqual(['172.20.0.11:8080', '172.20.0.12:8080']);
    expect(r.has(8, 'HTTP processing')).toBe(true);
    expect(r.has(17, 'TLS termination is not carried')).toBe(true);
    expect(r.has(21, 'routing by ACL is not carried')).toBe(true);
    expect(r.has(27, 'HTTP cookie persistence')).toBe(true);
    expect(r.has(30, 'host name')).toBe(true);
    expect(r.has(37, 'a statistics page, not a service')).toBe(true);
  });

  it('Galera: source hashing, stick table, sorry backend by named ACL, backup, server-template reported', () => {
    const r = load('haproxy-galera.cfg');
    expect(r.service('galera')).toMatchObject({
      algorithm: 'maglev',
      hashKey: 'source-ip',
      persistence: { type: 'source-ip', timeoutMs: 1_800_000 },
      fallback: '10.0.2.1:3306',
      health: { type: 'tcp', rise: 3, fall: 2 },
    });
    expect(r.service('galera').backends.map((b) => [b.address, b.weight, b.backup])).toEqual([
      ['10.0.1.1:3306', 10, false],
      ['10.0.1.2:3306', 10, false],
      ['10.0.1.3:3306', 5, false],
      ['10.0.1.9:3306', 1, true],
    ]);
    expect(r.has(18, 'mysql-check protocol exchange')).toBe(true);
    expect(r.has(28, 'server-template')).toBe(true);
  });

  it('LVS-DR with wrr: weights, persistence and TCP checks; DR, VRRP and inhibit_on_failure reported', () => {
    const r = load('keepalived-dr-wrr.conf');
    expect(r.service('vs-192.168.100.10-80')).toMatchObject({
      algorithm: 'weighted-round-robin',
      persistence: { timeoutMs: 120_000 },
      health: { type: 'tcp', intervalMs: 6_000, timeoutMs: 3_000, rise: 1, fall: 3 },
    });
    expect(r.service('vs-192.168.100.10-80').backends.map((b) => b.weight)).toEqual([3, 2, 1]);
    expect(r.has(10, 'failover (VRRP)')).toBe(true);
    expect(r.has(28, 'direct routing')).toBe(true);
    expect(r.has(50, 'inhibit_on_failure')).toBe(true);
  });

  it('LVS-NAT with a sorry server and a group: two services share the pool; SSL_GET and digests reported', () => {
    const r = load('keepalived-nat-sorry.conf');
    expect(r.table.services.map((s) => [s.name, s.listen])).toEqual([
      ['app', '10.20.0.10:8080'],
      ['app-2', '10.20.0.11:8080'],
      ['vs-10.20.0.10-443', '10.20.0.10:443'],
    ]);
    expect(r.service('app')).toMatchObject({
      algorithm: 'weighted-least-connections',
      fallback: '10.20.9.9:8080',
      idleTimeoutMs: 900_000,
      health: { type: 'http', path: '/status', expectStatus: [200, 299], intervalMs: 5_000, timeoutMs: 2_000, fall: 3 },
    });
    expect(r.service('app').backends.every((b) => b.maxConnections === 500)).toBe(true);
    expect(r.has(5, 'tcpfin')).toBe(true);
    expect(r.has(55, 'TLS is not carried')).toBe(true);
    expect(r.has(58, 'checking the response body')).toBe(true);
  });

  it('DNS over UDP and TCP on one VIP: Maglev on the 5-tuple for UDP, DNS checks as connect checks', () => {
    const r = load('keepalived-dns-udp.conf');
    expect(r.service('vs-10.53.0.1-53-udp')).toMatchObject({
      protocol: 'udp',
      algorithm: 'maglev',
      hashKey: '5-tuple',
      idleTimeoutMs: 300_000,
      health: { type: 'tcp', fall: 3 },
    });
    expect(r.service('vs-10.53.0.1-53')).toMatchObject({ protocol: 'tcp', algorithm: 'least-connections' });
    expect(r.has(9, 'one-packet scheduling')).toBe(true);
    expect(r.has(13, 'DNS exchange is not carried')).toBe(true);
  });

  it('Kubernetes API on nginx: least_conn, listen 6443 and [::]:6443 as one dual-stack service; passive checks and logging reported', () => {
    const r = load('nginx-kube-apiserver.conf');
    expect(r.table.services.map((s) => [s.name, s.listen, s.algorithm, s.idleTimeoutMs])).toEqual([
      ['kube_apiserver', '[::]:6443', 'least-connections', 600_000],
    ]);
    expect(r.has(25, 'merged into the service from line 24')).toBe(true);
    expect(r.has(18, 'passive failure detection')).toBe(true);
    expect(r.has(28, 'no connect timeout')).toBe(true);
    expect(r.has(6, 'not applicable')).toBe(true);
  });

  it('nginx stream proxies: DNS over UDP, MySQL by fewest connections, Redis by consistent hash', () => {
    const r = load('nginx-stream.conf');
    expect(r.service('dns')).toMatchObject({ protocol: 'udp', listen: '0.0.0.0:53', algorithm: 'weighted-round-robin', idleTimeoutMs: 5_000 });
    expect(r.service('dns').backends.map((b) => [b.weight, b.backup])).toEqual([
      [2, false],
      [1, false],
      [1, true],
    ]);
    expect(r.service('dns-2')).toMatchObject({ protocol: 'tcp', idleTimeoutMs: 30_000 });
    expect(r.service('mysql')).toMatchObject({ algorithm: 'least-connections', idleTimeoutMs: 28_800_000 });
    expect(r.service('mysql').backends.map((b) => [b.maxConnections, b.state])).toEqual([
      [200, 'enabled'],
      [200, 'enabled'],
      [0, 'disabled'],
    ]);
    expect(r.service('redis')).toMatchObject({ algorithm: 'maglev', hashKey: 'source-ip' });
    expect(r.has(37, 'proxy_responses')).toBe(true);
    expect(r.has(57, 'access control')).toBe(true);
  });

  it('nginx http: the proxying virtual host as TCP services, ip_hash and HTTP parts reported', () => {
    const r = load('nginx-http.conf');
    expect(r.table.services.map((s) => [s.name, s.listen, s.algorithm])).toEqual([
      ['app', '0.0.0.0:80', 'maglev'],
      ['app-2', '0.0.0.0:443', 'maglev'],
    ]);
    expect(r.has(10, 'ip_hash hashes the first three octets')).toBe(true);
    expect(r.has(18, 'TLS termination')).toBe(true);
    expect(r.has(35, 'serves requests itself')).toBe(true);
  });
});
