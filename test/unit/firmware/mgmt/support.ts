/** Shared fixtures for the configuration-database tests: small rule tables, a storage that fails on cue, a harness. */
import { ConfigManager, type ConfigEvent } from '../../../../firmware/mgmt/config-manager.js';
import type { StoragePort } from '../../../../firmware/ports.js';
import { configId, encodeRules, type RuleTable } from '../../../../src/protocol/rules/index.js';
import { loadRules } from '../../../../src/rules/index.js';
import { FakeClock } from '../../../support/fake-clock.js';

const tables = new Map<number, { table: RuleTable; id: string }>();

/** A distinct, valid table per `n` (the backend port differs). Cached: treat it as read-only. */
export function table(n: number): RuleTable {
  return fixture(n).table;
}
export const bytesOf = (n: number): Uint8Array => encodeRules(table(n));
export const idOf = (n: number): string => fixture(n).id;

function fixture(n: number): { table: RuleTable; id: string } {
  let f = tables.get(n);
  if (!f) {
    const t = loadRules(`services:\n  - name: web\n    listen: 10.0.0.1:80\n    backends:\n      - { address: 10.0.0.2:${1000 + n} }\n`, 'test.yaml');
    f = { table: t, id: configId(t) };
    tables.set(n, f);
  }
  return f;
}

export type FaultMode =
  /** The write does not happen and throws; the box stays up. */
  | 'throw'
  /** The write does not happen, and neither does anything after it: power is gone. */
  | 'power-cut'
  /** The write lands but reports failure (e.g. the directory fsync failed after the rename). */
  | 'throw-after-write';

/** Atomic named blobs in memory, whose k-th write can be made to fail. */
export class FlakyStorage implements StoragePort {
  readonly blobs = new Map<string, Uint8Array>();
  /** Names written successfully, in order. */
  readonly writes: string[] = [];
  private count = 0;
  private failAt = 0;
  private mode: FaultMode = 'throw';
  private dead = false;

  /** The k-th write from now (1-based) fails in `mode`. */
  failWrite(k: number, mode: FaultMode): void {
    this.count = 0;
    this.failAt = k;
    this.mode = mode;
  }

  /** Power back on, no fault armed. */
  revive(): void {
    this.dead = false;
    this.failAt = 0;
  }

  get poweredOff(): boolean {
    return this.dead;
  }

  async read(name: string): Promise<Uint8Array | null> {
    if (this.dead) throw new Error('power is off');
    return this.blobs.get(name)?.slice() ?? null;
  }

  async writeAtomic(name: string, bytes: Uint8Array): Promise<void> {
    if (this.dead) throw new Error('power is off');
    this.count++;
    if (this.failAt !== 0 && this.count === this.failAt) {
      if (this.mode === 'throw-after-write') this.blobs.set(name, bytes.slice());
      if (this.mode === 'power-cut') this.dead = true;
      throw new Error(`simulated failure of write ${this.count} (${name})`);
    }
    this.blobs.set(name, bytes.slice());
    this.writes.push(name);
  }

  snapshot(): Map<string, Uint8Array> {
    return new Map([...this.blobs].map(([k, v]) => [k, v.slice()]));
  }
}

export interface Harness {
  clock: FakeClock;
  storage: FlakyStorage;
  manager: ConfigManager;
  /** Ids passed to `apply`, in order. */
  applied: string[];
  events: ConfigEvent[];
  /** Ids `apply` refuses (throws for). */
  refuse: Set<string>;
  /** A new manager over the same storage, as after a power cycle (fresh clock, nothing pending). */
  reboot(): Promise<ConfigManager>;
}

/** Storage seeded with table(0) as startup config (as Appliance.boot leaves a fresh box), and a manager loaded over it. */
export async function harness(storage = new FlakyStorage()): Promise<Harness> {
  if (!storage.blobs.has('startup.rules')) storage.blobs.set('startup.rules', bytesOf(0));
  const clock = new FakeClock();
  const applied: string[] = [];
  const events: ConfigEvent[] = [];
  const refuse = new Set<string>();
  const apply = async (_t: RuleTable, _e: Uint8Array, id: string) => {
    await Promise.resolve();
    if (refuse.has(id)) throw new Error(`refusing ${id.slice(0, 8)}`);
    applied.push(id);
  };
  const manager = await ConfigManager.load({ clock, storage, apply, onEvent: (e) => events.push(e) });
  return {
    clock,
    storage,
    manager,
    applied,
    events,
    refuse,
    reboot: () => ConfigManager.load({ clock: new FakeClock(), storage, apply: () => undefined }),
  };
}

/** Stages table(n) and commits it. */
export async function commitTable(manager: ConfigManager, n: number, confirmTimeoutMs = 0): Promise<void> {
  manager.setCandidate(bytesOf(n));
  await manager.commit({ confirmTimeoutMs });
}

/** What a reboot would find: startup id, history ids, and the commit confirmed it finds interrupted (null: none). */
export async function durable(
  storage: StoragePort,
): Promise<{ startupId: string; history: string[]; interrupted: string | null; problems: readonly string[] }> {
  const m = await ConfigManager.load({ clock: new FakeClock(), storage, apply: () => undefined });
  return { startupId: m.startup.id, history: m.history.map((c) => c.id), interrupted: m.interruptedCommit?.id ?? null, problems: m.loadProblems };
}
