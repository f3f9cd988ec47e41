import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    return statSync(path.join(ROOT, rel)).isDirectory() ? sources(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

describe('src/interop boundaries', () => {
  it('imports only itself, src/protocol, src/rules and the yaml package: no CLI, simulator, firmware or I/O', () => {
    for (const file of sources('src/interop')) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const [, spec] of text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        if (!spec!.startsWith('.')) {
          expect(['yaml'], `${file} imports ${spec}`).toContain(spec);
          continue;
        }
        const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec!));
        expect(
          ['src/interop', 'src/protocol', 'src/rules'].some((area) => target.startsWith(area)),
          `${file} imports ${spec}`,
        ).toBe(true);
      }
    }
  });

  it('keeps files small, each opening with a comment that says what it is for', () => {
    for (const file of sources('src/interop')) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      expect(text.split('\n').length, file).toBeLessThanOrEqual(260);
      expect(text.startsWith('/**'), `${file} starts with its purpose`).toBe(true);
    }
  });
});
