/**
 * Who pushes from this CLI and why: `user@host` of the OS account running it (the audit log's
 * actor), and the `--message` given. Invariant: a note always fits the console's 255-byte fields, or the flag is
 * refused with a usage error naming it (nothing is sent).
 */
import type { CommitNoteText } from '../../drivers/driver.js';
import { cliActor } from './audit-cli.js';
import { CliError, EXIT } from './exit-codes.js';

const MAX_NOTE_BYTES = 255;

export function cliNote(message: string | undefined): CommitNoteText {
  const comment = message ?? '';
  const bytes = Buffer.byteLength(comment, 'utf8');
  if (bytes > MAX_NOTE_BYTES) throw new CliError(`--message: at most ${MAX_NOTE_BYTES} bytes (UTF-8), got ${bytes}`, EXIT.usage);
  if ([...comment].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new CliError('--message: one line of text, without control characters', EXIT.usage);
  return { by: clip(cliActor().name), comment };
}

function clip(text: string): string {
  let out = text;
  while (Buffer.byteLength(out, 'utf8') > MAX_NOTE_BYTES) out = out.slice(0, -1);
  return out;
}
