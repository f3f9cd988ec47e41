/** Signed firmware images made with the CLI itself (`firmware keygen`, `firmware build`), as an operator makes them. */
import path from 'node:path';
import { fulcrum } from './cli.js';

/** Makes a key pair in DIR/keys once; its files are DIR/keys/signing.key and DIR/keys/signing.pub. */
export function makeSigningKeys(dir: string): { key: string; pub: string } {
  const keys = path.join(dir, 'keys');
  const made = fulcrum(['firmware', 'keygen', '--out', keys]);
  if (made.code !== 0) throw new Error(`firmware keygen: ${made.stderr}`);
  return { key: path.join(keys, 'signing.key'), pub: path.join(keys, 'signing.pub') };
}

/** Builds image `version` signed with `key` into `out` (security counter 1). */
export function buildImageFile(key: string, version: string, out: string, payloadSize = '48KiB'): string {
  const built = fulcrum(['firmware', 'build', '--version', version, '--security-counter', '1', '--key', key, '--payload-size', payloadSize, '--out', out]);
  if (built.code !== 0) throw new Error(`firmware build ${version}: ${built.stderr}`);
  return out;
}
