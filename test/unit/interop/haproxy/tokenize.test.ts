import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quoteWord, tokenize } from '../../../../src/interop/haproxy/tokenize.js';
import { importError } from '../helpers.js';

describe('HAProxy tokenizer', () => {
  it("splits words and keeps each one's line and column", () => {
    expect(tokenize('listen web\n\tbind  *:80   # comment\n\n', 'x.cfg')).toEqual([
      [
        { text: 'listen', line: 1, column: 1 },
        { text: 'web', line: 1, column: 8 },
      ],
      [
        { text: 'bind', line: 2, column: 2 },
        { text: '*:80', line: 2, column: 8 },
      ],
    ]);
  });

  it('groups with quotes, escapes with backslashes, and keeps # inside quotes', () => {
    const [words] = tokenize(`option httpchk GET "/a b" '/c#d' \\#e f\\ g "x\\"y" \\x41`, 'x.cfg');
    expect(words?.map((w) => w.text)).toEqual(['option', 'httpchk', 'GET', '/a b', '/c#d', '#e', 'f g', 'x"y', 'A']);
  });

  it('ends a line at an unquoted # even inside a word', () => {
    expect(tokenize('server a 10.0.0.1:80#note', 'x.cfg')[0]?.map((w) => w.text)).toEqual(['server', 'a', '10.0.0.1:80']);
  });

  it('reports an unterminated quote at the quote', () => {
    const error = importError(() => tokenize('listen web\n    option httpchk GET "/health\n', 'x.cfg'));
    expect(error.message).toBe('x.cfg:2:24: unterminated double quote');
  });

  it('quoteWord writes any visible text so the tokenizer reads it back unchanged', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x7e]{1,20}$/), (text) => {
        expect(tokenize(`x ${quoteWord(text)}`, 'x.cfg')[0]?.[1]?.text).toBe(text);
      }),
    );
  });
});
