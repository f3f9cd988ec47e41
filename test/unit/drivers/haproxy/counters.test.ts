/**
 * `show stat` → the counter model (drivers/haproxy/counters.ts): per service and backend, from a
 * listen section as the driver renders it and from a hand-written frontend + backend, with
 * HAProxy's statuses mapped to the model's states.
 */
import { describe, expect, it } from 'vitest';
import { countersFrom, operState } from '../../../../drivers/haproxy/counters.js';
import { parseShowStat } from '../../../../drivers/haproxy/show-stat.js';
import { service, table } from '../../../support/rules.js';
import { STAT, STAT_HEADER } from './samples.js';

const NOW = 1_800_000_000_000;

const web = service({
  name: 'web',
  listen: '127.0.0.1:8080',
  backends: [{ address: '127.0.0.1:18091' }, { address: '127.0.0.1:18092' }, { address: '[::1]:18093', backup: true }],
});

describe('HAProxy counters', () => {
  it('takes the frontend for the service and each server for its backend, by address', () => {
    const snapshot = countersFrom(parseShowStat(STAT), table(web), NOW);
    expect(snapshot.services).toHaveLength(1);
    const s = snapshot.services[0]!;
    expect(s).toMatchObject({
      name: 'web',
      listen: '127.0.0.1:8080',
      protocol: 'tcp',
      connsTotal: 600n,
      connsActive: 2,
      bytesIn: 40200n,
      bytesOut: 57000n,
      failures: 3n,
      fallbackConns: 0n,
    });
    expect(s.backends.map((b) => [b.address, b.state, b.weight, b.backup, b.connsTotal, b.connectFailures])).toEqual([
      ['127.0.0.1:18091', 'up', 3, false, 300n, 0n],
      ['127.0.0.1:18092', 'drain', 2, false, 200n, 7n],
      ['[::1]:18093', 'down', 1, true, 100n, 0n],
    ]);
    expect(s.backends[2]!.lastChange).toBe(NOW - 12_000);
  });

  it('finds the servers of a frontend + backend pair by their addresses, and leaves out what HAProxy does not show', () => {
    const text = `${STAT_HEADER}
front,FRONTEND,,,0,0,100,12,1,2,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,
pool,a,0,0,0,0,,7,0,0,,0,,0,0,0,0,UP,1,1,0,,,4,,,1,3,1,,7,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18091,
pool,b,0,0,0,0,,5,0,0,,0,,0,0,0,0,MAINT,1,1,0,,,4,,,1,3,2,,5,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18092,
pool,BACKEND,0,0,0,0,,12,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,4,0,,1,3,0,,12,,1,0,
`;
    const front = service({ name: 'front', backends: [{ address: '127.0.0.1:18091' }, { address: '127.0.0.1:18092' }] });
    const missing = service({ name: 'other', backends: [{ address: '127.0.0.1:1' }] });
    const snapshot = countersFrom(parseShowStat(text), table(front, missing), NOW);
    expect(snapshot.services.map((s) => s.name)).toEqual(['front']);
    expect(snapshot.services[0]!.backends.map((b) => [b.address, b.state, b.connsTotal])).toEqual([
      ['127.0.0.1:18091', 'up', 7n],
      ['127.0.0.1:18092', 'disabled', 5n],
    ]);
  });

  it('maps every server status HAProxy 2.6 shows', () => {
    const cases: [string, string][] = [
      ['UP', 'up'],
      ['UP 1/3', 'up'],
      ['no check', 'up'],
      ['NOLB', 'up'],
      ['DOWN', 'down'],
      ['DOWN 1/2', 'down'],
      ['DRAIN', 'drain'],
      ['MAINT', 'disabled'],
      ['MAINT (via web/s1)', 'disabled'],
    ];
    for (const [status, state] of cases) expect(operState(status), status).toBe(state);
  });
});
