/**
 * How `fulcrum rules push --to` shows what it found before pushing: the plan (or, where the
 * agent cannot see the running table, the services it would remove), the bytes a push would
 * send, and why a push would be refused. Shared by --dry-run, the y/N question and refusals.
 */
import pc from 'picocolors';
import { describePending } from '../provision/push-guards.js';
import type { PushPreflight } from '../provision/push-preflight.js';
import { renderPlan } from './render-plan.js';

/** The flags that override push-guards.ts, as its refusals name them. */
export const CLI_OVERRIDES = { force: '--force', allowDestructive: '--allow-destructive', replacePending: '--replace-pending' };

/** The plan; without the running table, what the appliance's own counters say would go. */
export function renderPreflightPlan(p: PushPreflight): string {
  if (p.plan !== null) return renderPlan(p.plan);
  const removed = p.removed.map((s) => pc.red(`  - service ${s.name} (${s.listen})`));
  const head = `No diff: the agent has not seen the running table (SNMP cannot read it back). It runs ${p.runningServices} service${p.runningServices === 1 ? '' : 's'}`;
  return removed.length === 0 ? `${head}; this table keeps every one of them.` : `${head}; this table removes:\n${removed.join('\n')}`;
}

export function renderBytes(p: PushPreflight): string {
  if (p.bytes.patch !== null) return `would send a patch of ${p.bytes.patch} bytes (the full table is ${p.bytes.full} bytes)`;
  return `would send the full table: ${p.bytes.full} bytes`;
}

/** What a real push would run into; empty when nothing. */
export function wouldRefuse(p: PushPreflight): string[] {
  const lines: string[] = [];
  if (p.pending !== null)
    lines.push(`a push now would be refused: a commit confirmed is pending (${describePending(p.pending)}); add ${CLI_OVERRIDES.replacePending} to replace it`);
  if (p.destructive !== null)
    lines.push(`a push now would be refused: the plan ${p.destructive}; add ${CLI_OVERRIDES.allowDestructive} if that is what you mean`);
  return lines;
}

export function renderDryRun(p: PushPreflight): string {
  const warnings = wouldRefuse(p).map((w) => pc.yellow(w));
  return [renderPreflightPlan(p), '', renderBytes(p), ...warnings, 'dry run: nothing was sent'].join('\n');
}

/** --json for a dry run and for a refusal: what was found, as data. */
export function preflightJson(p: PushPreflight): Record<string, unknown> {
  const { runningConfigId, configId, plan, runningServices, removed, destructive, pending, bytes } = p;
  return { runningConfigId, configId, plan, runningServices, removed, destructive, pending, bytes };
}
