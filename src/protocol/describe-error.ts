/** The message of anything thrown, for wrapping it in an operator-facing error or an event. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
