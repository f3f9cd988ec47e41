/**
 * exportConfig: a valid canonical rule table → configuration text for HAProxy, keepalived or
 * nginx, with the report of what the format cannot express. For every table a format can
 * express (an empty report), importing the text gives back the same table, hence the same
 * config id.
 */

import { canonicalProblems } from '../protocol/rules/invariants.js';
import type { RuleTable } from '../protocol/rules/model.js';
import { formatPath } from '../protocol/rules/problems.js';
import { ExportError } from './errors.js';
import { isFormat, type Format } from './formats.js';
import { renderHaproxy } from './haproxy/render.js';
import { renderKeepalived } from './keepalived/render.js';
import { renderNginx, type NginxOptions } from './nginx/render.js';
import type { ExportOmission } from './report.js';

export type ExportOptions = NginxOptions;

export interface ExportResult {
  format: Format;
  text: string;
  /** What the format could not express, service by service. */
  report: ExportOmission[];
}

export function exportConfig(table: RuleTable, format: Format, options: ExportOptions = {}): ExportResult {
  if (!isFormat(format)) throw new ExportError([`unknown format "${String(format)}"; expected haproxy, keepalived or nginx`]);
  const problems = canonicalProblems(table);
  if (problems.length > 0) throw new ExportError(problems.map((p) => `${formatPath(p.path)}: ${p.message}`));
  const rendered = format === 'haproxy' ? renderHaproxy(table) : format === 'keepalived' ? renderKeepalived(table) : renderNginx(table, options);
  return { format, text: rendered.text, report: rendered.report.list() };
}
