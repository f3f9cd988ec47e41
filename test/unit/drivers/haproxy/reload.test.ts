/**
 * A reload into a new file (drivers/haproxy/reload.ts) against a scripted master CLI: a reload
 * the master neither completes nor refuses in time is not left to finish on its own with the
 * new file — the previous file goes back and HAProxy is reloaded into it, drain states set
 * again; a reload that took but runs something else is reloaded back the same way; a reload
 * the master refused leaves the old worker alone (one reload, nothing to undo).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { fileWeights } from '../../../../drivers/haproxy/live-changes.js';
import { reloadInto } from '../../../../drivers/haproxy/reload.js';
import type { RuntimeApi } from '../../../../drivers/haproxy/runtime.js';
import type { Backend, RuleTable } from '../../../../src/protocol/rules/model.js';
import { service, table } from '../../../support/rules.js';
import { INFO, STAT_HEADER } from './samples.js';

const OLD = table(service({ name: 'web', backends: [{ weight: 3 }, { weight: 2, state: 'drain' }] }));
const NEW = table(service({ name: 'web', backends: [{ weight: 3 }, { weight: 2 }, { weight: 1 }] }));
const TEXT = { old: '# old file\n', new: '# new file\n' };

type Outcome = 'settles' | 'hangs' | 'fails';

/**
 * A master whose reloads go as `script` says, one entry per reload: `settles` loads what the
 * file holds then, `hangs` never shows in `show proc`, `fails` counts a failed reload.
 */
class ScriptedMaster {
  reloads = 0;
  failed = 0;
  worker = 100;
  running: RuleTable;
  /** Each server's state as `set server … state` left it, by proxy/name. */
  states = new Map<string, string>();
  readonly sets: string[] = [];

  constructor(
    private readonly file: string,
    private readonly script: Outcome[],
    private readonly loads: (text: string) => RuleTable,
  ) {
    this.running = OLD;
  }

  api(): RuntimeApi {
    return {
      where: 'the test master',
      kind: 'master',
      master: (command: string) => Promise.resolve(this.masterCommand(command)),
      worker: (command: string) => Promise.resolve(this.workerCommand(command)),
      set: (command: string) => {
        this.sets.push(command);
        const m = /^set server (\S+) state (\w+)$/.exec(command);
        if (m) this.states.set(m[1]!, m[2]!);
        return Promise.resolve();
      },
    } as unknown as RuntimeApi;
  }

  private masterCommand(command: string): string {
    if (command === 'reload') {
      const outcome = this.script.shift() ?? 'settles';
      if (outcome === 'settles') {
        this.reloads++;
        this.worker++;
        this.running = this.loads(readFileSync(this.file, 'utf8'));
        this.states.clear();
      } else if (outcome === 'fails') {
        this.reloads++;
        this.failed++;
      }
      return '';
    }
    return `#<PID> <type> <reloads> <uptime> <version>\n1 master ${this.reloads} [failed: ${this.failed}] 0d00h00m01s 2.6.12\n# workers\n${this.worker} worker 0 0d00h00m01s 2.6.12\n`;
  }

  private workerCommand(command: string): string {
    if (command === 'show info') return INFO.replace(/^Pid: \d+$/m, `Pid: ${this.worker}`);
    const columns = STAT_HEADER.slice(2).split(',');
    const row = (cells: Record<string, string>) => columns.map((c) => cells[c] ?? '').join(',');
    const lines = [STAT_HEADER];
    for (const s of this.running.services) {
      lines.push(row({ pxname: s.name, svname: 'FRONTEND', type: '0', status: 'OPEN' }));
      const weights = fileWeights(s);
      s.backends.forEach((b: Backend, i) => {
        const name = `s${i + 1}`;
        const set = this.states.get(`${s.name}/${name}`);
        // HAProxy starts every server ready: drain exists only once set.
        const status = set === 'drain' ? 'DRAIN' : b.state === 'disabled' ? 'MAINT' : 'no check';
        lines.push(row({ pxname: s.name, svname: name, type: '2', status, weight: String(weights[i]), bck: '0', addr: b.address }));
      });
    }
    return lines.join('\n') + '\n';
  }
}

describe('reloading into a new file', () => {
  let dir: string;
  let file: string;
  const loads = (text: string) => (text === TEXT.new ? NEW : OLD);

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-reload-'));
    file = path.join(dir, 'haproxy.cfg');
    writeFileSync(file, TEXT.new);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the new table when the reload settles, with nothing put back', async () => {
    const master = new ScriptedMaster(file, ['settles'], loads);
    await reloadInto({ api: master.api(), file, timeoutMs: 2_000 }, NEW, { text: TEXT.old, table: OLD });
    expect(master.running).toBe(NEW);
    expect(master.reloads).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(TEXT.new);
  });

  it('a reload that does not settle in time: the previous file goes back and HAProxy reloads into it, drain set again', async () => {
    const master = new ScriptedMaster(file, ['hangs', 'settles'], loads);
    const err = await reloadInto({ api: master.api(), file, timeoutMs: 400 }, NEW, { text: TEXT.old, table: OLD }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).remote).toBe('applyFailed');
    expect((err as Error).message).toMatch(/did not complete within 0\.4 s.*the previous file is back and HAProxy reloaded into it/);
    expect(readFileSync(file, 'utf8')).toBe(TEXT.old);
    expect(master.running).toBe(OLD);
    expect(master.sets).toEqual(['set server web/s2 state drain']);
    expect(master.states.get('web/s2')).toBe('drain');
  });

  it('a reload that took but runs another table is reloaded back, and says so', async () => {
    // The master loads the old table whatever the file says: HAProxy started with another -f.
    const master = new ScriptedMaster(file, ['settles', 'settles'], () => OLD);
    const err = await reloadInto({ api: master.api(), file, timeoutMs: 2_000 }, NEW, { text: TEXT.old, table: OLD }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/does not run the configuration written to .*web has no server 127\.0\.0\.1:9003.*reloaded into it/);
    expect(master.reloads).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(TEXT.old);
  });

  it('when reloading back does not settle either, the error says that too', async () => {
    const master = new ScriptedMaster(file, ['hangs', 'hangs'], loads);
    const err = await reloadInto({ api: master.api(), file, timeoutMs: 300 }, NEW, { text: TEXT.old, table: OLD }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /did not complete.*the previous file is back, but reloading into it failed too: HAProxy at the test master: the reload did not complete/,
    );
    expect(readFileSync(file, 'utf8')).toBe(TEXT.old);
  });

  it('a reload the master refused leaves the old worker and reloads nothing more', async () => {
    const master = new ScriptedMaster(file, ['fails'], loads);
    const err = await reloadInto({ api: master.api(), file, timeoutMs: 2_000 }, NEW, { text: TEXT.old, table: OLD }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/failed to load the new configuration at reload/);
    expect(master.reloads).toBe(1);
    expect(master.running).toBe(OLD);
  });
});
