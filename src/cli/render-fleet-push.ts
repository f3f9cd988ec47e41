/**
 * How `fulcrum rules push --all | --targets` shows its work: the plan over the fleet before
 * anything is sent, a line per step as it goes, and a table of where each appliance ended.
 */
import pc from 'picocolors';
import type { FleetPushReport, FleetResultKind, FleetStep, PlannedAppliance } from '../provision/fleet-push.js';
import type { Plan } from '../provision/plan.js';
import { table } from './output.js';

const short = (id: string | null): string => (id === null ? '-' : id.slice(0, 12));

function planCounts(p: Plan | null): string {
  if (p === null) return 'diff unknown: the agent has not seen the running table (SNMP cannot read it)';
  return `${p.added.length} to add, ${p.changed.length} to change, ${p.removed.length} to remove`;
}

export function renderFleetPlan(configId: string, planned: readonly PlannedAppliance[]): string {
  const changing = planned.filter((p) => p.change);
  const head = `Fleet push of config ${short(configId)}: ${changing.length} appliance${changing.length === 1 ? '' : 's'} to change, ${planned.length - changing.length} already up to date (skipped)`;
  const width = Math.max(...planned.map((p) => p.name.length + (p.canary ? 9 : 0)));
  const lines = planned.map((p) => {
    const name = `${p.name}${p.canary ? ' (canary)' : ''}`.padEnd(width);
    if (!p.change) return pc.dim(`  = ${name}  runs it already`);
    const line = pc.yellow(`  ~ ${name}  ${short(p.before)} → ${short(configId)}: ${planCounts(p.plan)}`);
    return p.destructive === null ? line : `${line}${pc.red(` — ${p.destructive}`)}`;
  });
  return [head, ...lines].join('\n');
}

export function describeStep(step: FleetStep, settleSeconds: number): string {
  switch (step.step) {
    case 'pushed':
      return `${step.appliance}: pushed${step.canary ? ' (canary)' : ''}, commit confirmed; checking it for ${settleSeconds} s`;
    case 'verified':
      return `${step.appliance}: healthy`;
    case 'confirmed':
      return pc.green(`${step.appliance}: confirmed ${short(step.configId)}`);
    case 'failed':
      return pc.red(`${step.appliance}: FAILED: ${step.error}`);
    case 'rolled back':
      return pc.yellow(`${step.appliance}: rolled back to ${short(step.after)}`);
  }
}

const RESULT_COLOUR: Record<FleetResultKind, (s: string) => string> = {
  changed: pc.green,
  unchanged: pc.dim,
  'rolled back': pc.yellow,
  failed: pc.red,
  'not pushed': pc.dim,
};

export function renderFleetReport(report: FleetPushReport): string {
  const rows = report.results.map((r) => [r.name, short(r.before), short(r.after), RESULT_COLOUR[r.result](r.result), r.error ?? '']);
  const t = table(['appliance', 'before', 'after', 'result', 'error'], rows);
  if (report.ok) {
    const changed = report.results.filter((r) => r.result === 'changed').length;
    if (changed === 0) return `${t}\n\nnothing to change: every appliance already runs ${short(report.configId)}`;
    return `${t}\n\n${changed} appliance${changed === 1 ? '' : 's'} changed and confirmed, running ${short(report.configId)}`;
  }
  return t;
}
