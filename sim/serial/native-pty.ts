import { createRequire } from 'node:module';

/**
 * The one function of node-pty's native addon this project uses. node-pty ships no type for its
 * addon (only for its JS wrapper, which always forks a child process), so the shape is declared
 * here: `open` is openpty(3) with both ends already set O_NONBLOCK.
 */
export interface NativePty {
  open(cols: number, rows: number): { master: number; slave: number; pty: string };
}

/**
 * Where node-pty's own loader looks for the addon, in the same order: a local build first, then a
 * prebuild for this platform. Resolved through the installed package (createRequire), so it works
 * from the sources, from dist/, and wherever node_modules happens to live.
 */
const CANDIDATES = ['build/Release/pty.node', 'build/Debug/pty.node', `prebuilds/${process.platform}-${process.arch}/pty.node`];

let cached: NativePty | null = null;

export function loadNativePty(): NativePty {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const candidate of CANDIDATES) {
    try {
      cached = require(`node-pty/${candidate}`) as NativePty;
      return cached;
    } catch (err) {
      failures.push(`${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`node-pty's native addon could not be loaded (is node-pty built?)\n  ${failures.join('\n  ')}`);
}
