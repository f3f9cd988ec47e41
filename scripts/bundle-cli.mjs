/**
 * The CLI as one bundle (dist/cli/), run by bin/fulcrum.js: `npm run build` makes it after tsc.
 *
 * Why: on Node 20 a start pays for every ES module it resolves (a realpath and package lookups
 * each) and for commander's seven CommonJS files; the CLI's entry needed ~20 of the first and all
 * of the second before printing `--help`, 40–60 % over a bare `node -e 0`. Bundled, what the
 * entry needs is one file with commander inline, and every command module stays a chunk loaded
 * only when its command runs (code splitting keeps one copy of each shared module, so classes
 * such as CliError stay one class). Packages other than commander stay external: native
 * modules (better-sqlite3, serialport, node-pty) and the rest load from node_modules as before.
 * The rules worker is an entry of its own: src/api/rule-loader.ts starts `./rules-worker.js`
 * next to the chunk that imports it, which is this directory.
 *
 * The bundle is written to a directory of its own and then moved into dist/cli file by file
 * (each rename atomic), so a CLI process started from the previous build while this one runs
 * still finds its entry and the chunks it loads later. Chunks no build has written for an hour
 * are removed.
 */
import { mkdtempSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const OUT = 'dist/cli';
const STALE_MS = 60 * 60 * 1000;
mkdirSync('dist', { recursive: true });
const staging = mkdtempSync(path.join('dist', '.cli-'));

const INLINE = new Set(['commander']);

await build({
  entryPoints: { fulcrum: 'src/cli/main.ts', 'rules-worker': 'src/api/rules-worker.ts' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: staging,
  logLevel: 'warning',
  // commander is CommonJS: its require() of Node's modules needs a real require in an ES module.
  banner: { js: "import { createRequire as __fulcrumRequire } from 'node:module'; const require = __fulcrumRequire(import.meta.url);" },
  plugins: [
    {
      name: 'packages-external',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) => (INLINE.has(a.path) || a.path.startsWith('node:') ? undefined : { path: a.path, external: true }));
      },
    },
    {
      // commander requires node:child_process at load for executable subcommands, which the CLI
      // has none of; loading it (net, dgram, streams) cost ~4 ms of every start. Required on first use instead.
      name: 'lazy-child-process',
      setup(b) {
        b.onResolve({ filter: /^node:child_process$/ }, (a) =>
          /[\\/]node_modules[\\/]commander[\\/]/.test(a.importer) ? { path: 'child_process', namespace: 'lazy' } : undefined,
        );
        b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
          contents: "let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });",
          loader: 'js',
        }));
      },
    },
  ],
});

mkdirSync(OUT, { recursive: true });
const written = new Set(readdirSync(staging));
for (const name of written) renameSync(path.join(staging, name), path.join(OUT, name));
rmSync(staging, { recursive: true, force: true });
const now = Date.now();
for (const name of readdirSync(OUT)) {
  const file = path.join(OUT, name);
  if (!written.has(name) && now - statSync(file).mtimeMs > STALE_MS) rmSync(file, { recursive: true, force: true });
}
