import { describe, expect, it } from 'vitest';
import { imported, importError, onLine } from '../helpers.js';

const TIMEOUTS = 'defaults\n    timeout client 1m\n    timeout server 1m\n';
const h = (text: string) => imported(TIMEOUTS + text, 'haproxy');

describe('HAProxy listen, frontend and backend', () => {
  it('a listen section is a service with its own servers', () => {
    const r = h('listen web\n    bind 10.0.0.1:80\n    server a 10.0.0.2:8080\n    server b 10.0.0.3:8080\n');
    expect(r.service('web')).toMatchObject({ listen: '10.0.0.1:80', protocol: 'tcp', algorithm: 'round-robin', idleTimeoutMs: 60_000 });
    expect(r.service('web').backends.map((b) => b.address)).toEqual(['10.0.0.2:8080', '10.0.0.3:8080']);
    expect(r.reasons).toEqual([]);
  });

  it('a frontend takes its pool from default_backend and is named after itself', () => {
    const r = h('frontend front\n    bind :80\n    default_backend pool\nbackend pool\n    server a 10.0.0.2:80\n');
    expect(r.service('front').backends.map((b) => b.address)).toEqual(['10.0.0.2:80']);
  });

  it('an unconditional use_backend overrides default_backend; ACL-based ones are reported', () => {
    const r = h(
      'frontend f\n    bind :80\n    acl api path_beg /api\n    use_backend api if api\n    use_backend main\n    default_backend other\nbackend main\n    server a 10.0.0.2:80\nbackend api\n    server b 10.0.0.3:80\nbackend other\n    server c 10.0.0.4:80\n',
    );
    expect(r.service('f').backends.map((b) => b.address)).toEqual(['10.0.0.2:80']);
    expect(onLine(r.reasons, 6)).toEqual([expect.stringContaining('ACLs select traffic by content')]);
    expect(onLine(r.reasons, 7)).toEqual([expect.stringContaining('routing by ACL is not carried')]);
    expect(onLine(r.reasons, 14)).toEqual([expect.stringContaining('no frontend uses this backend')]);
  });

  it('refuses a default_backend that does not exist, at its name', () => {
    expect(importError(() => h('frontend f\n    bind :80\n    default_backend nope\n')).message).toBe('test.cfg:6:21: backend "nope" is not defined');
  });

  it('reports frontends without a pool, backends nobody uses and stats listeners', () => {
    const r = h('frontend f\n    bind :80\nbackend lonely\n    server a 10.0.0.2:80\nlisten stats\n    bind :8404\n    stats enable\n    stats uri /\n');
    expect(r.table.services).toEqual([]);
    expect(onLine(r.reasons, 4)).toEqual([expect.stringContaining('no backend with servers: not a service')]);
    expect(onLine(r.reasons, 6)).toEqual([expect.stringContaining('no frontend uses this backend')]);
    expect(onLine(r.reasons, 8)).toEqual([expect.stringContaining('a statistics page, not a service')]);
  });

  it('reports a disabled proxy', () => {
    const r = h('listen web\n    disabled\n    bind :80\n    server a 10.0.0.2:80\n');
    expect(r.table.services).toEqual([]);
    expect(onLine(r.reasons, 5)).toEqual([expect.stringContaining('disabled; not imported')]);
  });
});

