import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return sources(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
}

/** The top-level area a relative import lands in. */
function area(file: string, spec: string): string {
  const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
  return target.startsWith('src/protocol') ? 'src/protocol' : target.split(path.sep)[0]!;
}

describe('architecture: imports flow one way', () => {
  it('firmware/ uses no Node I/O and imports only itself and src/protocol', () => {
    for (const file of sources('firmware')) {
      for (const spec of imports(file)) {
        expect(spec.startsWith('.'), `${file} imports ${spec}`).toBe(true);
        expect(['firmware', 'src/protocol'], `${file} imports ${spec}`).toContain(area(file, spec));
      }
    }
  });

  it('src/protocol/ imports nothing else of the project, and only the libraries of the contract', () => {
    for (const file of sources('src/protocol')) {
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) expect(area(file, spec), `${file} imports ${spec}`).toBe('src/protocol');
        else expect(['node:crypto', 'node:zlib', 'yaml', '@sinclair/typebox', '@sinclair/typebox/value', 'node:fs', 'node:fs/promises'], `${file} imports ${spec}`).toContain(spec);
      }
    }
  });

  it('drivers/ import only themselves and src/protocol: they know nothing of the simulator or the firmware', () => {
    for (const file of sources('drivers')) {
      for (const spec of imports(file).filter((x) => x.startsWith('.'))) {
        expect(['drivers', 'src/protocol'], `${file} imports ${spec}`).toContain(area(file, spec));
      }
    }
  });

  it('src/api/ and src/provision/ never import src/cli/: the CLI is one front end, the API another', () => {
    for (const file of [...sources('src/api'), ...sources('src/provision')]) {
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec));
        expect(target.startsWith(`src${path.sep}cli`), `${file} imports ${spec}`).toBe(false);
      }
    }
  });

  it('sim/ never imports the agent, and only the sim, fleet and demo commands import sim/', () => {
    for (const file of sources('sim')) {
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        expect(['sim', 'firmware', 'src/protocol'], `${file} imports ${spec}`).toContain(area(file, spec));
      }
    }
    for (const file of sources('src')) {
      if (['src/cli/commands/sim.ts', 'src/cli/commands/fleet.ts', 'src/cli/commands/demo.ts', 'src/cli/commands/demo-parts.ts'].includes(file)) continue;
      for (const spec of imports(file).filter((s) => s.startsWith('.'))) {
        expect(['sim', 'firmware'], `${file} imports ${spec}`).not.toContain(area(file, spec));
      }
    }
  });
});
