import { readFileSync } from 'node:fs';
import path from 'node:path';

export const MIB_PATH = path.resolve(import.meta.dirname, '../../../../docs/FULCRUM-MIB.txt');

export interface MibDefinition {
  name: string;
  macro: string;
  parent: string;
  arc: number;
  /** The text between the name and `::=`: SYNTAX, MAX-ACCESS and the rest. */
  body: string;
}

/** The MIB without comments (`--` to the end of the line; the module has no `--` inside strings). */
export function mibText(): string {
  return readFileSync(MIB_PATH, 'utf8').replace(/--.*$/gm, '');
}

const MACROS = [
  'OBJECT-TYPE',
  'OBJECT IDENTIFIER',
  'MODULE-IDENTITY',
  'OBJECT-IDENTITY',
  'NOTIFICATION-TYPE',
  'OBJECT-GROUP',
  'NOTIFICATION-GROUP',
  'MODULE-COMPLIANCE',
];

/**
 * Every definition that assigns an OID: `name MACRO … ::= { parent n }`. A simple reading of the
 * module (definitions start a line; clauses are indented), enough to hold it to the TypeScript.
 */
export function mibDefinitions(): MibDefinition[] {
  const re = new RegExp(`^([a-z][A-Za-z0-9-]*)\\s+(${MACROS.join('|')})\\b([\\s\\S]*?)::=\\s*\\{\\s*([a-z][A-Za-z0-9-]*)\\s+(\\d+)\\s*\\}`, 'gm');
  return [...mibText().matchAll(re)].map((m) => ({ name: m[1]!, macro: m[2]!, body: m[3]!, parent: m[4]!, arc: Number(m[5]) }));
}

/** Full OIDs by name, from `enterprises` (1.3.6.1.4.1, SNMPv2-SMI) down. */
export function resolveOids(defs: readonly MibDefinition[]): Map<string, number[]> {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const known = new Map<string, number[]>([['enterprises', [1, 3, 6, 1, 4, 1]]]);
  const resolve = (name: string, depth = 0): number[] => {
    const hit = known.get(name);
    if (hit) return hit;
    const d = byName.get(name);
    if (!d || depth > 64) throw new Error(`cannot resolve ${name}`);
    const o = [...resolve(d.parent, depth + 1), d.arc];
    known.set(name, o);
    return o;
  };
  for (const d of defs) resolve(d.name);
  known.delete('enterprises');
  return known;
}

/** The named numbers of an INTEGER enumeration in a definition's SYNTAX. */
export function enumeration(def: MibDefinition): Record<string, number> {
  const m = /SYNTAX\s+INTEGER\s*\{([^}]*)\}/.exec(def.body);
  if (!m) throw new Error(`${def.name} is not an enumeration`);
  return Object.fromEntries([...m[1]!.matchAll(/([a-z][A-Za-z0-9-]*)\s*\(\s*(\d+)\s*\)/g)].map((x) => [x[1]!, Number(x[2])]));
}

export function maxAccess(def: MibDefinition): string | null {
  return /MAX-ACCESS\s+([a-z-]+)/.exec(def.body)?.[1] ?? null;
}
