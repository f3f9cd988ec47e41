/**
 * Check timing in keepalived is layered: a virtual server's delay_loop, connect_timeout, retry
 * and delay_before_retry are the defaults of its real servers, whose values are the defaults of
 * their checkers. One Timing per layer, read from the directives that set it.
 */

import { keepalivedSeconds } from '../durations.js';
import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import type { Directive } from '../syntax.js';

export interface Timing {
  delayLoopMs?: number;
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
}

/** True when `d` is a timing directive (and was read into `timing`). */
export function readTiming(timing: Timing, d: Directive, report: ImportReport): boolean {
  switch (d.name) {
    case 'delay_loop':
      timing.delayLoopMs = seconds(d, report);
      return true;
    case 'connect_timeout':
      timing.connectTimeoutMs = seconds(d, report);
      return true;
    case 'delay_before_retry':
      timing.delayBeforeRetryMs = seconds(d, report);
      return true;
    case 'retry':
    case 'nb_get_retry':
      timing.retry = count(d, report);
      return true;
    default:
      return false;
  }
}

export function seconds(d: Directive, report: ImportReport, index = 0): number {
  const word = valueWord(d, index, report);
  const parsed = keepalivedSeconds(word.text);
  if ('problem' in parsed) throw new ImportError(report.file, word.line, word.column, `"${d.name}": ${parsed.problem}`);
  return parsed.ms;
}

export function count(d: Directive, report: ImportReport, index = 0): number {
  const word = valueWord(d, index, report);
  if (!/^[0-9]+$/.test(word.text)) throw new ImportError(report.file, word.line, word.column, `"${d.name}" needs a whole number, not "${word.text}"`);
  return Number(word.text);
}

function valueWord(d: Directive, index: number, report: ImportReport) {
  const word = d.words[index + 1];
  if (word === undefined) throw new ImportError(report.file, d.line, d.column + d.name.length, `"${d.name}" needs a value`);
  return word;
}

export function layered(...layers: Timing[]): Timing {
  const out: Timing = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer) as [keyof Timing, number | undefined][]) if (value !== undefined) out[key] = value;
  }
  return out;
}
