/**
 * `haproxy -c -f FILE`: HAProxy's own verdict on a configuration before it is put in place. The
 * check runs on the agent's machine with the program the target names (?haproxy=PROGRAM), so
 * that program should be the version the box runs.
 *
 * Invariant: resolves only when HAProxy accepts the file; a refusal is DriverError('refused',
 * 'invalidConfig') carrying HAProxy's ALERT lines, with the candidate's path replaced by the
 * file it would become so the lines point where the operator looks.
 */

import { execFile } from 'node:child_process';
import { DriverError } from '../driver.js';

const CHECK_TIMEOUT_MS = 60_000;

export function checkConfig(program: string, candidate: string, shownAs: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(program, ['-c', '-f', candidate], { timeout: CHECK_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err === null) return resolve();
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') {
        return reject(
          new DriverError(
            'badTarget',
            `cannot run "${program} -c": not found on the agent's machine (install HAProxy there, or give ?haproxy=/path/to/haproxy)`,
          ),
        );
      }
      if (e.killed)
        return reject(new DriverError('refused', `"${program} -c -f ${shownAs}" did not finish within ${CHECK_TIMEOUT_MS / 1000} s`, 'invalidConfig'));
      const said = `${stdout}${stderr}`.split(candidate).join(shownAs);
      reject(new DriverError('refused', `HAProxy refused the configuration (${program} -c -f ${shownAs}):\n${alerts(said)}`, 'invalidConfig'));
    });
  });
}

/** HAProxy's alerts (and the lines that go with them); all of its output when it has none. */
export function alerts(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const alertLines = lines.filter((l) => /\[ALERT\]|\[WARNING\]/.test(l) || /^\s/.test(l));
  return (alertLines.length > 0 ? alertLines : lines).map((l) => l.trimEnd()).join('\n');
}
