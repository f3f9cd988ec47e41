/**
 * The master CLI's `show proc` → the master's reload counters and the current worker: how a
 * reload is told to have succeeded (a new worker, no new failure) or failed (HAProxy 2.6 keeps
 * the old worker and counts the failure). Old workers still finishing connections are listed
 * under "# old workers" and are not the current one.
 *
 *   #<PID>          <type>          <reloads>       <uptime>        <version>
 *   24130           master          4 [failed: 1]   0d00h00m39s     2.6.12-1+deb12u4
 *   # workers
 *   24589           worker          1               0d00h00m04s     2.6.12-1+deb12u4
 */

export interface ShowProc {
  masterPid: number;
  /** Reloads the master has attempted since it started, failed ones included. */
  reloads: number;
  failedReloads: number;
  /** Pids of the current generation's workers (one since HAProxy 2.5). */
  workers: number[];
}

export class ShowProcError extends Error {
  override readonly name = 'ShowProcError';
}

export function parseShowProc(text: string): ShowProc {
  let section = 'header';
  let master: { pid: number; reloads: number; failed: number } | null = null;
  const workers: number[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#<PID>')) continue;
    if (line.startsWith('#')) {
      section = line.slice(1).trim();
      continue;
    }
    const words = line.split(/\s+/);
    const pid = Number(words[0]);
    if (!Number.isInteger(pid) || pid <= 0) throw new ShowProcError(`"show proc": "${line}" does not start with a pid`);
    if (words[1] === 'master') {
      const m = /^master\s+(\d+)\s+\[failed:\s*(\d+)\]/.exec(words.slice(1).join(' '));
      if (m === null) throw new ShowProcError(`"show proc": cannot read the master's reload counts in "${line}"`);
      master = { pid, reloads: Number(m[1]), failed: Number(m[2]) };
    } else if (section === 'workers' && words[1] === 'worker') {
      workers.push(pid);
    }
  }
  if (master === null) throw new ShowProcError('"show proc" lists no master process');
  return { masterPid: master.pid, reloads: master.reloads, failedReloads: master.failed, workers };
}
