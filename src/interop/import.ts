/**
 * importConfig: HAProxy, keepalived or nginx configuration text → the rule table it means, the
 * YAML an operator would write for it, and the report of what could not be carried over.
 * The YAML is loaded back with loadRules before it is returned, so the table handed out is
 * always one the loader accepts and `table` is exactly what `yaml` loads to.
 */

import { encodeRules } from '../protocol/rules/codec.js';
import type { RuleTable } from '../protocol/rules/model.js';
import { loadRules, RulesError } from '../rules/index.js';
import { assemble } from './assemble.js';
import { renderRules } from '../rules/render.js';
import type { ServiceDraft } from './draft.js';
import { ImportError } from './errors.js';
import { FORMAT_LABELS, isFormat, type Format } from './formats.js';
import { guessFormat } from './guess.js';
import { mapHaproxy } from './haproxy/map.js';
import { mapKeepalived } from './keepalived/map.js';
import { mapNginx } from './nginx/map.js';
import { ImportReport, type Omission } from './report.js';

export interface ImportOptions {
  /** The format of `text`; guessed from the content when absent. */
  from?: Format;
}

export interface ImportResult {
  format: Format;
  /** The rule table in the dialect operators write, with a header naming the source. */
  yaml: string;
  table: RuleTable;
  /** What was not carried over, in file order. */
  report: Omission[];
}

const MAPPERS: Record<Format, (text: string, report: ImportReport) => ServiceDraft[]> = {
  haproxy: mapHaproxy,
  keepalived: mapKeepalived,
  nginx: mapNginx,
};

export function importConfig(text: string, file: string, options: ImportOptions = {}): ImportResult {
  if (options.from !== undefined && !isFormat(options.from)) {
    throw new ImportError(file, 1, 1, `unknown format "${String(options.from)}"; expected haproxy, keepalived or nginx`);
  }
  const format = options.from ?? guessFormat(text, file);
  const report = new ImportReport(file);
  const table = assemble(MAPPERS[format](text, report), report);
  const omissions = report.list();
  const yaml = renderRules(table, { header: header(file, format, omissions.length) });
  let loaded: RuleTable;
  try {
    loaded = loadRules(yaml, file);
  } catch (error) {
    // assemble() only hands out valid tables; this turns a slip into an error with a position.
    if (error instanceof RulesError) {
      const first = error.errors[0];
      throw new ImportError(file, 1, 1, `the imported table does not validate (${first?.path ?? ''}: ${first?.message ?? error.message})`);
    }
    throw error;
  }
  if (!sameBytes(encodeRules(loaded), encodeRules(table))) throw new ImportError(file, 1, 1, 'the imported table does not load back to itself');
  return { format, yaml, table: loaded, report: omissions };
}

function header(file: string, format: Format, omitted: number): string[] {
  const base = file.split(/[\\/]/).pop() ?? file;
  const summary = omitted === 0 ? 'Everything was carried over.' : `${omitted} item${omitted === 1 ? '' : 's'} not carried over: see the import report.`;
  return [`Imported from ${base} (${FORMAT_LABELS[format]} configuration). ${summary}`];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
