/**
 * A rollout as a whole, read from the store: its record, the count of devices in each state
 * per wave, and every device. What `fulcrum rollout status` prints and an API would serve.
 */
import type { DeviceState, RolloutDeviceRecord, RolloutRecord, RolloutState, RolloutStore } from '../../store/rollouts.js';

export interface WaveStatus {
  wave: number;
  size: number;
  pending: number;
  upgrading: number;
  succeeded: number;
  failed: number;
}

export interface RolloutStatus {
  id: number;
  image: string;
  version: string;
  created: number;
  updated: number;
  state: RolloutState;
  reason: string | null;
  /** The wave steps as given (normalized), e.g. [1, "10%", "50%", "100%"]. */
  steps: Array<number | string>;
  maxFailures: string;
  allowedFailures: number;
  deadlineMs: number;
  /** The process running it now, if any (it may have died: see lease.ts). */
  runner: { host: string; pid: number; heartbeat: number } | null;
  totals: Record<DeviceState, number> & { devices: number };
  waves: WaveStatus[];
  devices: RolloutDeviceRecord[];
}

export function rolloutStatus(record: RolloutRecord, devices: RolloutDeviceRecord[]): RolloutStatus {
  const waves: WaveStatus[] = [];
  const totals = { devices: devices.length, pending: 0, upgrading: 0, succeeded: 0, failed: 0 };
  for (const d of devices) {
    let wave = waves.find((w) => w.wave === d.wave);
    if (!wave) {
      wave = { wave: d.wave, size: 0, pending: 0, upgrading: 0, succeeded: 0, failed: 0 };
      waves.push(wave);
    }
    wave.size++;
    wave[d.state]++;
    totals[d.state]++;
  }
  waves.sort((a, b) => a.wave - b.wave);
  const { runner, waves: steps, ...rest } = record;
  return { ...rest, steps, runner: runner ? { host: runner.host, pid: runner.pid, heartbeat: runner.heartbeat } : null, totals, waves, devices };
}

export async function readStatus(store: RolloutStore, id: number): Promise<RolloutStatus | null> {
  const record = await store.get(id);
  return record ? rolloutStatus(record, await store.devices(id)) : null;
}
