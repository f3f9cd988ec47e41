import { describe, expect, it } from 'vitest';
import { canonicalProblems } from '../../../src/protocol/rules/invariants.js';
import { assemble } from '../../../src/interop/assemble.js';
import { newBackend, newService, type ServiceDraft } from '../../../src/interop/draft.js';
import { ImportReport } from '../../../src/interop/report.js';

const at = (line: number) => ({ line, directive: `line ${line}` });

function draft(name: string, listen: string, backends: string[], line = 1): ServiceDraft {
  const service = newService(name, listen, 'tcp', at(line));
  service.backends = backends.map((address, i) => newBackend(address, at(line + i + 1)));
  return service;
}

function run(...drafts: ServiceDraft[]) {
  const report = new ImportReport('x.cfg');
  const table = assemble(drafts, report);
  expect(canonicalProblems(table)).toEqual([]);
  return { table, reasons: report.list().map((o) => `${o.line}: ${o.reason}`) };
}

describe('assemble', () => {
  it('drops backends a rule table refuses, each with its line', () => {
    const { table, reasons } = run(draft('web', '10.0.0.1:80', ['0.0.0.0:80', '10.0.0.1:80', '10.0.0.2:80', '10.0.0.2:80']));
    expect(table.services[0]?.backends.map((b) => b.address)).toEqual(['10.0.0.2:80']);
    expect(reasons).toEqual([
      expect.stringMatching(/^2: 0\.0\.0\.0:80 is the unspecified address/),
      expect.stringMatching(/^3: .*own listen address/),
      expect.stringMatching(/^5: .*listed twice/),
    ]);
  });

  it('drops a service left without backends, or on an address another service already has', () => {
    const { table, reasons } = run(
      draft('a', '10.0.0.1:80', ['10.0.0.9:80'], 1),
      draft('b', '10.0.0.1:80', ['10.0.0.8:80'], 10),
      draft('c', '10.0.0.3:80', [], 20),
    );
    expect(table.services.map((s) => s.name)).toEqual(['a']);
    expect(reasons).toEqual([expect.stringMatching(/^10: .*already the listen address of the service from line 1/), expect.stringMatching(/^20: no backend/)]);
  });

  it('renames services whose names Fulcrum refuses or that are taken', () => {
    const { table, reasons } = run(
      draft('web:front', '10.0.0.1:80', ['10.0.0.9:80'], 1),
      draft('web-front', '10.0.0.2:80', ['10.0.0.9:80'], 5),
      draft('_x', '10.0.0.3:80', ['10.0.0.9:80'], 9),
    );
    expect(table.services.map((s) => s.name)).toEqual(['web-front', 'web-front-2', 'x']);
    expect(reasons).toEqual([
      expect.stringMatching(/^1: name "web:front" is not a Fulcrum service name; renamed "web-front"/),
      expect.stringMatching(/^5: another service is already named "web-front"; renamed "web-front-2"/),
      expect.stringMatching(/^9: name "_x" .* renamed "x"/),
    ]);
  });

  it("clamps values outside the rule table's ranges and says what it used", () => {
    const service = draft('web', '10.0.0.1:80', ['10.0.0.9:80']);
    service.idleTimeoutMs = 30 * 86_400_000;
    service.health = { type: 'http', intervalMs: 50, timeoutMs: 5_000, rise: 0, fall: 300, path: 'health', expectStatus: [200, 700] };
    service.backends[0]!.weight = 70_000;
    const { table, reasons } = run(service);
    expect(table.services[0]).toMatchObject({
      idleTimeoutMs: 7 * 86_400_000,
      health: { intervalMs: 100, timeoutMs: 100, rise: 1, fall: 255, path: '/', expectStatus: [200, 399] },
      backends: [{ weight: 65_535 }],
    });
    expect(reasons.join('\n')).toMatch(/idle timeout 720h is outside 1s\.\.168h; 168h is used/);
    expect(reasons.join('\n')).toMatch(/timeout 5s is longer than the interval 100ms/);
    expect(reasons.join('\n')).toMatch(/health check path "health" must start with "\/"/);
    expect(reasons.join('\n')).toMatch(/weight 70000 is outside 0\.\.65535/);
  });

  it('drops a fallback that cannot be one', () => {
    const service = draft('web', '10.0.0.1:80', ['10.0.0.9:80']);
    service.fallback = { address: '10.0.0.1:80', origin: at(7) };
    const { table, reasons } = run(service);
    expect(table.services[0]?.fallback).toBeNull();
    expect(reasons).toEqual([expect.stringMatching(/^7: 10\.0\.0\.1:80 cannot be a fallback/)]);
  });
});
