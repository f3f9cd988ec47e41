/**
 * keepalived tokens → a tree of directives: one directive per line, a `{ … }` after it (on the
 * same line or the next) holding its children. Unbalanced braces are errors at the brace, or at
 * the keyword whose block is never closed.
 */

import { ImportError } from '../errors.js';
import { directiveOf, type Directive, type Word } from '../syntax.js';
import { tokenize } from './tokenize.js';

interface Open {
  owner: Directive | null;
  children: Directive[];
}

export function parseKeepalived(text: string, file: string): Directive[] {
  const root: Directive[] = [];
  const stack: Open[] = [{ owner: null, children: root }];
  let words: Word[] = [];
  const top = () => stack[stack.length - 1]!;
  const flush = (): Directive | undefined => {
    if (words.length === 0) return undefined;
    const directive = directiveOf(words);
    top().children.push(directive);
    words = [];
    return directive;
  };
  for (const token of tokenize(text, file)) {
    if (token.kind === 'word') {
      words.push(token.word);
    } else if (token.kind === 'eol') {
      flush();
    } else if (token.kind === '{') {
      const owner = flush() ?? lastWithoutBlock(top().children);
      if (owner === undefined) throw new ImportError(file, token.line, token.column, 'unexpected "{": no keyword before it');
      owner.block = [];
      stack.push({ owner, children: owner.block });
    } else {
      flush();
      if (stack.length === 1) throw new ImportError(file, token.line, token.column, 'unexpected "}": no block is open');
      stack.pop();
    }
  }
  flush();
  const unclosed = stack[stack.length - 1]!.owner;
  if (unclosed !== null) throw new ImportError(file, unclosed.line, unclosed.column, `the block of "${unclosed.name}" is not closed (missing "}")`);
  return root;
}

function lastWithoutBlock(children: Directive[]): Directive | undefined {
  const last = children[children.length - 1];
  return last !== undefined && last.block === undefined ? last : undefined;
}
