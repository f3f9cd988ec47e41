import { build } from 'esbuild';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

// The appliance must boot without the agent's libraries: bundled for no platform at all, the
// firmware's top module may pull in nothing from node_modules and no Node built-in. (Before the
// contract was split it took 384 modules, 319 of them from node_modules, 506 KB.)
describe('the firmware bundle', () => {
  it('holds only firmware/ and src/protocol/, with no node_modules and no node: module', async () => {
    const result = await build({
      entryPoints: [path.join(ROOT, 'firmware/appliance.ts')],
      bundle: true,
      platform: 'neutral',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const foreign = inputs.filter((file) => !(file.startsWith('firmware/') || file.startsWith('src/protocol/')));
    expect(foreign).toEqual([]);
    expect(inputs.filter((file) => file.startsWith('src/protocol/host/'))).toEqual([]);
    expect(inputs.length).toBeGreaterThan(20);
  });
});
