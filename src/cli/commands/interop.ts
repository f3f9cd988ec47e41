/**
 * `fulcrum rules import` and `rules export`: HAProxy, keepalived and nginx configuration in and
 * out (src/interop/). The table goes to stdout or --out; the report of what did not carry over
 * goes to stderr, one `FILE:LINE: directive: why` per line, so a pipe keeps only the table.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { exportConfig, formatExportOmission, formatOmission, importConfig, ImportError, isFormat, type Format } from '../../interop/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { readRules } from '../rules-input.js';

interface ImportOptions {
  from?: string;
  out?: string;
  strict?: boolean;
  json?: boolean;
}

function readText(file: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: cannot read: ${(err as Error).message}`, EXIT.invalidInput);
  }
}

function format(value: string | undefined, what: string): Format | undefined {
  if (value === undefined) return undefined;
  if (!isFormat(value)) throw new CliError(`${what} must be haproxy, keepalived or nginx, not ${JSON.stringify(value)}`, EXIT.usage);
  return value;
}

/** Whole or not at all: a reader of --out never sees half a file. */
function writeOut(file: string, text: string): void {
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export function importRules(file: string, opts: ImportOptions): void {
  const from = format(opts.from, '--from');
  let result;
  try {
    result = importConfig(readText(file), file === '-' ? '<stdin>' : file, from === undefined ? {} : { from });
  } catch (err) {
    if (err instanceof ImportError) throw new CliError(err.message, EXIT.invalidInput);
    throw err;
  }
  if (opts.json) printJson({ format: result.format, rules: result.yaml, report: result.report });
  else if (opts.out !== undefined) writeOut(opts.out, result.yaml);
  else process.stdout.write(result.yaml);
  if (opts.json && opts.out !== undefined) writeOut(opts.out, result.yaml);
  if (!opts.json) for (const omission of result.report) process.stderr.write(`${formatOmission(omission)}\n`);
  if (!opts.json && result.report.length > 0) process.stderr.write(`${result.report.length} item(s) not carried over (${result.format})\n`);
  if (opts.strict && result.report.length > 0)
    throw new CliError(`--strict: ${result.report.length} item(s) of ${file} were not carried over`, EXIT.invalidInput);
}

export function exportRules(file: string, opts: { format?: string; out?: string; strict?: boolean; json?: boolean }): void {
  const to = format(opts.format, '--format');
  if (to === undefined) throw new CliError('rules export: --format haproxy|keepalived|nginx is required', EXIT.usage);
  const result = exportConfig(readRules(file), to);
  if (opts.json) printJson({ format: result.format, text: result.text, report: result.report });
  else if (opts.out !== undefined) writeOut(opts.out, result.text);
  else process.stdout.write(result.text);
  if (opts.json && opts.out !== undefined) writeOut(opts.out, result.text);
  if (!opts.json) for (const omission of result.report) process.stderr.write(`${formatExportOmission(omission)}\n`);
  if (opts.strict && result.report.length > 0)
    throw new CliError(`--strict: ${result.report.length} setting(s) cannot be expressed in ${to}`, EXIT.invalidInput);
}
