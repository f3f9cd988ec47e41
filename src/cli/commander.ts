/**
 * commander, the one place the CLI takes it from. Imported (not required) so the CLI's bundle
 * (scripts/bundle-cli.mjs) carries it inline: one file instead of commander's seven CommonJS
 * modules, which were a good part of what `fulcrum --help` cost beyond Node's own start.
 */
export { Command, CommanderError, Option } from 'commander';