describe('HAProxy binds', () => {
  it('reads *:P, :P, :::P, ADDR:P, [v6]:P and comma lists, one service per address', () => {
    const r = h(
      'listen web\n    bind *:80\n    bind :81\n    bind :::82\n    bind 10.0.0.1:83,[2001:db8::1]:84\n    bind ipv6@:85\n    server a 10.0.0.2:8080\n',
    );
    expect(r.table.services.map((s) => [s.name, s.listen])).toEqual([
      ['web', '0.0.0.0:80'],
      ['web-2', '0.0.0.0:81'],
      ['web-3', '[::]:82'],
      ['web-4', '10.0.0.1:83'],
      ['web-5', '[2001:db8::1]:84'],
      ['web-6', '[::]:85'],
    ]);
  });

  it('reports sockets a service cannot listen on, and bind options', () => {
    const r = h(
      'listen web\n    bind unix@/run/web.sock\n    bind :8000-8010\n    bind localhost:80\n    bind :443 ssl crt /etc/ssl/web.pem alpn h2 accept-proxy\n    server a 10.0.0.2:80\n',
    );
    expect(r.table.services.map((s) => s.listen)).toEqual(['0.0.0.0:443']);
    expect(onLine(r.reasons, 5)).toEqual([expect.stringContaining('only TCP listeners on IP addresses')]);
    expect(onLine(r.reasons, 6)).toEqual([expect.stringContaining('port ranges are not carried')]);
    expect(onLine(r.reasons, 7)).toEqual([expect.stringContaining('host name')]);
    expect(onLine(r.reasons, 8).map((x) => x.split(':')[0])).toEqual(['8 ssl', '8 crt /etc/ssl/web.pem', '8 alpn h2', '8 accept-proxy']);
    expect(onLine(r.reasons, 8)[0]).toContain('TLS termination is not carried');
  });

  it('refuses a bind without port, at the address', () => {
    expect(importError(() => h('listen web\n    bind 10.0.0.1\n')).message).toBe('test.cfg:5:10: bind address "10.0.0.1" has no port');
  });
});

describe('HAProxy servers', () => {
  it("reads weight, maxconn, backup and disabled, and takes the listener's port when a server has none", () => {
    const r = h(
      'listen web\n    bind :80\n    bind :81\n    option allbackups\n    server a 10.0.0.2 weight 3 maxconn 50\n    server b 10.0.0.3:9000 backup\n    server c 10.0.0.4:9000 disabled\n    server d 10.0.0.5:9000 backup\n',
    );
    expect(r.service('web').backends).toEqual([
      { address: '10.0.0.2:80', weight: 3, maxConnections: 50, backup: false, state: 'enabled' },
      { address: '10.0.0.3:9000', weight: 1, maxConnections: 0, backup: true, state: 'enabled' },
      { address: '10.0.0.4:9000', weight: 1, maxConnections: 0, backup: false, state: 'disabled' },
      { address: '10.0.0.5:9000', weight: 1, maxConnections: 0, backup: true, state: 'enabled' },
    ]);
    expect(r.service('web-2').backends[0]?.address).toBe('10.0.0.2:81');
    expect(r.reasons).toEqual([]);
  });

  it('takes default-server values from defaults, then the proxy, then the line', () => {
    const r = imported(
      'defaults\n    timeout client 1m\n    timeout server 1m\n    default-server weight 5 maxconn 10\nlisten web\n    bind :80\n    default-server maxconn 20\n    server a 10.0.0.2:80\n    server b 10.0.0.3:80 weight 2\n',
      'haproxy',
    );
    expect(r.service('web').backends.map((b) => [b.weight, b.maxConnections])).toEqual([
      [5, 20],
      [2, 20],
    ]);
  });

  it('reports keywords without a rule-table counterpart, with their values', () => {
    const r = h(
      'listen web\n    bind :80\n    server a 10.0.0.2:80 check slowstart 30s send-proxy on-marked-down shutdown-sessions ssl verify none frobnicate 3\n',
    );
    expect(onLine(r.reasons, 6).map((x) => x.slice(0, x.indexOf(':')))).toEqual([
      '6 slowstart 30s',
      '6 send-proxy',
      '6 on-marked-down shutdown-sessions',
      '6 ssl',
      '6 verify none',
      '6 frobnicate 3',
    ]);
  });

  it('drops servers named by host, on UNIX sockets or with relative ports, and then a service without servers', () => {
    const r = h('listen web\n    bind :80\n    server a web1:80\n    server b /run/app.sock\n    server c 10.0.0.2:+1\n');
    expect(r.table.services).toEqual([]);
    expect(r.reasons.map((x) => x.split(' ')[0])).toEqual(['5', '6', '7', '8']);
    expect(onLine(r.reasons, 5)[0]).toContain('no backend with an IP address and port remains');
  });

  it('warns that HAProxy uses only the first backup without option allbackups', () => {
    const r = h('listen web\n    bind :80\n    server a 10.0.0.2:80\n    server b 10.0.0.3:80 backup\n    server c 10.0.0.4:80 backup\n');
    expect(onLine(r.reasons, 8)).toEqual([expect.stringContaining('uses only the first backup')]);
  });

  it('reports server-template', () => {
    const r = h('listen web\n    bind :80\n    server a 10.0.0.2:80\n    server-template srv 5 _http._tcp.app.local resolvers dns check\n');
    expect(onLine(r.reasons, 7)).toEqual([expect.stringContaining('server-template creates servers from DNS')]);
  });

  it('refuses a server line without address and a bad number, at the word', () => {
    expect(importError(() => h('listen web\n    server a\n')).message).toBe(
      'test.cfg:5:12: "server" needs a name and an address, e.g. "server web1 10.0.0.1:80 check"',
    );
    expect(importError(() => h('listen web\n    server a 10.0.0.2:80 weight heavy\n')).message).toBe(
      'test.cfg:5:33: "weight" needs a whole number, not "heavy"',
    );
  });
});

