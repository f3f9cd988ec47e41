/**
 * The command tree as shell completion needs it, read from commander's own definitions (every
 * group defined in full): per command path, its subcommands, its options, which options take a
 * value, and where an inventory name goes (the --to/--appliance/--targets values and the
 * arguments called "name"). Invariant: nothing here is written by hand — a new command or
 * option appears in the completion as soon as it is defined.
 */
import type { Command } from '../commander.js';

export interface CompletionNode {
  /** Space-separated words from the root: "" for `fulcrum`, "rules push" for `fulcrum rules push`. */
  path: string;
  subcommands: string[];
  options: string[];
  /** Options that take a value (the next word is theirs). */
  valued: string[];
  /** Options whose value is an inventory name (or a comma-separated list of them: --targets). */
  nameOptions: string[];
  /** Positions (0-based, among the operands after the path) of arguments that are inventory names. */
  nameArguments: number[];
}

/** Options whose values are inventory names. */
const NAME_OPTIONS = new Set(['--to', '--appliance', '--targets']);

function node(path: string, cmd: Command): CompletionNode {
  const options = cmd.options.flatMap((o) => [o.short, o.long].filter((f): f is string => typeof f === 'string'));
  const valued = cmd.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long].filter((f): f is string => typeof f === 'string'));
  return {
    path,
    subcommands: cmd.commands.map((c) => c.name()),
    options: [...options, '--help'],
    valued,
    nameOptions: valued.filter((f) => NAME_OPTIONS.has(f)),
    nameArguments: cmd.registeredArguments.flatMap((a, i) => (a.name() === 'name' ? [i] : [])),
  };
}

/** Every command of the tree under `root`, the root first, depth first. */
export function completionTree(root: Command): CompletionNode[] {
  const out: CompletionNode[] = [];
  const walk = (cmd: Command, path: string) => {
    out.push(node(path, cmd));
    for (const sub of cmd.commands) walk(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  walk(root, '');
  return out;
}
