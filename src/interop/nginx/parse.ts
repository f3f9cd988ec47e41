/**
 * nginx tokens → directives: words up to `;` make a simple directive, words up to `{` open a
 * block closed by `}`. Mistakes are reported as nginx reports them ("unexpected }", "unexpected
 * end of file, expecting ;"), at the token where the reader noticed.
 */

import { ImportError } from '../errors.js';
import { directiveOf, type Directive, type Word } from '../syntax.js';
import { tokenize } from './tokenize.js';

export function parseNginx(text: string, file: string): Directive[] {
  const root: Directive[] = [];
  const stack: { owner: Directive | null; children: Directive[] }[] = [{ owner: null, children: root }];
  let words: Word[] = [];
  for (const token of tokenize(text, file)) {
    const top = stack[stack.length - 1]!;
    if (token.kind === 'word') {
      words.push(token.word);
      continue;
    }
    if (token.kind === ';') {
      if (words.length === 0) throw new ImportError(file, token.line, token.column, 'unexpected ";"');
      top.children.push(directiveOf(words));
    } else if (token.kind === '{') {
      if (words.length === 0) throw new ImportError(file, token.line, token.column, 'unexpected "{": no directive before it');
      const owner = directiveOf(words, []);
      top.children.push(owner);
      stack.push({ owner, children: owner.block! });
    } else {
      if (words.length > 0) {
        throw new ImportError(file, token.line, token.column, `unexpected "}": "${words[0]!.text}" is not terminated by ";"`);
      }
      if (stack.length === 1) throw new ImportError(file, token.line, token.column, 'unexpected "}": no block is open');
      stack.pop();
    }
    words = [];
  }
  if (words.length > 0) {
    const last = words[words.length - 1]!;
    throw new ImportError(file, last.line, last.column + last.text.length, `unexpected end of file, expecting ";" after "${words[0]!.text}"`);
  }
  const open = stack[stack.length - 1]!.owner;
  if (open !== null) throw new ImportError(file, open.line, open.column, `unexpected end of file: the block of "${open.name}" is not closed (expecting "}")`);
  return root;
}
