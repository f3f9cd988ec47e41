#!/usr/bin/env node
// The CLI is compiled and bundled into dist/cli by `npm ci` (the prepare script) or `npm run
// build` (scripts/bundle-cli.mjs says why a bundle).
//
// CommonJS (bin/package.json), so that `fulcrum --help` starts no ES module loader: the root
// help never changes between builds, so the build stores what the CLI prints for it (at
// commander's width for output that is no terminal, 80 columns) in dist/cli/root-help.cjs, and
// this prints that without defining a command. A terminal of another width, or a build without
// the file, gets commander's own. No node:fs here: the CLI's own modules decide what they load.
'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = path.join(__dirname, '..', 'dist', 'cli');
const args = process.argv.slice(2);

function storedHelp() {
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return null;
  if (process.stdout.isTTY && process.stdout.columns !== 80) return null;
  try {
    return require(path.join(dist, 'root-help.cjs'));
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') return null;
    throw err;
  }
}

const help = storedHelp();
if (help !== null) {
  // `fulcrum --help | head` closes the pipe early: that ends it quietly, as every command does.
  process.stdout.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
  });
  process.stdout.write(help);
} else {
  const entry = pathToFileURL(path.join(dist, 'fulcrum.js')).href;
  import(entry).catch((err) => {
    // Only the entry itself missing means "not built"; anything else is a real failure.
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || err.url !== entry) throw err;
    process.stderr.write('fulcrum: not built yet; run `npm run build` (npm ci does it too)\n');
    process.exit(1);
  });
}
