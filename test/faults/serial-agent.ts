/** The agent's side of the serial trials: connecting through a bad line, pushing, looking back. */

import { setTimeout as sleep } from 'node:timers/promises';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { sha256, toHex } from '../../src/protocol/digest.js';
import { configId, encodeRules, type RuleTable } from '../../src/protocol/rules/index.js';
import { computePatch } from '../../src/protocol/rules/patch.js';

/** Connects, trying again: on a noisy line the handshake itself can be hit. */
export async function connect(target: string, reconnectForMs = 1_000, attempts = 6): Promise<SerialDriver> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await SerialDriver.connect(target, { reconnectForMs });
    } catch (err) {
      last = err;
      await sleep(50);
    }
  }
  throw last;
}

/** What the agent sees when it looks afresh: the config id the appliance reports, and the SHA-256 of the running table it sends. */
export interface AgentView {
  configId: string;
  runningSha: string;
}

export async function agentView(target: string): Promise<AgentView> {
  let last: unknown;
  // A read over a noisy line can fail as a whole (every retransmission of one frame lost): look again.
  for (let i = 0; i < 4; i++) {
    const d = await connect(target);
    try {
      const info = await d.info();
      const running = await d.readRunning();
      return { configId: info.configId, runningSha: toHex(sha256(running)) };
    } catch (err) {
      last = err;
    } finally {
      await d.close();
    }
  }
  throw last;
}

/** Makes the appliance run `table` (a clean push), unless it already does. */
export async function ensureRunning(target: string, table: RuleTable, currentId: string): Promise<void> {
  if (currentId === configId(table)) return;
  const d = await connect(target);
  try {
    await d.push(encodeRules(table), { confirmTimeoutMs: 0 });
  } finally {
    await d.close();
  }
}

/** How a push will go: whole or as a patch against `base` (when the agent knows it), and how many bytes. */
export function pushPlan(
  base: RuleTable,
  next: RuleTable,
  delta: boolean,
): { encoding: Uint8Array; baseFor: ((id: string) => Uint8Array | null) | undefined; bytes: number } {
  const encoding = encodeRules(next);
  if (!delta) return { encoding, baseFor: undefined, bytes: encoding.length };
  const baseBytes = encodeRules(base);
  const baseId = configId(base);
  return { encoding, baseFor: (id) => (id === baseId ? baseBytes : null), bytes: Math.min(encoding.length, computePatch(baseBytes, encoding).length) };
}

/** Rough wall time of a push of `bytes` at `baud` (8N1), handshake and answers included: where to aim a fault. */
export const pushMs = (bytes: number, baud: number): number => 15 + ((bytes * 10) / baud) * 1000 * 1.2;

/** Two different random tables. */
export function twoTables(make: () => RuleTable): [RuleTable, RuleTable] {
  const before = make();
  let next = make();
  for (let i = 0; i < 5 && configId(next) === configId(before); i++) next = make();
  return [before, next];
}
