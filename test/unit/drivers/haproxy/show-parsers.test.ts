/**
 * The runtime API's answers as HAProxy 2.6 gives them (captured from Debian's 2.6.12): `show info`,
 * `show proc` (after a failed reload, and with old workers) and `show stat` CSV.
 */
import { describe, expect, it } from 'vitest';
import { parseShowInfo, ShowInfoError } from '../../../../drivers/haproxy/show-info.js';
import { parseShowProc, ShowProcError } from '../../../../drivers/haproxy/show-proc.js';
import { parseShowStat, ShowStatError, splitCsv } from '../../../../drivers/haproxy/show-stat.js';
import { INFO, STAT } from './samples.js';

describe('show info', () => {
  it('gives name, version, worker pid, uptime and node', () => {
    expect(parseShowInfo(INFO)).toEqual({ name: 'HAProxy', version: '2.6.12-1+deb12u4', pid: 24131, uptimeSeconds: 62, node: 'lb-7' });
  });

  it('names the line it misses or cannot read', () => {
    expect(() => parseShowInfo(INFO.replace('node: lb-7\n', ''))).toThrow(new ShowInfoError('"show info" has no "node" line'));
    expect(() => parseShowInfo(INFO.replace('Uptime_sec: 62', 'Uptime_sec: soon'))).toThrow('Uptime_sec: "soon", not a whole number');
  });
});

describe('show proc', () => {
  it('reads the reload counts and only the current workers, not old ones still finishing', () => {
    const text = `#<PID>          <type>          <reloads>       <uptime>        <version>
24130           master          4 [failed: 1]   0d00h00m39s     2.6.12-1+deb12u4
# workers
24589           worker          1               0d00h00m04s     2.6.12-1+deb12u4
# old workers
24421           worker          2               0d00h00m30s     2.6.12-1+deb12u4
# programs

`;
    expect(parseShowProc(text)).toEqual({ masterPid: 24130, reloads: 4, failedReloads: 1, workers: [24589] });
  });

  it('refuses an answer without a master line', () => {
    expect(() => parseShowProc('Unknown command, but maybe one of the following ones is a better match:\n')).toThrow(ShowProcError);
    expect(() => parseShowProc('#<PID> <type>\n# workers\n')).toThrow('lists no master process');
  });
});

describe('show stat', () => {
  it('reads rows by column name, quoted fields included', () => {
    const rows = parseShowStat(STAT);
    expect(rows.map((r) => [r.proxy, r.name, r.type, r.status])).toEqual([
      ['web', 'FRONTEND', 'frontend', 'OPEN'],
      ['web', 's1', 'server', 'no check'],
      ['web', 's2', 'server', 'DRAIN'],
      ['web', 's3', 'server', 'DOWN, going up'],
      ['web', 'BACKEND', 'backend', 'UP'],
    ]);
    expect(rows[1]).toMatchObject({
      weight: 3,
      backup: false,
      current: 1,
      total: 300n,
      bytesIn: 20100n,
      bytesOut: 28500n,
      connectErrors: 0n,
      lastChangeSeconds: 4,
      address: '127.0.0.1:18091',
    });
    expect(rows[3]).toMatchObject({ backup: true, address: '[::1]:18093', lastChangeSeconds: 12 });
    expect(rows[0]).toMatchObject({ total: 600n, lastChangeSeconds: null, address: '' });
  });

  it('splits CSV with HAProxy quoting', () => {
    expect(splitCsv('a,"b, c","d ""e""",,f')).toEqual(['a', 'b, c', 'd "e"', '', 'f']);
  });

  it('names the row and column of a value it cannot read, and a missing column', () => {
    expect(() => parseShowStat(STAT.replace('web,s1,0,0,1,3,,300', 'web,s1,0,0,1,3,,lots'))).toThrow(
      new ShowStatError('"show stat" line 3 (web/s1): stot is "lots", not a whole number'),
    );
    expect(() => parseShowStat(STAT.replace(',addr,', ',address,'))).toThrow('"show stat" has no "addr" column');
    expect(() => parseShowStat('Unknown command\n')).toThrow('did not start with its "# pxname,svname,…" header');
  });
});
