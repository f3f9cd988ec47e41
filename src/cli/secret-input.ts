/**
 * Where an SNMP secret comes from besides argv (which `ps` shows every user of the machine): a
 * file only its owner can read — mode 0600 or 0400, anything wider is refused, as ssh refuses a
 * private key others can read — or an environment variable.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { CliError, EXIT } from './exit-codes.js';

import { SECRET_ENV } from './secret-env.js';

export { SECRET_ENV };

const OWNER_ONLY = new Set([0o600, 0o400]);

/** The secret in `file` (one trailing newline dropped), for the option `flag`. */
export function readSecretFile(flag: string, file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new CliError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, EXIT.usage);
  }
  try {
    // The mode of the file opened, not of whatever the name points to a moment later.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new CliError(`${flag} ${file}: not a regular file`, EXIT.usage);
    const mode = stat.mode & 0o777;
    if (!OWNER_ONLY.has(mode)) {
      throw new CliError(
        `${flag} ${file}: mode ${mode.toString(8).padStart(4, '0')} lets others read the secret; it must be 0600 or 0400 (chmod 600 ${file})`,
        EXIT.usage,
      );
    }
    const text = readFileSync(fd, 'utf8').replace(/\r?\n$/, '');
    if (text === '') throw new CliError(`${flag} ${file}: the file is empty`, EXIT.usage);
    return text;
  } finally {
    closeSync(fd);
  }
}

/** A secret from its flag or its file flag (not both); undefined when neither is given. */
export function secretOption(flag: string, value: string | undefined, fileFlag: string, file: string | undefined): string | undefined {
  if (value !== undefined && file !== undefined) throw new CliError(`give ${flag} or ${fileFlag}, not both`, EXIT.usage);
  return file !== undefined ? readSecretFile(fileFlag, file) : value;
}

/** A non-empty environment variable, or undefined. */
export function secretEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
