/** --site and --capacity of `monitor` and `serve`: what an agent tells the others when it shares a server store. */
import { CliError, EXIT } from './exit-codes.js';

export interface SharingFlags {
  site?: string;
  capacity?: string;
}

export function sharing(opts: SharingFlags): { site?: string; capacity?: number } {
  const capacity = opts.capacity === undefined ? undefined : Number(opts.capacity);
  if (capacity !== undefined && !(Number.isSafeInteger(capacity) && capacity >= 1))
    throw new CliError(`--capacity: expected a whole number from 1, got "${opts.capacity}"`, EXIT.usage);
  if (opts.site !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(opts.site))
    throw new CliError(`--site: expected 1-64 letters, digits, . _ -, got "${opts.site}"`, EXIT.usage);
  return { ...(opts.site !== undefined ? { site: opts.site } : {}), ...(capacity !== undefined ? { capacity } : {}) };
}