describe('HAProxy balance', () => {
  const pool = (balance: string, weights = ['', '']) =>
    h(`listen web\n    bind :80\n    ${balance}\n${weights.map((w, i) => `    server s${i} 10.0.0.${i + 2}:80${w}\n`).join('')}`);

  it('maps roundrobin and static-rr by weights: equal → round-robin, different → weighted-round-robin', () => {
    expect(pool('balance roundrobin').service('web').algorithm).toBe('round-robin');
    expect(pool('balance roundrobin', [' weight 3', '']).service('web').algorithm).toBe('weighted-round-robin');
    expect(pool('balance static-rr', [' weight 2', ' weight 2']).service('web').algorithm).toBe('round-robin');
    expect(pool('balance roundrobin', [' weight 4', ' weight 0']).service('web').algorithm).toBe('round-robin');
  });

  it('maps leastconn the same way', () => {
    expect(pool('balance leastconn').service('web').algorithm).toBe('least-connections');
    expect(pool('balance leastconn', [' weight 3', '']).service('web').algorithm).toBe('weighted-least-connections');
  });

  it('maps random (two draws by default) to two-choices and reports other draw counts', () => {
    expect(pool('balance random').service('web').algorithm).toBe('two-choices');
    expect(pool('balance random(2)').service('web').algorithm).toBe('two-choices');
    const three = pool('balance random(3)');
    expect(three.service('web').algorithm).toBe('two-choices');
    expect(onLine(three.reasons, 6)).toEqual([expect.stringContaining('always draws 2')]);
  });

  it('maps source to maglev on the client address, reporting map-based hashing', () => {
    const consistent = pool('balance source\n    hash-type consistent');
    expect(consistent.service('web')).toMatchObject({ algorithm: 'maglev', hashKey: 'source-ip' });
    expect(consistent.reasons).toEqual([]);
    expect(onLine(pool('balance source').reasons, 6)).toEqual([expect.stringContaining('map-based hashing')]);
  });

  it('reports first and content hashing with the closest algorithm', () => {
    const first = pool('balance first');
    expect(first.service('web').algorithm).toBe('round-robin');
    expect(onLine(first.reasons, 6)).toEqual([expect.stringContaining('"first" fills servers in order')]);
    const uri = pool('balance uri');
    expect(uri.service('web').algorithm).toBe('maglev');
    expect(onLine(uri.reasons, 6)).toEqual([expect.stringContaining('hashing on request content')]);
  });

  it('inherits balance from defaults and refuses an unknown one', () => {
    expect(
      imported('defaults\n    balance leastconn\n    timeout client 1s\nlisten web\n    bind :80\n    server a 10.0.0.2:80\n', 'haproxy').service('web')
        .algorithm,
    ).toBe('least-connections');
    expect(importError(() => pool('balance fastest')).message).toBe('test.cfg:6:13: unknown balance algorithm "fastest"');
  });
});

