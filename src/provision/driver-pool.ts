/**
 * One open driver per appliance, shared by the poll loop and the API's requests. A console port
 * can be opened by one program only, and two managers interleaving a push with a poll on one
 * line gain nothing; so the operations on one appliance run one at a time, in arrival order,
 * while different appliances proceed in parallel.
 */
import type { ApplianceDriver, ApplianceEvent } from '../../drivers/driver.js';
import { DriverError } from '../../drivers/driver.js';
import { connectTarget, storedCredentials } from './connect.js';
import type { ApplianceRecord } from '../store/inventory.js';

export type OpenDriver = (record: ApplianceRecord) => Promise<ApplianceDriver>;

interface Entry {
  /** Target and credentials the driver was opened with: a changed record reopens it. */
  key: string;
  driver: ApplianceDriver | null;
  unsubscribe: (() => void) | null;
  /** The end of the queue of operations on this appliance. */
  tail: Promise<void>;
}

const recordKey = (r: ApplianceRecord): string => `${r.target}\u0000${JSON.stringify(r.credentials)}`;

export const openFromInventory: OpenDriver = (record) => connectTarget(record.target, storedCredentials(record.credentials));

export class DriverPool {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly open: OpenDriver = openFromInventory,
    /** Asynchronous events a driver reports (the console sends backend up/down, commits, rollbacks). */
    private readonly onEvent?: (appliance: string, event: ApplianceEvent) => void,
  ) {}

  /**
   * Runs `work` with the appliance's driver once the operations queued before it are done.
   * A driver that lost the appliance ('unreachable') is closed, and the next use opens a new one.
   */
  use<T>(record: ApplianceRecord, work: (driver: ApplianceDriver) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new DriverError('unreachable', 'the agent is shutting down'));
    const entry = this.entry(record.name);
    const run = entry.tail.then(async () => {
      const driver = await this.driverFor(record, entry);
      try {
        return await work(driver);
      } catch (err) {
        if (err instanceof DriverError && err.code === 'unreachable') await this.release(entry);
        throw err;
      }
    });
    entry.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Closes the appliance's driver once its queued operations are done (removed from the inventory). */
  async forget(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    const done = entry.tail.then(() => this.release(entry));
    entry.tail = done;
    await done;
    // Unless another operation queued up meanwhile (it will open a driver again).
    if (this.entries.get(name) === entry && entry.tail === done) this.entries.delete(name);
  }

  /** Closes every driver after the operations in flight; later uses are refused. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.entries.keys()].map((name) => this.forget(name)));
  }

  private entry(name: string): Entry {
    let entry = this.entries.get(name);
    if (!entry) {
      entry = { key: '', driver: null, unsubscribe: null, tail: Promise.resolve() };
      this.entries.set(name, entry);
    }
    return entry;
  }

  private async driverFor(record: ApplianceRecord, entry: Entry): Promise<ApplianceDriver> {
    const key = recordKey(record);
    if (entry.driver && entry.key !== key) await this.release(entry);
    if (!entry.driver) {
      const driver = await this.open(record);
      entry.driver = driver;
      entry.key = key;
      const listener = this.onEvent;
      entry.unsubscribe = listener ? driver.onEvent((e) => listener(record.name, e)) : null;
    }
    return entry.driver;
  }

  private async release(entry: Entry): Promise<void> {
    const driver = entry.driver;
    entry.unsubscribe?.();
    entry.driver = null;
    entry.unsubscribe = null;
    await driver?.close().catch(() => undefined);
  }
}
