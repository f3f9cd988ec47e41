import { describe, expect, it } from 'vitest';
import { imported, importError, onLine } from '../helpers.js';

const n = (text: string) => imported(text, 'nginx', 'nginx.conf');
const stream = (body: string) => n(`stream {\n${body}}\n`);
const pool = (method: string, servers = ['10.0.0.2:80', '10.0.0.3:80']) =>
  stream(
    `    upstream app {\n${method === '' ? '' : `        ${method};\n`}${servers.map((s) => `        server ${s};\n`).join('')}    }\n    server {\n        listen 80;\n        proxy_pass app;\n    }\n`,
  );

describe('nginx stream servers', () => {
  it("a server block is a service named after its upstream, idle timeout nginx's 10 minutes", () => {
    const r = pool('');
    expect(r.service('app')).toMatchObject({ listen: '0.0.0.0:80', protocol: 'tcp', algorithm: 'round-robin', idleTimeoutMs: 600_000 });
    expect(r.reasons).toEqual([]);
  });

  it('reads listen forms, udp, and several listens as several services', () => {
    const r = stream(
      '    server {\n        listen 53 udp;\n        listen 127.0.0.1:53;\n        listen [::]:53 udp;\n        listen *:5353;\n        proxy_pass 10.0.0.53:53;\n        proxy_timeout 20s;\n    }\n',
    );
    // 53/udp on 0.0.0.0 and on [::] merge into one dual-stack service.
    expect(r.table.services.map((s) => [s.name, s.listen, s.protocol, s.idleTimeoutMs])).toEqual([
      ['stream-53-udp', '[::]:53', 'udp', 20_000],
      ['stream-53-udp-2', '127.0.0.1:53', 'tcp', 20_000],
      ['stream-53-udp-4', '0.0.0.0:5353', 'tcp', 20_000],
    ]);
    expect(onLine(r.reasons, 5)[0]).toContain('merged into the service from line 3');
    expect(r.service('stream-53-udp').backends.map((b) => b.address)).toEqual(['10.0.0.53:53']);
  });

  it('reports an IPv6-only wildcard: a Fulcrum [::] listener takes IPv4 clients too', () => {
    const r = stream(
      '    server {\n        listen [::]:80 ipv6only=on;\n        proxy_pass 10.0.0.2:80;\n    }\n    server {\n        listen [::]:81 ipv6only=off;\n        proxy_pass 10.0.0.2:80;\n    }\n',
    );
    expect(onLine(r.reasons, 3)).toEqual([expect.stringContaining('nginx takes only IPv6 clients here')]);
    expect(onLine(r.reasons, 7)).toEqual([]);
  });

  it('takes proxy_timeout from the stream block as the default of its servers', () => {
    const r = stream('    proxy_timeout 1m30s;\n    server {\n        listen 80;\n        proxy_pass 10.0.0.2:80;\n    }\n');
    expect(r.table.services[0]?.idleTimeoutMs).toBe(90_000);
  });

  it('reports listen options, stream settings without counterpart, and unused upstreams', () => {
    const r = stream(
      '    upstream spare {\n        server 10.0.0.9:80;\n    }\n    server {\n        listen 443 ssl reuseport backlog=512;\n        ssl_certificate /etc/x.pem;\n        proxy_connect_timeout 2s;\n        allow 10.0.0.0/8;\n        proxy_pass 10.0.0.2:443;\n    }\n',
    );
    expect(onLine(r.reasons, 2)[0]).toContain('no server block proxies to this upstream');
    expect(onLine(r.reasons, 6).map((x) => x.split(':')[0])).toEqual(['6 ssl', '6 reuseport', '6 backlog=512']);
    expect(onLine(r.reasons, 7)[0]).toContain('TLS is not carried');
    expect(onLine(r.reasons, 8)[0]).toContain('no connect timeout');
    expect(onLine(r.reasons, 9)[0]).toContain('access control is not carried');
  });

  it('reports servers without proxy_pass or proxying to a variable', () => {
    const r = stream('    server {\n        listen 80;\n        return "hi";\n    }\n    server {\n        listen 81;\n        proxy_pass $backend;\n    }\n');
    expect(r.table.services).toEqual([]);
    expect(onLine(r.reasons, 2)[0]).toContain('a server without proxy_pass is not a service');
    expect(onLine(r.reasons, 8)[0]).toContain('proxying to a variable');
  });

  it('refuses a literal proxy_pass without a port and an upstream server without a port', () => {
    expect(importError(() => stream('    server {\n        listen 80;\n        proxy_pass nowhere;\n    }\n')).message).toBe(
      'nginx.conf:4:20: no upstream named "nowhere" and no port in the address',
    );
    expect(importError(() => pool('', ['10.0.0.2'])).message).toBe('nginx.conf:3:16: no port in upstream server "10.0.0.2"');
  });
});

