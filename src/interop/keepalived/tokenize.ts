/**
 * keepalived configuration text → tokens. Words are separated by blanks; `{` and `}` are tokens
 * of their own; a word starting with `#` or `!` begins a comment to the end of the line; double
 * quotes group a value with blanks (keepalived has no escapes inside them); a backslash at the
 * end of a line continues it. Line ends matter: keepalived reads one keyword per line.
 */

import { ImportError } from '../errors.js';
import type { Word } from '../syntax.js';

export type Token = { kind: 'word'; word: Word } | { kind: '{' | '}' | 'eol'; line: number; column: number };

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const column = () => i - lineStart + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      tokens.push({ kind: 'eol', line, column: column() });
      i++;
      line++;
      lineStart = i;
    } else if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#' || c === '!') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}') {
      tokens.push({ kind: c, line, column: column() });
      i++;
    } else if (c === '"') {
      const start = column();
      const close = text.indexOf('"', i + 1);
      const end = text.indexOf('\n', i + 1);
      if (close < 0 || (end >= 0 && close > end)) throw new ImportError(file, line, start, 'unterminated double quote');
      tokens.push({ kind: 'word', word: { text: text.slice(i + 1, close), line, column: start } });
      i = close + 1;
    } else {
      const start = i;
      while (i < text.length && !/[\s{}]/.test(text[i]!)) i++;
      tokens.push({ kind: 'word', word: { text: text.slice(start, i), line, column: start - lineStart + 1 } });
    }
  }
  return tokens;
}

/** A value written so keepalived reads it back unchanged, or null if it cannot be (a double quote). */
export function quoteValue(text: string): string | null {
  if (text.includes('"') || text.includes('\n')) return null;
  return /^[^\s{}#!]+$/.test(text) ? text : `"${text}"`;
}
