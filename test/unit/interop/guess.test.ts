import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guessFormat, ImportError } from '../../../src/interop/index.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/interop');

describe('guessFormat', () => {
  it.each(readdirSync(FIXTURES))('recognises %s from its content alone', (name) => {
    const expected = name.split('-')[0];
    expect(guessFormat(readFileSync(path.join(FIXTURES, name), 'utf8'), 'config')).toBe(expected);
  });

  it('recognises small snippets', () => {
    expect(guessFormat('listen web\n  bind :80\n  server a 10.0.0.1:80\n', 'x')).toBe('haproxy');
    expect(guessFormat('virtual_server 10.0.0.1 80 {\n  real_server 10.0.0.2 80 {\n  }\n}\n', 'x')).toBe('keepalived');
    expect(guessFormat('stream {\n  server { listen 53 udp; proxy_pass 10.0.0.1:53; }\n}\n', 'x')).toBe('nginx');
  });

  it('refuses with a positioned error when nothing points to a format', () => {
    const error = (() => {
      try {
        guessFormat('hello world\n', 'notes.txt');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ImportError);
    expect(error).toMatchObject({ file: 'notes.txt', line: 1, column: 1 });
    expect((error as ImportError).message).toMatch(/^notes\.txt:1:1: cannot tell the configuration format/);
  });

  it('lets the file name break a tie, and refuses a tie it cannot break', () => {
    const ambiguous = 'global\nuser x;\n';
    expect(guessFormat(ambiguous, '/etc/haproxy/haproxy.cfg')).toBe('haproxy');
    expect(guessFormat(ambiguous, 'nginx.conf')).toBe('nginx');
    expect(() => guessFormat(ambiguous, 'lb.conf')).toThrow(/looks like haproxy and nginx alike/);
  });
});
