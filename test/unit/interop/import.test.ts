import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/rules/index.js';
import { importConfig, type Format } from '../../../src/interop/index.js';
import { importError } from './helpers.js';

const HAPROXY = 'listen web\n    bind 10.0.0.1:80\n    timeout client 1m\n    timeout server 1m\n    server a 10.0.0.2:80\n';

describe('importConfig', () => {
  it('returns the table, the YAML that loads to it, the format and the report', () => {
    const result = importConfig(HAPROXY, 'lb.cfg');
    expect(result.format).toBe('haproxy');
    expect(result.table).toStrictEqual(loadRules(result.yaml, 'lb.yaml'));
    expect(result.table.services.map((s) => s.name)).toEqual(['web']);
    expect(result.report).toEqual([]);
  });

  it('names the source and the size of the report in a header comment', () => {
    expect(importConfig(HAPROXY, '/etc/haproxy/lb.cfg').yaml).toMatch(/^# Imported from lb\.cfg \(HAProxy configuration\)\. Everything was carried over\.\n/);
    const withReport = importConfig(`global\n    daemon\n${HAPROXY}`, 'lb.cfg');
    expect(withReport.yaml).toMatch(/^# Imported from lb\.cfg \(HAProxy configuration\)\. 1 item not carried over: see the import report\./);
  });

  it('uses the format it is given, even against the content', () => {
    const error = importError(() => importConfig(HAPROXY, 'lb.cfg', { from: 'nginx' }));
    expect(error).toMatchObject({ file: 'lb.cfg', line: 5 });
    expect(error.reason).toMatch(/^unexpected end of file, expecting ";"/);
  });

  it('refuses an unknown format with a positioned error', () => {
    const error = importError(() => importConfig(HAPROXY, 'lb.cfg', { from: 'f5' as Format }));
    expect(error.message).toBe('lb.cfg:1:1: unknown format "f5"; expected haproxy, keepalived or nginx');
  });

  it('gives an empty, valid table when nothing in the file is a service', () => {
    const result = importConfig('vrrp_instance VI_1 {\n    state MASTER\n}\n', 'keepalived.conf');
    expect(result.table).toEqual({ services: [] });
    expect(loadRules(result.yaml, 'x.yaml')).toEqual({ services: [] });
    expect(result.report).toHaveLength(1);
  });

  it('imports every fixture into a table the loader accepts', () => {
    for (const name of ['haproxy-patroni.cfg', 'keepalived-dr-wrr.conf', 'nginx-stream.conf']) {
      const text = readFileSync(new URL(`../../fixtures/interop/${name}`, import.meta.url), 'utf8');
      const result = importConfig(text, name);
      expect(loadRules(result.yaml, name)).toStrictEqual(result.table);
    }
  });
});