describe('nginx upstreams', () => {
  it('maps the default and least_conn by weights', () => {
    expect(pool('').service('app').algorithm).toBe('round-robin');
    expect(pool('', ['10.0.0.2:80 weight=3', '10.0.0.3:80']).service('app').algorithm).toBe('weighted-round-robin');
    expect(pool('least_conn').service('app').algorithm).toBe('least-connections');
    expect(pool('least_conn', ['10.0.0.2:80 weight=2', '10.0.0.3:80']).service('app').algorithm).toBe('weighted-least-connections');
  });

  it('maps random two to two-choices and reports plain random', () => {
    expect(pool('random two').service('app').algorithm).toBe('two-choices');
    expect(pool('random two least_conn').reasons).toEqual([]);
    const plain = pool('random');
    expect(plain.service('app').algorithm).toBe('round-robin');
    expect(onLine(plain.reasons, 3)[0]).toContain('weighted random choice has no Fulcrum counterpart');
  });

  it('maps hash on the client address to maglev, with $remote_port to the 5-tuple; other keys and non-consistent hashes are reported', () => {
    expect(pool('hash $remote_addr consistent').service('app')).toMatchObject({ algorithm: 'maglev', hashKey: 'source-ip' });
    expect(pool('hash $remote_addr consistent').reasons).toEqual([]);
    expect(pool('hash $binary_remote_addr$remote_port consistent').service('app').hashKey).toBe('5-tuple');
    expect(onLine(pool('hash $remote_addr').reasons, 3)[0]).toContain('this hash is not consistent');
    expect(onLine(pool('hash $ssl_preread_server_name consistent').reasons, 3)[0]).toContain('hashing on "$ssl_preread_server_name" is not carried');
  });

  it('maps least_time to least-response-time', () => {
    expect(pool('least_time connect').service('app').algorithm).toBe('least-response-time');
    expect(onLine(pool('least_time first_byte').reasons, 3)[0]).toContain('measures connect times only');
  });

  it('reads weight, max_conns, backup and down; reports passive checks unless switched off', () => {
    const r = stream(
      '    upstream app {\n        zone app 64k;\n        server 10.0.0.2:80 weight=5 max_conns=100 max_fails=3 fail_timeout=30s;\n        server 10.0.0.3:80 backup max_fails=0;\n        server 10.0.0.4:80 down slow_start=30s;\n    }\n    server {\n        listen 80;\n        proxy_pass app;\n    }\n',
    );
    expect(r.service('app').backends).toEqual([
      { address: '10.0.0.2:80', weight: 5, maxConnections: 100, backup: false, state: 'enabled' },
      { address: '10.0.0.3:80', weight: 1, maxConnections: 0, backup: true, state: 'enabled' },
      { address: '10.0.0.4:80', weight: 1, maxConnections: 0, backup: false, state: 'disabled' },
    ]);
    expect(onLine(r.reasons, 4)).toEqual([expect.stringContaining('passive failure detection is not carried')]);
    expect(onLine(r.reasons, 5)).toEqual([]);
    expect(onLine(r.reasons, 6)[0]).toContain('slow_start=30s: not carried');
  });

  it('warns that max_conns without a zone counts per worker', () => {
    expect(onLine(pool('', ['10.0.0.2:80 max_conns=10', '10.0.0.3:80']).reasons, 3)[0]).toContain('per worker process');
  });

  it('drops servers named by host or on UNIX sockets', () => {
    const r = pool('', ['app1.internal:80', 'unix:/run/app.sock', '10.0.0.3:80']);
    expect(r.service('app').backends.map((b) => b.address)).toEqual(['10.0.0.3:80']);
    expect(onLine(r.reasons, 3)[0]).toContain('host name');
    expect(onLine(r.reasons, 4)[0]).toContain('UNIX sockets');
  });

  it('imports an NGINX Plus health_check as a connect check', () => {
    const r = stream(
      '    server {\n        listen 80;\n        proxy_pass 10.0.0.2:80;\n        health_check interval=3s fails=2 passes=3 match=ok;\n        health_check_timeout 1s;\n    }\n',
    );
    expect(r.table.services[0]?.health).toEqual({ type: 'tcp', intervalMs: 3_000, timeoutMs: 1_000, rise: 3, fall: 2, path: '', expectStatus: [0, 0] });
    expect(onLine(r.reasons, 5)[0]).toContain('match: not carried');
  });
});