describe('HAProxy modes and HTTP-only settings', () => {
  it('reports mode http once, at the line that sets it, and HTTP-only directives', () => {
    const r = imported(
      'defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    option forwardfor\nfrontend f\n    bind :80\n    http-request set-header X-A b\n    redirect scheme https if !{ ssl_fc }\n    default_backend b\nbackend b\n    cookie SRV insert\n    server a 10.0.0.2:80\n',
      'haproxy',
    );
    expect(r.service('f').protocol).toBe('tcp');
    expect(onLine(r.reasons, 2)).toEqual([expect.stringContaining('HTTP processing (routing, header rules')]);
    expect(onLine(r.reasons, 5)[0]).toContain('HTTP-only');
    expect(onLine(r.reasons, 8)[0]).toContain('HTTP-only');
    expect(onLine(r.reasons, 9)[0]).toContain('HTTP-only');
    expect(onLine(r.reasons, 12)[0]).toContain('HTTP cookie persistence');
  });

  it('does not report mode http when the proxy switches back to tcp', () => {
    const r = imported(
      'defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\nlisten web\n    mode tcp\n    bind :80\n    server a 10.0.0.2:80\n',
      'haproxy',
    );
    expect(r.reasons).toEqual([]);
  });

  it('reports global settings as not applicable, one entry each', () => {
    const r = h('listen web\n    bind :80\n    server a 10.0.0.2:80\nglobal\n    maxconn 4000\n    stats socket /run/haproxy.sock\n    nbthread 4\n');
    expect(r.reasons.map((x) => x.split(':')[0])).toEqual(['8 maxconn 4000', '9 stats socket /run/haproxy.sock', '10 nbthread 4']);
    expect(r.reasons.every((x) => x.includes('not applicable'))).toBe(true);
  });

  it('reports sections that never hold services once, at their header', () => {
    const r = h('resolvers dns\n    nameserver ns1 10.0.0.53:53\npeers lb\n    peer a 10.0.0.1:1024\nlisten web\n    bind :80\n    server a 10.0.0.2:80\n');
    expect(r.reasons.map((x) => x.split(':')[0])).toEqual(['4 resolvers dns', '6 peers lb']);
  });
});

describe('HAProxy timeouts', () => {
  it('reads times without a unit as milliseconds', () => {
    const r = imported('defaults\n    timeout client 50000\n    timeout server 50000\nlisten web\n    bind :80\n    server a 10.0.0.2:80\n', 'haproxy');
    expect(r.service('web').idleTimeoutMs).toBe(50_000);
  });

  it('takes the shorter of client and server and reports when they differ; tunnel wins', () => {
    const differ = imported('listen web\n    bind :80\n    timeout client 30s\n    timeout server 1m\n    server a 10.0.0.2:80\n', 'haproxy');
    expect(differ.service('web').idleTimeoutMs).toBe(30_000);
    expect(onLine(differ.reasons, 4)).toEqual([expect.stringContaining('the shorter (30s) is used')]);
    const tunnel = imported(
      'listen web\n    bind :80\n    timeout client 30s\n    timeout server 1m\n    timeout tunnel 1h\n    server a 10.0.0.2:80\n',
      'haproxy',
    );
    expect(tunnel.service('web').idleTimeoutMs).toBe(3_600_000);
    expect(tunnel.reasons).toEqual([]);
  });

  it("uses Fulcrum's default idle timeout when HAProxy has none, and says so", () => {
    const r = imported('listen web\n    bind :80\n    server a 10.0.0.2:80\n', 'haproxy');
    expect(r.service('web').idleTimeoutMs).toBe(300_000);
    expect(onLine(r.reasons, 1)).toEqual([expect.stringContaining('HAProxy would never close idle connections')]);
  });

  it('reports timeouts a rule table does not have, and refuses bad times', () => {
    const r = h('listen web\n    bind :80\n    timeout connect 5s\n    timeout queue 30s\n    server a 10.0.0.2:80\n');
    expect(onLine(r.reasons, 6)[0]).toContain('no connect timeout');
    expect(onLine(r.reasons, 7)[0]).toContain('queueing is not carried');
    expect(importError(() => h('listen web\n    timeout client 5x\n')).message).toBe(
      'test.cfg:5:20: "5x" is not an HAProxy time (a whole number, optionally with us, ms, s, m, h or d)',
    );
  });
});

