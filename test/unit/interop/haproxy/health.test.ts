import { describe, expect, it } from 'vitest';
import { imported, onLine } from '../helpers.js';

const h = (text: string) => imported(`defaults\n    timeout client 1m\n    timeout server 1m\n${text}`, 'haproxy');
const web = (lines: string) => h(`listen web\n    bind :80\n${lines}`);

describe('HAProxy health checks', () => {
  it("check on servers is a TCP connect check with HAProxy's default timing (inter 2s, rise 2, fall 3)", () => {
    const r = web('    server a 10.0.0.2:80 check\n    server b 10.0.0.3:80 check\n');
    expect(r.service('web').health).toEqual({ type: 'tcp', intervalMs: 2_000, timeoutMs: 2_000, rise: 2, fall: 3, path: '', expectStatus: [0, 0] });
  });

  it('takes inter, rise and fall from default-server and the timeout from timeout check', () => {
    const r = h(
      'defaults two\n    timeout client 1m\n    timeout server 1m\n    timeout check 500\n    default-server inter 3s rise 4 fall 5\nlisten web\n    bind :80\n    server a 10.0.0.2:80 check\n',
    );
    expect(r.service('web').health).toMatchObject({ intervalMs: 3_000, timeoutMs: 500, rise: 4, fall: 5 });
  });

  it('no check on any server means no health check, and an httpchk option alone is reported', () => {
    const r = web('    option httpchk GET /health\n    server a 10.0.0.2:80\n');
    expect(r.service('web').health).toBeNull();
    expect(onLine(r.reasons, 6)[0]).toContain('no server has "check"');
  });

  it('reads option httpchk in its three forms and http-check expect', () => {
    expect(web('    option httpchk GET /healthz\n    http-check expect status 200-299\n    server a 10.0.0.2:80 check\n').service('web').health).toMatchObject({
      type: 'http',
      path: '/healthz',
      expectStatus: [200, 299],
    });
    const uriOnly = web('    option httpchk /ping\n    server a 10.0.0.2:80 check\n');
    expect(uriOnly.service('web').health).toMatchObject({ type: 'http', path: '/ping', expectStatus: [200, 399] });
    expect(onLine(uriOnly.reasons, 6)[0]).toContain('method OPTIONS is not carried');
    const bare = web('    option httpchk\n    server a 10.0.0.2:80 check\n');
    expect(bare.service('web').health).toMatchObject({ type: 'http', path: '/' });
    const old = web('    option httpchk GET /x HTTP/1.1\\r\\nHost:\\ www\n    server a 10.0.0.2:80 check\n');
    expect(onLine(old.reasons, 6)[0]).toContain('HTTP version and headers');
  });

  it('reads http-check send and rstatus classes; reports headers and what it cannot express', () => {
    const r = web(
      '    option httpchk\n    http-check send meth GET uri /status ver HTTP/1.1 hdr Host app\n    http-check expect rstatus ^[23]\n    server a 10.0.0.2:80 check\n',
    );
    expect(r.service('web').health).toMatchObject({ path: '/status', expectStatus: [200, 399] });
    expect(onLine(r.reasons, 7)[0]).toContain('headers and body of the check request');
    const body = web('    option httpchk GET /\n    http-check expect string OK\n    server a 10.0.0.2:80 check\n');
    expect(body.service('web').health?.expectStatus).toEqual([200, 399]);
    expect(onLine(body.reasons, 7)[0]).toContain('only "expect status CODES"');
  });

  it('imports protocol checks as connect checks, with a report', () => {
    const r = web('    option mysql-check user haproxy\n    server a 10.0.0.2:3306 check\n');
    expect(r.service('web').health?.type).toBe('tcp');
    expect(onLine(r.reasons, 6)[0]).toContain('mysql-check protocol exchange is not carried');
    const tcp = web(
      '    option tcp-check\n    tcp-check connect\n    tcp-check send PING\\r\\n\n    tcp-check expect string +PONG\n    server a 10.0.0.2:6379 check\n',
    );
    expect(tcp.service('web').health?.type).toBe('tcp');
    expect(onLine(tcp.reasons, 8)[0]).toContain('send/expect steps are not carried');
  });

  it("reports a check sent to another port (Patroni's port 8008), servers without check, and differing timing", () => {
    const r = web(
      '    option httpchk GET /primary\n    server a 10.0.0.2:5432 check port 8008\n    server b 10.0.0.3:5432 check inter 5s\n    server c 10.0.0.4:5432\n',
    );
    expect(r.service('web').health).toMatchObject({ intervalMs: 2_000, path: '/primary' });
    expect(onLine(r.reasons, 7)[0]).toContain("the check goes to port 8008, Fulcrum probes the backend's own port 5432");
    expect(onLine(r.reasons, 8)[0]).toContain('check timing differs');
    expect(onLine(r.reasons, 9)[0]).toContain('server without "check"');
  });

  it('takes a check port from tcp-check connect port', () => {
    const r = web('    option tcp-check\n    tcp-check connect port 9000\n    server a 10.0.0.2:80 check\n');
    expect(onLine(r.reasons, 8)[0]).toContain('the check goes to port 9000');
  });

  it('shortens a timeout check longer than inter, at the timeout line', () => {
    const r = web('    timeout check 5s\n    default-server inter 3s\n    server a 10.0.0.2:80 check\n');
    expect(r.service('web').health).toMatchObject({ intervalMs: 3_000, timeoutMs: 3_000 });
    expect(onLine(r.reasons, 6)[0]).toContain('longer than the check interval');
  });

  it('no option httpchk cancels one inherited from defaults', () => {
    const r = imported(
      'defaults\n    option httpchk GET /\n    timeout client 1s\nlisten web\n    no option httpchk\n    bind :80\n    server a 10.0.0.2:80 check\n',
      'haproxy',
    );
    expect(r.service('web').health?.type).toBe('tcp');
  });
});
