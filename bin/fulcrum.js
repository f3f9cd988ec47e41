#!/usr/bin/env node
// The CLI is compiled and bundled into dist/cli by `npm ci` (the prepare script) or `npm run
// build` (scripts/bundle-cli.mjs says why a bundle).
// No node:fs here: its ESM wrapper loads the fs streams, which `fulcrum --help` would pay for.
const entry = new URL('../dist/cli/fulcrum.js', import.meta.url);
try {
  await import(entry.href);
} catch (err) {
  // Only the entry itself missing means "not built"; anything else is a real failure.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || err.url !== entry.href) throw err;
  process.stderr.write('fulcrum: not built yet; run `npm run build` (npm ci does it too)\n');
  process.exit(1);
}