describe('HAProxy persistence and sorry servers', () => {
  it('reads a stick-table on client addresses with stick on src as persistence', () => {
    const r = h('listen web\n    bind :80\n    stick-table type ip size 200k expire 30m\n    stick on src\n    server a 10.0.0.2:80\n');
    expect(r.service('web').persistence).toEqual({ type: 'source-ip', timeoutMs: 1_800_000 });
    expect(r.reasons).toEqual([]);
  });

  it('reports a stick-table without expire, or without its rule, or keyed on something else', () => {
    const noExpire = h('listen web\n    bind :80\n    stick-table type ip size 1m\n    stick on src\n    server a 10.0.0.2:80\n');
    expect(noExpire.service('web').persistence?.timeoutMs).toBe(604_800_000);
    expect(onLine(noExpire.reasons, 6)[0]).toContain('without "expire"');
    const noRule = h('listen web\n    bind :80\n    stick-table type ip size 1m expire 1m\n    server a 10.0.0.2:80\n');
    expect(noRule.service('web').persistence).toBeNull();
    expect(onLine(noRule.reasons, 6)[0]).toContain('without "stick on src"');
    const cookie = h('listen web\n    bind :80\n    stick-table type string len 32 size 1m expire 1m\n    stick on req.cook(sid)\n    server a 10.0.0.2:80\n');
    expect(cookie.service('web').persistence).toBeNull();
    expect(onLine(cookie.reasons, 7)[0]).toContain('only "stick on src"');
  });

  it('reads use_backend SORRY if { nbsrv(POOL) eq 0 } as the fallback', () => {
    const r = h(
      'listen web\n    bind :80\n    use_backend sorry if { nbsrv(web) eq 0 }\n    server a 10.0.0.2:80\nbackend sorry\n    server s 10.0.9.9:8080\n',
    );
    expect(r.service('web').fallback).toBe('10.0.9.9:8080');
    expect(r.reasons).toEqual([]);
  });

  it('reads the named-ACL form in a frontend too', () => {
    const r = h(
      'frontend f\n    bind :80\n    acl pool_down nbsrv(pool) lt 1\n    use_backend sorry if pool_down\n    default_backend pool\nbackend pool\n    server a 10.0.0.2:80\nbackend sorry\n    server s 10.0.9.9\n',
    );
    expect(r.service('f').fallback).toBe('10.0.9.9:80');
    expect(r.reasons).toEqual([]);
  });

  it('reports an nbsrv rule watching another backend as routing', () => {
    const r = h(
      'listen web\n    bind :80\n    use_backend sorry if { nbsrv(other) eq 0 }\n    server a 10.0.0.2:80\nbackend sorry\n    server s 10.0.9.9:80\nbackend other\n    server o 10.0.0.7:80\n',
    );
    expect(r.service('web').fallback).toBeNull();
    expect(onLine(r.reasons, 6)[0]).toContain('routing by ACL');
  });
});
