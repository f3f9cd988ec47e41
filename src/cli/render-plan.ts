import pc from 'picocolors';
import type { Plan } from '../provision/plan.js';

const show = (v: unknown): string => (v === null ? 'none' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A plan as operators know them from `terraform plan`: + add, ~ change, - remove, then a count. */
export function renderPlan(p: Plan): string {
  const lines: string[] = [];
  for (const s of p.added) lines.push(pc.green(`  + service ${s.name} (${s.protocol} ${s.listen}, ${s.backends} backend${s.backends === 1 ? '' : 's'})`));
  for (const s of p.changed) {
    lines.push(pc.yellow(`  ~ service ${s.name}`));
    for (const c of s.changes) {
      if (c.from === null) lines.push(pc.green(`      + ${c.path} ${show(c.to)}`));
      else if (c.to === null) lines.push(pc.red(`      - ${c.path} ${show(c.from)}`));
      else lines.push(`      ~ ${c.path}: ${show(c.from)} → ${show(c.to)}`);
    }
  }
  for (const s of p.removed) lines.push(pc.red(`  - service ${s.name} (${s.listen})`));
  const total = `Plan: ${p.added.length} to add, ${p.changed.length} to change, ${p.removed.length} to remove.`;
  return lines.length === 0 ? 'No changes: the appliance already runs this table.' : `${lines.join('\n')}\n\n${total}`;
}
