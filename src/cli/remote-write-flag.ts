/** `--remote-write URL` of `monitor` and `serve`: checked before anything is opened, a usage error when not http(s). */
import { remoteWriteUrl, RemoteWriteUrlError } from '../poller/remote-write/index.js';
import { CliError, EXIT } from './exit-codes.js';

export function remoteWriteFlag(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    return remoteWriteUrl(text).href;
  } catch (err) {
    if (err instanceof RemoteWriteUrlError) throw new CliError(`--remote-write: ${err.message}`, EXIT.usage);
    throw err;
  }
}
