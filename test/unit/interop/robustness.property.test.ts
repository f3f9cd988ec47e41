import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/rules/index.js';
import { ImportError, importConfig, type Format } from '../../../src/interop/index.js';

/** Plausible configurations built from real directives (some with bad values), then maybe damaged by one character. */
const pick = (items: string[]) => fc.constantFrom(...items);
const lines = (items: string[], max: number) => fc.array(pick(items), { maxLength: max });

const HAPROXY_LINES = [
  'bind *:80',
  'bind :::81',
  'bind 10.0.0.1:82,10.0.0.1:83',
  'bind unix@/x',
  'bind :443 ssl crt /x.pem',
  'server s1 10.0.0.2:80 check weight 3',
  'server s2 10.0.0.3 backup',
  'server s3 host:80',
  'server s4 10.0.0.4:80 disabled maxconn 10 inter 1s rise 9 fall 300',
  'server s5 10.0.0.5:80 weight 999',
  'balance roundrobin',
  'balance source',
  'balance random(3)',
  'balance leastconn',
  'balance first',
  'hash-type consistent',
  'mode http',
  'mode tcp',
  'timeout client 1m',
  'timeout server 30s',
  'timeout tunnel 1h',
  'timeout check 10s',
  'timeout connect 5s',
  'option httpchk GET /health',
  'option httpchk',
  'option tcp-check',
  'option mysql-check',
  'http-check expect status 200',
  'http-check expect rstatus ^2',
  'option allbackups',
  'default-server inter 3s fall 2',
  'default_backend b',
  'use_backend b if { nbsrv(web) eq 0 }',
  'use_backend b if is_api',
  'acl down nbsrv(b) lt 1',
  'stick-table type ip size 1m expire 30m',
  'stick on src',
  'stats enable',
  'http-request deny',
  'tcp-check connect port 8008',
  'disabled',
];
const haproxy = fc
  .array(fc.tuple(pick(['listen web', 'listen web2', 'frontend f', 'backend b', 'defaults', 'global', 'peers p']), lines(HAPROXY_LINES, 10)), { maxLength: 5 })
  .map((sections) => sections.map(([header, body]) => [header, ...body.map((l) => `    ${l}`)].join('\n')).join('\n'));

const REAL_SERVER = fc
  .tuple(
    pick(['10.0.0.2 80', '10.0.0.3 8080', '10.0.0.4', '::1 80', 'host 80']),
    lines(
      [
        'weight 2',
        'weight 0',
        'uthreshold 5',
        'inhibit_on_failure',
        'TCP_CHECK {\n connect_timeout 3\n retry 2\n }',
        'HTTP_GET {\n url {\n path /h\n status_code 200-299\n }\n delay_before_retry 2\n }',
        'MISC_CHECK {\n misc_path /bin/true\n }',
      ],
      3,
    ),
  )
  .map(([address, body]) => `  real_server ${address} {\n${body.map((l) => `    ${l}`).join('\n')}\n  }`);
const keepalived = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          pick(['10.0.0.1 80', '10.0.0.1 53', '2001:db8::1 80', 'group g', 'fwmark 1']),
          lines(
            [
              'lb_algo wrr',
              'lb_algo mh',
              'lb_algo sed',
              'mh-port',
              'lb_kind DR',
              'protocol TCP',
              'protocol UDP',
              'persistence_timeout 60',
              'delay_loop 5',
              'sorry_server 10.0.9.9 80',
              'quorum 2',
            ],
            5,
          ),
          fc.array(REAL_SERVER, { maxLength: 3 }),
        )
        .map(([vip, settings, servers]) => `virtual_server ${vip} {\n${settings.map((l) => `  ${l}`).join('\n')}\n${servers.join('\n')}\n}`),
      pick([
        'virtual_server_group g {\n  10.0.0.5 80\n  10.0.0.6 80\n}',
        'global_defs {\n  lvs_timeouts tcp 600 udp 60\n  router_id x\n}',
        'vrrp_instance V {\n  interface eth0\n}',
      ]),
    ),
    { maxLength: 4 },
  )
  .map((blocks) => blocks.join('\n'));

const UPSTREAM = fc
  .tuple(
    pick(['', 'least_conn;', 'hash $remote_addr consistent;', 'random two;', 'ip_hash;', 'zone u 64k;']),
    lines(
      [
        'server 10.0.0.2:80;',
        'server 10.0.0.3:80 weight=3 backup;',
        'server 10.0.0.4:80 down max_fails=2;',
        'server host:80;',
        'server 10.0.0.5;',
        'keepalive 8;',
      ],
      4,
    ),
  )
  .map(([method, servers]) => `  upstream u {\n    ${method}\n${servers.map((l) => `    ${l}`).join('\n')}\n  }`);
const nginx = fc
  .tuple(
    lines(['worker_processes 2;', 'events {}', 'include x.conf;', 'pid /run/n.pid;'], 3),
    pick(['stream', 'http']),
    fc.array(UPSTREAM, { maxLength: 2 }),
    fc.array(
      lines(
        [
          'listen 53 udp;',
          'listen 80;',
          'listen [::]:81;',
          'listen 8000-8010;',
          'proxy_pass u;',
          'proxy_pass 10.0.0.9:80;',
          'proxy_timeout 20s;',
          'location / { proxy_pass http://u; }',
          'server_name a.example;',
          'allow all;',
        ],
        5,
      ),
      { maxLength: 3 },
    ),
  )
  .map(
    ([top, kind, upstreams, servers]) =>
      `${top.join('\n')}\n${kind} {\n${upstreams.join('\n')}\n${servers.map((s) => `  server {\n${s.map((l) => `    ${l}`).join('\n')}\n  }`).join('\n')}\n}\n`,
  );

const damaged = (text: fc.Arbitrary<string>) =>
  fc.tuple(text, fc.option(fc.tuple(fc.nat(), fc.constantFrom('', '{', '}', ';', '"', "'", '#', '\n', '\\', ' x')), { freq: 3 })).map(([t, edit]) => {
    if (edit === null || t.length === 0) return t;
    const [at, insert] = edit;
    const i = at % t.length;
    return insert === '' ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + insert + t.slice(i);
  });

const TEXT: Record<Format, fc.Arbitrary<string>> = { haproxy: damaged(haproxy), keepalived: damaged(keepalived), nginx: damaged(nginx) };

describe.each(['haproxy', 'keepalived', 'nginx'] as const)('%s import of generated and damaged text', (format) => {
  it('either gives a table the loader accepts or throws an ImportError with a position in the file', () => {
    let services = 0;
    fc.assert(
      fc.property(TEXT[format], (text) => {
        let result;
        try {
          result = importConfig(text, 'fuzz.conf', { from: format });
        } catch (error) {
          expect(error).toBeInstanceOf(ImportError);
          const { line, column } = error as ImportError;
          const fileLines = text.split('\n');
          expect(line).toBeGreaterThanOrEqual(1);
          expect(line).toBeLessThanOrEqual(fileLines.length);
          expect(column).toBeGreaterThanOrEqual(1);
          expect(column).toBeLessThanOrEqual((fileLines[line - 1]?.length ?? 0) + 2);
          return;
        }
        services += result.table.services.length;
        expect(loadRules(result.yaml, 'fuzz.yaml')).toStrictEqual(result.table);
        for (const entry of result.report) expect(entry.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
    // The generator is worth its runs only if it reaches the mappers, not just the parsers. Over
    // 400 runs haproxy gives 20-50 services, keepalived and nginx 45-130: 10 leaves room for luck.
    expect(services).toBeGreaterThan(10);
  }, 120_000);
});
