/**
 * Waiting in tests for something that happens in other processes (agents, simulators, servers):
 * a probe asked again and again until it gives a value, up to a deadline. The deadline is a
 * bound on how long a failing test hangs, never an assertion about speed.
 */

/** Resolves with the first value of `probe` other than undefined or false, asking every `everyMs`; throws after `deadlineMs`, naming `what`. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  deadlineMs: number,
  everyMs = 200,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
