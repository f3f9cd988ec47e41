// `npm run lint`: ESLint (type-aware), Prettier's check and the type check in two lanes, one per
// core: ESLint alone in one (45 s here, the longest), Prettier then tsc in the other (17 + 17 s).
// All three at once on two cores made ESLint share a core and the whole take 56 s; one after
// the other, 80 s. Each tool's output is shown whole, in a fixed order, and the run fails if any
// of them does.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const bin = (pkg, name) => {
  const manifest = require(`${pkg}/package.json`);
  const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[name];
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
};

// A larger young generation spares ESLint and Prettier many scavenges of their short-lived ASTs
// (ESLint 33.5 → 28.3 s, Prettier 15.6 → 13.7 s here); tsc gained nothing from it.
const YOUNG = '--max-semi-space-size=64';
const checks = [
  { name: 'eslint', args: [YOUNG, bin('eslint', 'eslint'), '.'] },
  { name: 'prettier', args: [YOUNG, bin('prettier', 'prettier'), '--check', '.'] },
  { name: 'tsc', args: [bin('typescript', 'tsc'), '-p', 'tsconfig.check.json'] },
];

const run = ({ name, args }) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ name, code: 1, output: `${output}${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ name, code: code ?? (signal ? 1 : 0), output }));
  });

const [eslint, prettier, tsc] = checks;
const inTurn = async (...lane) => {
  const out = [];
  for (const check of lane) out.push(await run(check));
  return out;
};
const results = (await Promise.all([inTurn(eslint), inTurn(prettier, tsc)])).flat();
for (const r of results) {
  process.stdout.write(`> ${r.name}: ${r.code === 0 ? 'ok' : `failed (exit ${r.code})`}\n`);
  if (r.output.trim() !== '') process.stdout.write(r.output.endsWith('\n') ? r.output : `${r.output}\n`);
}
const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length > 0) {
  process.stderr.write(`lint failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
