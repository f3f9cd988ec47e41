import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { FirmwareCatalog } from '../../../../src/upgrade/catalog.js';
import { RolloutEngine, type RolloutEvent, type UpgradeOne } from '../../../../src/upgrade/rollout/index.js';
import { buildImage, generateSigningKey, parseVersion } from '../../../../src/protocol/image/image.js';
import { openStore, type AgentStore } from '../../../../src/store/index.js';

const key = generateSigningKey();

/** A small signed image of `version`. */
export function image(version: string, payloadSize = 256): Uint8Array {
  return buildImage({ version: parseVersion(version), securityCounter: 1, payload: new Uint8Array(payloadSize).fill(0x5a) }, key);
}

/** dev-01 … dev-NN: names that sort in the order they are numbered. */
export const deviceNames = (n: number): string[] => Array.from({ length: n }, (_, i) => `dev-${String(i + 1).padStart(2, '0')}`);

/**
 * A database file with an inventory of `devices` and an image in the catalog. `engine()` opens
 * its own connection to the file each time, as another agent process would.
 */
export async function fleetOnDisk(devices: number, version = '2.0.0') {
  const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-rollout-'));
  made.push(dir);
  const file = path.join(dir, 'fulcrum.db');
  const catalogDir = path.join(dir, 'firmware');
  const setup = await openStore({ file });
  for (const name of deviceNames(devices)) await setup.inventory.add({ name, target: `serial:/dev/null-${name}` });
  const entry = await new FirmwareCatalog(setup.firmwareImages, catalogDir).add(image(version));
  await setup.close();
  const engine = async (onEvent?: (e: RolloutEvent) => void): Promise<{ engine: RolloutEngine; store: AgentStore }> => {
    const store = await openStore({ file });
    opened.push(store);
    const e = new RolloutEngine({
      rollouts: store.rollouts,
      catalog: new FirmwareCatalog(store.firmwareImages, catalogDir),
      inventory: store.inventory,
      events: store.events,
      ...(onEvent ? { onEvent } : {}),
    });
    return { engine: e, store };
  };
  return { dir, file, catalogDir, image: entry, names: deviceNames(devices), engine };
}

const made: string[] = [];
const opened: AgentStore[] = [];
afterEach(async () => {
  // close() is idempotent: a test may have closed its store itself.
  for (const s of opened.splice(0)) await s.close();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export type Behaviour = 'ok' | 'fail' | 'hang' | 'unconfirmed' | 'wrong-version';

/**
 * Appliances as an upgrade sees them: each call is logged (start and end, in order), each
 * device behaves as told, and `hold` keeps upgrades waiting until `release`.
 */
export class FakeFleet {
  readonly log: string[] = [];
  readonly calls = new Map<string, number>();
  readonly signals = new Map<string, AbortSignal>();
  readonly behaviour = new Map<string, Behaviour>();
  running = 0;
  maxRunning = 0;
  private gate: Deferred | null = null;
  private heldOnly: ReadonlySet<string> | null = null;
  private readonly hung: Deferred[] = [];

  constructor(readonly version = '2.0.0') {}

  /** Upgrades (of `only` these appliances, or all) wait from now until `release`. */
  hold(only?: readonly string[]): void {
    this.gate ??= deferred();
    this.heldOnly = only ? new Set(only) : null;
  }

  release(): void {
    this.gate?.resolve();
    this.gate = null;
  }

  /** Lets upgrades that hang settle (successfully): too late to count. */
  settleHung(): void {
    for (const h of this.hung.splice(0)) h.resolve();
  }

  callsOf(name: string): number {
    return this.calls.get(name) ?? 0;
  }

  readonly upgrade: UpgradeOne = async (name, _image, signal) => {
    this.calls.set(name, this.callsOf(name) + 1);
    this.signals.set(name, signal);
    this.log.push(`start ${name}`);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      // A real upgrade never finishes in the same turn of the event loop.
      await new Promise((r) => setImmediate(r));
      if (this.gate && (this.heldOnly === null || this.heldOnly.has(name))) await this.gate.promise;
      const behaviour = this.behaviour.get(name) ?? 'ok';
      if (behaviour === 'hang') {
        const h = deferred();
        this.hung.push(h);
        await h.promise;
      }
      if (behaviour === 'fail') throw new Error(`${name}: image refused (untrustedKey)`);
      if (behaviour === 'unconfirmed') return { version: this.version, confirmed: false };
      if (behaviour === 'wrong-version') return { version: '1.0.0', confirmed: true };
      return { version: this.version, confirmed: true };
    } finally {
      this.running--;
      this.log.push(`end ${name}`);
    }
  };
}

/** Polls `condition` until it holds (or fails the test after a generous while). */
export async function until(condition: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}
