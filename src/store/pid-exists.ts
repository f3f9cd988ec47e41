/**
 * Whether a process with this pid exists on this host — how a lease row's holder on the same host
 * is known to be gone at once (rollouts, the poller), without waiting for its lease to expire.
 * EPERM means it exists, as another user's.
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
