import net from 'node:net';
import http from 'node:http';
import type { HealthProbePort, ProbeResult } from '../../firmware/ports.js';
import type { EndpointText, HealthCheck } from '../../src/protocol/rules/model.js';
import { parseEndpoint } from '../../src/protocol/rules/index.js';

/** Health probes over real sockets: a TCP connect, or an HTTP GET whose status must fall in the expected range. */
export const nodeHealthProbe: HealthProbePort = {
  probe(address: EndpointText, check: HealthCheck): Promise<ProbeResult> {
    const { host, port } = parseEndpoint(address);
    return check.type === 'http' ? httpProbe(host, port, check) : tcpProbe(host, port, check.timeoutMs);
  },
};

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: ProbeResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, detail: `tcp connect timeout after ${timeoutMs}ms` }));
    socket.once('connect', () => done({ ok: true, detail: 'tcp connect ok' }));
    socket.once('error', (err) => done({ ok: false, detail: `tcp connect: ${err.message}` }));
  });
}

function httpProbe(host: string, port: number, check: HealthCheck): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(r);
    };
    const req = http.get(
      { host, port, path: check.path, agent: false, timeout: check.timeoutMs, headers: { 'user-agent': 'fulcrum-health/1', connection: 'close' } },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        const [lo, hi] = check.expectStatus;
        done(status >= lo && status <= hi ? { ok: true, detail: `http ${status}` } : { ok: false, detail: `http ${status}, expected ${lo}-${hi}` });
      },
    );
    req.once('timeout', () => done({ ok: false, detail: `http timeout after ${check.timeoutMs}ms` }));
    req.once('error', (err) => done({ ok: false, detail: `http: ${err.message}` }));
  });
}
