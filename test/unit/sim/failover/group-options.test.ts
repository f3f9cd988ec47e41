import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupOptionError, groupOptions, readGroupKey, type GroupFlags } from '../../../../sim/failover/group-options.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-group-'));
const KEY_FILE = path.join(dir, 'key');
writeFileSync(KEY_FILE, '0123456789abcdef0123456789abcdef\n');
const SHORT_KEY = path.join(dir, 'short');
writeFileSync(SHORT_KEY, 'short\n');

const flags = (over: Partial<GroupFlags> = {}): GroupFlags => ({
  group: 'pair-a',
  unit: '1',
  heartbeat: '7001',
  peer: ['127.0.0.1:7002'],
  groupKey: KEY_FILE,
  ...over,
});

function problem(f: GroupFlags): string {
  try {
    groupOptions(f);
  } catch (err) {
    expect(err).toBeInstanceOf(GroupOptionError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('sim start group flags', () => {
  it('makes a complete group from the flags, host defaulting to 127.0.0.1', () => {
    const g = groupOptions(flags({ priority: '150', preempt: false, failoverLink: '/tmp/x', peer: ['127.0.0.1:7002', '[::1]:7003'] }))!;
    expect(g.heartbeat).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(g.peers).toEqual([
      { host: '127.0.0.1', port: 7002 },
      { host: '::1', port: 7003 },
    ]);
    expect(g.config).toMatchObject({ name: 'pair-a', unit: 1, priority: 150, preempt: false, intervalMs: 150 });
    expect(new TextDecoder().decode(g.config.key)).toBe('0123456789abcdef0123456789abcdef');
    expect(g.failoverLink).toBe('/tmp/x');
    expect(groupOptions({})).toBeUndefined();
  });

  it('names the flag at fault', () => {
    expect(problem({ unit: '1' })).toBe('--unit needs --group');
    expect(problem(flags({ unit: undefined }))).toBe('--group needs --unit');
    expect(problem(flags({ peer: [] }))).toMatch(/^--group needs at least one --peer/);
    expect(problem(flags({ unit: 'one' }))).toBe('--unit: expected a whole number, got "one"');
    expect(problem(flags({ unit: '300' }))).toMatch(/^--unit: must be an integer 1\.\.255/);
    expect(problem(flags({ priority: '0' }))).toMatch(/^--priority:/);
    expect(problem(flags({ group: 'bad name' }))).toMatch(/^--group:/);
    expect(problem(flags({ peer: ['nowhere'] }))).toMatch(/^--peer: expected HOST:PORT/);
    expect(problem(flags({ peer: ['127.0.0.1:99999'] }))).toMatch(/^--peer/);
    expect(problem(flags({ peer: ['127.0.0.1:7001'] }))).toMatch(/own --heartbeat address/);
    expect(problem(flags({ heartbeat: 'x:y' }))).toMatch(/^--heartbeat/);
    expect(problem(flags({ heartbeatInterval: '5' }))).toMatch(/^--heartbeat-interval:/);
  });

  it('names the key file that is missing or too short', () => {
    expect(problem(flags({ groupKey: path.join(dir, 'absent') }))).toMatch(/^--group-key .*absent: cannot read it \(ENOENT\)/);
    expect(problem(flags({ groupKey: SHORT_KEY }))).toMatch(/^--group-key .*short: holds 5 byte\(s\); a group key needs at least 16/);
    expect(readGroupKey(KEY_FILE)).toHaveLength(32);
  });
});
