/**
 * commander, required rather than imported: it is CommonJS, and required directly it skips the
 * translation its ESM wrapper goes through, a good part of what `fulcrum --help` costs beyond
 * Node's own start.
 */
import { createRequire } from 'node:module';
import type * as CommanderModule from 'commander';

export const { Command, CommanderError, Option } = createRequire(import.meta.url)('commander') as typeof CommanderModule;
export type Command = CommanderModule.Command;
