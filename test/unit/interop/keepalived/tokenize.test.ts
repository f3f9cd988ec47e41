import { describe, expect, it } from 'vitest';
import { quoteValue, tokenize } from '../../../../src/interop/keepalived/tokenize.js';
import { importError } from '../helpers.js';

const words = (text: string) => tokenize(text, 'k.conf').map((t) => (t.kind === 'word' ? t.word.text : t.kind));

describe('keepalived tokenizer', () => {
  it('splits words, braces and line ends, with positions', () => {
    const tokens = tokenize('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n}', 'k.conf');
    expect(tokens[0]).toEqual({ kind: 'word', word: { text: 'virtual_server', line: 1, column: 1 } });
    expect(tokens[3]).toEqual({ kind: '{', line: 1, column: 28 });
    expect(tokens[5]).toEqual({ kind: 'word', word: { text: 'lb_algo', line: 2, column: 3 } });
  });

  it('drops comments starting a word with # or !, keeps them inside words', () => {
    expect(words('! a comment\npath /a#b # trailing\n')).toEqual(['eol', 'path', '/a#b', 'eol']);
  });

  it('reads quoted values, joins continued lines and splits braces stuck to words', () => {
    expect(words('misc_path "/bin/check --all"\nurl{ path / }\nnotify \\\n  x\n')).toEqual([
      'misc_path',
      '/bin/check --all',
      'eol',
      'url',
      '{',
      'path',
      '/',
      '}',
      'eol',
      'notify',
      'x',
      'eol',
    ]);
  });

  it('reports an unterminated quote at the quote', () => {
    expect(importError(() => tokenize('real_server 10.0.0.1 80 {\n  notify_up "/bin/up\n}\n', 'k.conf')).message).toBe(
      'k.conf:2:13: unterminated double quote',
    );
  });

  it('quoteValue quotes what keepalived would split or comment out, and refuses a double quote', () => {
    expect(quoteValue('/health')).toBe('/health');
    expect(quoteValue('/a{b}')).toBe('"/a{b}"');
    expect(quoteValue('/a#b')).toBe('"/a#b"');
    expect(quoteValue('/a"b')).toBeNull();
  });
});
