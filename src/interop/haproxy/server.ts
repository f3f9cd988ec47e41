/**
 * `server NAME ADDRESS [keywords]` and `default-server [keywords]`: the keywords a rule table
 * carries (weight, maxconn, backup, disabled, check, inter, rise, fall, port) are read; every
 * other keyword is reported with what it would have done.
 */

import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveText, type Directive, type Word } from '../syntax.js';
import { haproxyDuration } from '../durations.js';
import { SERVER_FLAGS, SERVER_WITH_VALUE, serverKeywordReason } from './server-keywords.js';

export interface ServerParams {
  weight?: number;
  maxconn?: number;
  backup?: boolean;
  disabled?: boolean;
  check?: boolean;
  inter?: number;
  rise?: number;
  fall?: number;
  /** Health check port, when it is not the server's own. */
  port?: number;
}

export interface ServerLine {
  name: string;
  address: Word;
  params: ServerParams;
  at: Directive;
}

export function readServer(directive: Directive, report: ImportReport): ServerLine {
  const [, nameWord, addressWord] = directive.words;
  if (nameWord === undefined || addressWord === undefined) {
    const at = nameWord ?? directive.words[0]!;
    throw new ImportError(report.file, at.line, at.column, `"server" needs a name and an address, e.g. "server web1 10.0.0.1:80 check"`);
  }
  return { name: nameWord.text, address: addressWord, params: readParams(directive, 3, report), at: directive };
}

/** The keywords of a server-like line from word `start` on. */
export function readParams(directive: Directive, start: number, report: ImportReport): ServerParams {
  const params: ServerParams = {};
  const words = directive.words;
  for (let i = start; i < words.length; i++) {
    const word = words[i]!;
    const keyword = word.text;
    const takesValue = SERVER_WITH_VALUE.has(keyword) || (!SERVER_FLAGS.has(keyword) && valueFollows(words[i + 1]));
    const valueWord = takesValue ? words[i + 1] : undefined;
    if (takesValue && valueWord === undefined) {
      throw new ImportError(report.file, word.line, word.column, `"${keyword}" needs a value`);
    }
    if (takesValue) i++;
    const value = valueWord?.text ?? '';
    switch (keyword) {
      case 'weight':
      case 'maxconn':
      case 'rise':
      case 'fall':
      case 'port':
        params[keyword] = integer(valueWord!, keyword, report);
        break;
      case 'inter': {
        const parsed = haproxyDuration(value);
        if ('problem' in parsed) throw new ImportError(report.file, valueWord!.line, valueWord!.column, parsed.problem);
        params.inter = parsed.ms;
        break;
      }
      case 'backup':
      case 'no-backup':
        params.backup = keyword === 'backup';
        break;
      case 'check':
      case 'no-check':
        params.check = keyword === 'check';
        break;
      case 'disabled':
      case 'enabled':
        params.disabled = keyword === 'disabled';
        break;
      default: {
        const known = SERVER_FLAGS.has(keyword) || SERVER_WITH_VALUE.has(keyword);
        const reason = known ? serverKeywordReason(keyword) : `unknown server keyword; not carried over`;
        report.omit(directive.line, directiveText({ name: keyword, args: takesValue ? [value] : [] }), reason);
      }
    }
  }
  return params;
}

/** An unknown keyword is taken to have a value when the next word is not itself a keyword. */
function valueFollows(next: Word | undefined): boolean {
  return next !== undefined && !SERVER_FLAGS.has(next.text) && !SERVER_WITH_VALUE.has(next.text);
}

function integer(word: Word, keyword: string, report: ImportReport): number {
  if (!/^[0-9]+$/.test(word.text)) throw new ImportError(report.file, word.line, word.column, `"${keyword}" needs a whole number, not "${word.text}"`);
  return Number(word.text);
}

/** default-server values under the server's own (defaults section, then proxy, then the line). */
export function mergeParams(...layers: ServerParams[]): ServerParams {
  return Object.assign({}, ...layers) as ServerParams;
}
