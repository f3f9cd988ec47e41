/**
 * Holding the consoles of an inventory, as `fulcrum monitor` and `fulcrum serve` do: the control
 * socket that serves other commands on this machine, and the owner record that tells them where
 * it is. The record follows the inventory (an appliance added or moved is held from the next
 * refresh) and goes away with the process.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ApplianceEvent } from '../../drivers/driver.js';
import type { DriverPool } from '../provision/driver-pool.js';
import { ConfigCache } from '../store/config-cache.js';
import type { ApplianceRecord } from '../store/inventory.js';
import { consoleKey, publishOwner, runDir, socketPath } from './owners.js';
import { ControlServer } from './server.js';

export interface ConsoleHold {
  /** Where other commands reach this process. */
  readonly socket: string;
  /** Takes the inventory as it is now: held consoles follow it. */
  refresh(records: readonly ApplianceRecord[]): void;
  /** Hands an appliance's event to the commands watching it. */
  emit(appliance: string, event: ApplianceEvent): void;
  close(): Promise<void>;
}

export async function holdConsoles(options: { command: string; pool: DriverPool; records: readonly ApplianceRecord[]; dir?: string }): Promise<ConsoleHold> {
  const dir = options.dir ?? runDir();
  const since = Date.now();
  let held = new Map<string, ApplianceRecord>();
  let published = '';
  let unpublish: (() => void) | null = null;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = await ControlServer.listen(
    socketPath(dir),
    { record: (name) => held.get(name), use: (r, work) => options.pool.use(r, work) },
    new ConfigCache(),
  );

  const refresh = (records: readonly ApplianceRecord[]) => {
    const consoles: Record<string, string> = {};
    const next = new Map<string, ApplianceRecord>();
    for (const r of records) {
      const key = consoleKey(r.target);
      if (key === null) continue;
      consoles[r.name] = key;
      next.set(r.name, r);
    }
    held = next;
    const text = JSON.stringify(consoles);
    if (text === published) return;
    published = text;
    unpublish = publishOwner({ pid: process.pid, host: hostname(), command: options.command, since, socket: server.socket, consoles }, dir);
  };
  refresh(options.records);

  return {
    socket: server.socket,
    refresh,
    emit: (appliance, event) => server.emit(appliance, event),
    async close() {
      unpublish?.();
      await server.close();
    },
  };
}
