import { describe, expect, it } from 'vitest';
import { ListenerSet } from '../../../src/interop/listeners.js';
import { ImportReport } from '../../../src/interop/report.js';
import { service } from './helpers.js';

const at = (line: number) => ({ line, directive: `line ${line}` });

describe('ListenerSet', () => {
  it('admits services the appliance can bind together', () => {
    const set = new ListenerSet();
    const report = new ImportReport('x');
    expect(set.admit(service({ listen: '0.0.0.0:80', backends: [{}] }), at(1), report)).toBe('add');
    expect(set.admit(service({ listen: '0.0.0.0:80', protocol: 'udp', backends: [{}] }), at(2), report)).toBe('add');
    expect(set.admit(service({ listen: '[2001:db8::1]:80', backends: [{}] }), at(3), report)).toBe('add');
    expect(report.list()).toEqual([]);
  });

  it('merges 0.0.0.0:P and [::]:P with the same settings into one dual-stack service', () => {
    const set = new ListenerSet();
    const report = new ImportReport('x');
    const first = service({ listen: '0.0.0.0:443', backends: [{}, {}] });
    expect(set.admit(first, at(4), report)).toBe('add');
    expect(set.admit(service({ listen: '[::]:443', backends: [{}, {}] }), at(5), report)).toBe('merged');
    expect(first.listen).toBe('[::]:443');
    expect(report.list()[0]).toMatchObject({ line: 5, reason: expect.stringContaining('merged into the service from line 4') });
  });

  it('drops a second service on an address, or next to a wildcard holding its port', () => {
    const set = new ListenerSet();
    const report = new ImportReport('x');
    set.admit(service({ listen: '0.0.0.0:80', backends: [{}] }), at(1), report);
    expect(set.admit(service({ listen: '10.0.0.1:80', backends: [{}] }), at(2), report)).toBe('drop');
    expect(set.admit(service({ listen: '0.0.0.0:80', backends: [{ address: '10.0.0.9:80' }] }), at(3), report)).toBe('drop');
    expect(set.admit(service({ listen: '[::]:80', backends: [{ address: '10.0.0.9:80' }] }), at(4), report)).toBe('drop');
    expect(report.list().map((o) => o.reason)).toEqual([
      '10.0.0.1:80/tcp overlaps 0.0.0.0:80, the listen address of the service from line 1; not imported',
      '0.0.0.0:80/tcp is already the listen address of the service from line 1; not imported',
      '[::]:80/tcp overlaps 0.0.0.0:80, the listen address of the service from line 1; not imported',
    ]);
  });
});
