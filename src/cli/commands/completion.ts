/**
 * `fulcrum completion bash|zsh` prints the completion script generated from the whole command
 * tree; `fulcrum completion --names` prints the inventory's names, one a line, for that script to
 * call while completing. Reading names never creates a store (completing in an empty home writes
 * nothing) and never opens the sealed credentials.
 */
import { existsSync } from 'node:fs';
import type { Command } from '../commander.js';
import { CliError, EXIT } from '../exit-codes.js';
import { fillGroups } from '../groups/index.js';
import { bashScript, zshScript } from '../completion/bash.js';
import { completionTree } from '../completion/tree.js';

const SHELLS = { bash: bashScript, zsh: zshScript } as const;

/** `root`: the program this command belongs to, whose groups are filled in before it is read. */
export async function completion(shell: string | undefined, opts: { names?: boolean; db?: string }, root: Command): Promise<void> {
  if (opts.names) return names(opts.db);
  if (shell === undefined || !(shell in SHELLS)) throw new CliError(`completion: name a shell: ${Object.keys(SHELLS).join(' or ')}`, EXIT.usage);
  // The tree as `fulcrum` defines it, every group in full.
  await fillGroups(root);
  process.stdout.write(SHELLS[shell as keyof typeof SHELLS](completionTree(root)));
}

async function names(db: string | undefined): Promise<void> {
  const { defaultDatabasePath, openStore } = await import('../../store/index.js');
  const file = db ?? defaultDatabasePath();
  if (!existsSync(file)) return;
  const store = await openStore({ file });
  try {
    process.stdout.write((await store.inventory.names()).map((n) => `${n}\n`).join(''));
  } finally {
    await store.close();
  }
}
