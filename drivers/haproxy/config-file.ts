/**
 * The configuration file of a managed HAProxy box, both ways.
 *
 * Writing: the rule table rendered by src/interop's HAProxy export, after every section of the
 * file that is not a proxy (`global` with its stats socket, `peers`, `resolvers`, `program`, …)
 * kept as written, and the table's own canonical encoding in `# fulcrum-table:` comment lines.
 *
 * Reading: the running table is the embedded one when the file's proxies are exactly what that
 * table renders to (the file was written by a push and not edited since); otherwise the file's
 * own import. The embedded table is what keeps the config id of what the file cannot spell —
 * drain (weight 0 in the file), a weighted algorithm with equal weights — so a push's config id
 * is the one the box reports.
 */

import { configId } from '../../src/protocol/rules/config-id.js';
import { decodeRules, encodeRules } from '../../src/protocol/rules/codec.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { exportConfig, importConfig, ImportError } from '../../src/interop/index.js';
import { DriverError } from '../driver.js';
import { haproxyProblems } from './expressible.js';

const MARKER = '# fulcrum-table: ';
const MARKER_VERSION = 'v1';
const BASE64_PER_LINE = 76;

/** Section keywords of HAProxy 2.6; only the first four hold proxies. */
const SECTIONS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'userlist',
  'peers',
  'resolvers',
  'program',
  'mailers',
  'cache',
  'ring',
  'http-errors',
  'log-forward',
  'fcgi-app',
]);
const PROXY_SECTIONS = new Set(['defaults', 'frontend', 'backend', 'listen']);

/** The file's text with the rule table written over its proxies; refuses (DriverError 'unsupported') a table HAProxy cannot run as meant. */
export function renderConfigFile(table: RuleTable, previous: string): string {
  const problems = haproxyProblems(table);
  if (problems.length > 0) throw new DriverError('refused', `HAProxy cannot run this rule table as written: ${problems.join('; ')}`, 'unsupported');
  const kept = keptSections(previous);
  const { text } = exportConfig(table, 'haproxy');
  return `${kept === '' ? '' : `${kept}\n\n`}${markers(table)}\n${text}`;
}

/**
 * The sections of `text` that are not proxies, as written, with the driver's own marker lines
 * taken out. Comments and blank lines just before a section header go with that section, so the
 * comment above a proxy leaves with it.
 */
export function keptSections(text: string): string {
  const out: string[] = [];
  let keep = false;
  let loose: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(MARKER)) continue;
    const first = /^\s*([^\s#]+)/.exec(line)?.[1];
    if (first === undefined) {
      loose.push(line);
      continue;
    }
    if (SECTIONS.has(first)) keep = !PROXY_SECTIONS.has(first);
    if (keep) out.push(...loose, line);
    loose = [];
  }
  if (keep) out.push(...loose);
  return out.join('\n').trim();
}

function markers(table: RuleTable): string {
  const base64 = Buffer.from(encodeRules(table)).toString('base64');
  const lines = [`${MARKER}${MARKER_VERSION} ${configId(table)}`];
  for (let i = 0; i < base64.length; i += BASE64_PER_LINE) lines.push(`${MARKER}${base64.slice(i, i + BASE64_PER_LINE)}`);
  return lines.join('\n');
}

export interface RunningConfig {
  table: RuleTable;
  configId: string;
  /** Whether the table came from the driver's embedded copy (false: the file was imported as HAProxy configuration). */
  embedded: boolean;
}

/** The rule table a configuration file means (see the head of this file). Throws DriverError('refused', 'invalidConfig') naming FILE:LINE:COL. */
export function runningConfig(text: string, file: string): RunningConfig {
  let imported: RuleTable;
  try {
    imported = importConfig(text, file, { from: 'haproxy' }).table;
  } catch (err) {
    if (err instanceof ImportError) throw new DriverError('refused', `the configuration file cannot be read as a rule table: ${err.message}`, 'invalidConfig');
    throw err;
  }
  const importedId = configId(imported);
  const embedded = embeddedTable(text);
  if (embedded !== null && configId(importConfig(exportConfig(embedded, 'haproxy').text, file, { from: 'haproxy' }).table) === importedId) {
    return { table: embedded, configId: configId(embedded), embedded: true };
  }
  return { table: imported, configId: importedId, embedded: false };
}

/** The table in the marker lines, or null when there is none or it does not decode to the id it names (a damaged copy is ignored, not trusted). */
export function embeddedTable(text: string): RuleTable | null {
  const lines = text.split('\n').filter((l) => l.startsWith(MARKER));
  const [head, ...body] = lines.map((l) => l.slice(MARKER.length).trim());
  const m = head === undefined ? null : /^v1 ([0-9a-f]{64})$/.exec(head);
  if (m === null) return null;
  try {
    const table = decodeRules(new Uint8Array(Buffer.from(body.join(''), 'base64')));
    return configId(table) === m[1] ? table : null;
  } catch {
    return null;
  }
}
