import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../../src/interop/nginx/tokenize.js';
import { importError } from '../helpers.js';

const words = (text: string) => tokenize(text, 'n.conf').map((t) => (t.kind === 'word' ? t.word.text : t.kind));

describe('nginx tokenizer', () => {
  it('splits at blanks, ; { and }, with positions', () => {
    const tokens = tokenize('stream {\n  server { listen 53 udp; }\n}', 'n.conf');
    expect(tokens[0]).toEqual({ kind: 'word', word: { text: 'stream', line: 1, column: 1 } });
    expect(tokens[4]).toEqual({ kind: 'word', word: { text: 'listen', line: 2, column: 12 } });
    expect(tokens[7]).toEqual({ kind: ';', line: 2, column: 25 });
  });

  it('drops comments, keeps quoted words whole with escapes, keeps ${var} braces in a word', () => {
    expect(words('# top\nlog_format x \'$a "b" c\'; # tail\nset $x "a\\"b";\nreturn 200 ${x}y;')).toEqual([
      'log_format',
      'x',
      '$a "b" c',
      ';',
      'set',
      '$x',
      'a"b',
      ';',
      'return',
      '200',
      '${x}y',
      ';',
    ]);
  });

  it('reports an unterminated quote at the quote, and a word glued to a quote', () => {
    expect(importError(() => tokenize('server {\n  return 200 "oops;\n}\n', 'n.conf')).message).toBe('n.conf:2:14: unterminated double quote');
    expect(importError(() => tokenize('return "a"b;', 'n.conf')).message).toBe('n.conf:1:11: unexpected "b" after a quoted string');
  });
});
