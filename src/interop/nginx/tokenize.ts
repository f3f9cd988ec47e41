/**
 * nginx configuration text → tokens, as nginx's own reader splits it: blanks separate words;
 * `;`, `{` and `}` end them; `#` at the start of a word comments out the rest of the line;
 * double or single quotes group a word, a backslash escaping the next character inside them.
 * Variables (`$name`) are kept as written. Errors carry the line and column of the culprit.
 */

import { ImportError } from '../errors.js';
import type { Word } from '../syntax.js';

export type Token = { kind: 'word'; word: Word } | { kind: ';' | '{' | '}'; line: number; column: number };

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const column = i - lineStart + 1;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === ';' || c === '{' || c === '}') {
      tokens.push({ kind: c, line, column });
      i++;
    } else if (c === '"' || c === "'") {
      let value = '';
      const startLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new ImportError(file, startLine, column, `unterminated ${c === '"' ? 'double' : 'single'} quote`);
        const ch = text[i]!;
        if (ch === c) break;
        if (ch === '\\' && i + 1 < text.length) {
          const next = text[i + 1]!;
          value += ESCAPES[next] ?? next;
          i += 2;
          continue;
        }
        if (ch === '\n') {
          line++;
          lineStart = i + 1;
        }
        value += ch;
        i++;
      }
      i++;
      const after = text[i];
      if (after !== undefined && !/[\s;{}]/.test(after)) {
        throw new ImportError(file, line, i - lineStart + 1, `unexpected "${after}" after a quoted string`);
      }
      tokens.push({ kind: 'word', word: { text: value, line: startLine, column } });
    } else {
      const start = i;
      while (i < text.length && !/[\s;{}]/.test(text[i]!)) {
        // `${name}` may hold braces that are not blocks.
        if (text[i] === '$' && text[i + 1] === '{') {
          const close = text.indexOf('}', i);
          i = close < 0 ? text.length : close + 1;
        } else {
          i++;
        }
      }
      tokens.push({ kind: 'word', word: { text: text.slice(start, i), line, column } });
    }
  }
  return tokens;
}
