import { describe, expect, it } from 'vitest';
import { DEBIAN_STREAM_MODULE, exportConfig, formatExportOmission } from '../../../../src/interop/index.js';
import type { Service } from '../../../../src/protocol/rules/model.js';
import { service, table } from '../helpers.js';

const nginx = (services: Service[], options = {}) => {
  const result = exportConfig(table(...services), 'nginx', options);
  return { text: result.text, report: result.report.map(formatExportOmission) };
};

describe('nginx export', () => {
  it('loads the stream module, points pid and error_log at the runtime directory, and has an events block', () => {
    const { text } = nginx([], { runtimeDir: '/tmp/run' });
    expect(text).toBe(
      `# Exported from a Fulcrum rule table (0 services).\nload_module ${DEBIAN_STREAM_MODULE};\npid /tmp/run/nginx.pid;\nerror_log /tmp/run/error.log;\nevents {}\n\nstream {\n}\n`,
    );
    expect(nginx([], { streamModule: null }).text).not.toContain('load_module');
  });

  it('writes an upstream named after each service and a server per listen address', () => {
    const { text, report } = nginx([
      service({ name: 'db', algorithm: 'weighted-least-connections', backends: [{ weight: 3, maxConnections: 200 }, { state: 'disabled' }, { backup: true }] }),
      service({ name: 'dns', listen: '[::]:53', protocol: 'udp', idleTimeoutMs: 30_000, algorithm: 'maglev', hashKey: '5-tuple', backends: [{}, {}] }),
    ]);
    expect(text).toContain(
      '    upstream dns {\n        hash $remote_addr$remote_port consistent;\n        server 127.0.0.1:9001;\n        server 127.0.0.1:9002;\n    }\n    server {\n        listen [::]:53 ipv6only=off udp;\n        proxy_pass dns;\n        proxy_timeout 30s;\n    }',
    );
    expect(text).toContain(
      '    upstream db {\n        least_conn;\n        zone db 64k;\n        server 127.0.0.1:9001 weight=3 max_conns=200;\n        server 127.0.0.1:9002 down;\n        server 127.0.0.1:9003 backup;\n    }',
    );
    expect(report).toEqual([]);
  });

  it('maps two-choices to random two least_conn and drops backups nginx refuses there', () => {
    const { text, report } = nginx([service({ algorithm: 'two-choices', backends: [{}, { backup: true }] })]);
    expect(text).toContain('random two least_conn;\n        server 127.0.0.1:9001;\n    }');
    expect(report).toEqual(['svc: backends[127.0.0.1:9002].backup: nginx refuses backup servers with random two least_conn; this backup is not exported']);
  });

  it('reports health, persistence, fallback, drain, weight 0 and least-response-time', () => {
    const { text, report } = nginx([
      service({
        algorithm: 'least-response-time',
        health: { type: 'tcp', intervalMs: 5_000, timeoutMs: 1_000, rise: 2, fall: 3, path: '', expectStatus: [0, 0] },
        persistence: { type: 'source-ip', timeoutMs: 300_000 },
        fallback: '127.0.0.1:9999',
        backends: [{ state: 'drain' }, { weight: 0 }],
      }),
    ]);
    expect(text).toContain(
      'least_conn;\n        server 127.0.0.1:9001 max_fails=3 fail_timeout=5s down;\n        server 127.0.0.1:9002 max_fails=3 fail_timeout=5s down;',
    );
    expect(report.map((r) => r.split(': ').slice(0, 2).join(': '))).toEqual([
      'svc: algorithm',
      'svc: health',
      'svc: persistence',
      'svc: fallback',
      'svc: backends[127.0.0.1:9001].state',
      'svc: backends[127.0.0.1:9002].weight',
    ]);
  });
});
