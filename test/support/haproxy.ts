/**
 * HAProxy for the tests: the processes of bench/lib/haproxy-process.ts, and `hasHaproxy()`, which
 * prints why the tests that need HAProxy are skipped when the program does not run here.
 */

import { spawnSync } from 'node:child_process';
import { HAPROXY } from '../../bench/lib/haproxy-process.js';

export { HAPROXY, startHaproxy, type HaproxyBox } from '../../bench/lib/haproxy-process.js';

let known: boolean | undefined;

export function hasHaproxy(): boolean {
  if (known === undefined) {
    known = spawnSync(HAPROXY, ['-v'], { stdio: 'ignore' }).status === 0;
    if (!known) console.warn(`skipping the tests that need HAProxy: "${HAPROXY} -v" does not run (Debian: apt-get install haproxy)`);
  }
  return known;
}
