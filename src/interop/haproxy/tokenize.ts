/**
 * HAProxy configuration lines → words, as HAProxy's own line parser splits them: blanks separate
 * words, `#` starts a comment outside quotes, double quotes group (environment variables are left
 * as written: they cannot be expanded here), single quotes group literally, and a backslash escapes
 * the next character. Every word keeps its line and column; an unterminated quote is an error at
 * the quote.
 */

import { ImportError } from '../errors.js';
import type { Word } from '../syntax.js';

const ESCAPES: Record<string, string> = { r: '\r', n: '\n', t: '\t' };

/** The words of each line that has any, in order. */
export function tokenize(text: string, file: string): Word[][] {
  const lines: Word[][] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const words = lineWords(content, index + 1, file);
    if (words.length > 0) lines.push(words);
  });
  return lines;
}

function lineWords(content: string, line: number, file: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < content.length) {
    const c = content[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    const start = i;
    let text = '';
    let quote: '"' | "'" | null = null;
    let quoteAt = 0;
    while (i < content.length) {
      const ch = content[i]!;
      if (quote === null && (ch === ' ' || ch === '\t' || ch === '#')) break;
      if (ch === '\\' && quote !== "'" && i + 1 < content.length) {
        const next = content[i + 1]!;
        if (next === 'x' && /^[0-9A-Fa-f]{2}$/.test(content.slice(i + 2, i + 4))) {
          text += String.fromCharCode(parseInt(content.slice(i + 2, i + 4), 16));
          i += 4;
        } else {
          text += ESCAPES[next] ?? next;
          i += 2;
        }
        continue;
      }
      if (quote === null && (ch === '"' || ch === "'")) {
        quote = ch;
        quoteAt = i;
      } else if (ch === quote) {
        quote = null;
      } else {
        text += ch;
      }
      i++;
    }
    if (quote !== null) throw new ImportError(file, line, quoteAt + 1, `unterminated ${quote === '"' ? 'double' : 'single'} quote`);
    words.push({ text, line, column: start + 1 });
    if (content[i] === '#') break;
  }
  return words;
}

/** A word written so HAProxy reads it back as `text`: bare when safe, else with backslash escapes. */
export function quoteWord(text: string): string {
  if (text !== '' && /^[\x21-\x7e]+$/.test(text) && !/[#"'\\]/.test(text)) return text;
  if (text === '') return '""';
  return text.replace(/[\\#"' ]/g, (ch) => `\\${ch}`);
}
