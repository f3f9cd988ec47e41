/**
 * `fulcrum completion bash` run in a real bash: the generated script is sourced, COMP_WORDS and
 * COMP_CWORD set as readline sets them, and _fulcrum's candidates read back — subcommands and
 * options from the command tree, inventory names from the store through `fulcrum completion
 * --names` (a `fulcrum` on PATH that is the built CLI).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fulcrum, ROOT } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-completion-'));
const home = path.join(dir, 'home');
const bin = path.join(dir, 'bin');
const script = path.join(dir, 'fulcrum.bash');
const env = { FULCRUM_HOME: home };

/** The candidates bash would offer for `words`, the cursor on the last one. */
function complete(...words: string[]): string[] {
  const assign = `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`;
  const r = spawnSync('bash', ['--norc', '-c', `source '${script}'; ${assign}; _fulcrum; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

beforeAll(() => {
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'fulcrum'), `#!/bin/sh\nexec '${process.execPath}' '${path.join(ROOT, 'bin/fulcrum.js')}' "$@"\n`);
  chmodSync(path.join(bin, 'fulcrum'), 0o755);
  for (const name of ['edge-1', 'edge-2', 'lab-1']) {
    const r = fulcrum(['appliance', 'add', name, `serial:/dev/ttyS${name.length}`, '--no-check'], undefined, env);
    expect(r.code, r.stderr).toBe(0);
  }
  const generated = fulcrum(['completion', 'bash'], undefined, env);
  expect(generated.code, generated.stderr).toBe(0);
  writeFileSync(script, generated.stdout);
});

describe('fulcrum completion bash', () => {
  it('completes commands and subcommands from the command tree', () => {
    expect(complete('fulcrum', 'ro')).toEqual(['rollout']);
    expect(complete('fulcrum', 'rules', 'pu')).toEqual(['push']);
    expect(complete('fulcrum', 'appliance', '')).toEqual(expect.arrayContaining(['add', 'update', 'list', 'remove', 'info']));
    expect(complete('fulcrum', '')).toEqual(expect.arrayContaining(['counters', 'events', 'monitor', 'serve', 'completion', 'rules']));
  });

  it("completes a command's own options, past options that take values", () => {
    expect(complete('fulcrum', 'counters', '--st')).toEqual(['--step', '--store']);
    expect(complete('fulcrum', 'appliance', 'list', '--')).toEqual(expect.arrayContaining(['--live', '--json', '--db', '--help']));
    // --since's value is skipped, so the command is still `counters`.
    expect(complete('fulcrum', 'counters', '--since', '1h', '--wa')).toEqual(['--watch']);
  });

  it('completes inventory names for --to, --targets lists and NAME arguments, read from the store', () => {
    expect(complete('fulcrum', 'appliance', 'info', '--to', 'ed')).toEqual(['edge-1', 'edge-2']);
    expect(complete('fulcrum', 'rules', 'push', 'web.yaml', '--targets', 'edge-1,l')).toEqual(['edge-1,lab-1']);
    expect(complete('fulcrum', 'appliance', 'remove', '')).toEqual(['edge-1', 'edge-2', 'lab-1']);
    expect(complete('fulcrum', 'counters', 'la')).toEqual(['lab-1']);
    // The line's own --db: another store, no names.
    expect(complete('fulcrum', 'appliance', 'info', '--db', path.join(dir, 'none.db'), '--to', 'e')).toEqual([]);
  });

  it('completes files for other values, and zsh gets the same tree through bashcompinit', () => {
    writeFileSync(path.join(dir, 'web.yaml'), 'services: []\n');
    expect(complete('fulcrum', 'rules', 'validate', 'we')).toEqual(['web.yaml']);
    const zsh = fulcrum(['completion', 'zsh'], undefined, env);
    expect(zsh.stdout).toMatch(/^#compdef fulcrum\n/);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain("'subs:rules') REPLY=");
    expect(fulcrum(['completion', 'fish'], undefined, env).code).toBe(2);
  });
});