describe('nginx http and the rest of the file', () => {
  const http = (server: string, extra = '') =>
    n(`http {\n${extra}    upstream app {\n        server 10.0.0.2:8080;\n        server 10.0.0.3;\n    }\n    server {\n${server}    }\n}\n`);

  it('an http server proxying to an upstream is a TCP service; its HTTP parts are reported', () => {
    const r = http(
      '        listen 80;\n        server_name app.example.com;\n        location / {\n            proxy_pass http://app;\n            proxy_set_header Host $host;\n        }\n',
    );
    expect(r.service('app')).toMatchObject({ listen: '0.0.0.0:80', protocol: 'tcp' });
    expect(r.service('app').backends.map((b) => b.address)).toEqual(['10.0.0.2:8080', '10.0.0.3:80']);
    expect(onLine(r.reasons, 1)[0]).toContain('each proxying server block is imported as a TCP service');
    expect(onLine(r.reasons, 11)[0]).toContain('HTTP-only');
  });

  it('names a service after server_name when it proxies to an address, and listens on 80 without listen', () => {
    const r = http('        server_name www.example.com;\n        location /api/ {\n            proxy_pass http://10.0.0.9:3000/v1/;\n        }\n');
    expect(r.service('www.example.com')).toMatchObject({ listen: '0.0.0.0:80', backends: [{ address: '10.0.0.9:3000' }] });
    expect(onLine(r.reasons, 8)[0]).toContain("this location's backends take every connection");
    expect(onLine(r.reasons, 9)[0]).toContain('the URI rewrite is not carried');
  });

  it('reports servers that serve content themselves, https backends, other locations', () => {
    const r = http(
      '        listen 8443 ssl;\n        location / {\n            proxy_pass https://app;\n        }\n        location /static/ {\n            root /srv;\n        }\n',
      '    gzip on;\n',
    );
    expect(onLine(r.reasons, 2)[0]).toContain('HTTP-only');
    expect(onLine(r.reasons, 8)[0]).toContain('TLS termination is not carried');
    expect(onLine(r.reasons, 10)[0]).toContain('TLS towards backends is not carried');
    expect(onLine(r.reasons, 12)[0]).toContain("only one location's backends");
    const files = n('http {\n    server {\n        listen 80;\n        root /srv;\n    }\n}\n');
    expect(onLine(files.reasons, 2)[0]).toContain('serves requests itself');
  });

  it('lists process settings as not applicable and does not follow includes', () => {
    const r = n(
      'user www-data;\nworker_processes auto;\npid /run/nginx.pid;\nload_module modules/ngx_stream_module.so;\nevents {\n    worker_connections 768;\n}\ninclude /etc/nginx/conf.d/*.conf;\nmail {\n}\n',
    );
    expect(r.reasons.map((x) => x.slice(x.indexOf(': ') + 2))).toEqual([
      ...Array(4).fill('not applicable: a setting of the nginx process, not of a service'),
      'not applicable: a setting of the nginx process, not of a service (connection processing)',
      'included files are not followed on import: import each file on its own',
      'mail proxying is not carried',
    ]);
  });
});
