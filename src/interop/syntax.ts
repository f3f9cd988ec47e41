/**
 * What the three parsers produce: directives that remember where they were written, so every
 * report entry and every error can name FILE:LINE (and the column of the word at fault).
 */

/** A word of a configuration file, unquoted, and where it starts (1-based). */
export interface Word {
  text: string;
  line: number;
  column: number;
}

/** One directive: its keyword, its arguments and, in block formats, the directives inside its braces. */
export interface Directive {
  name: string;
  args: string[];
  line: number;
  column: number;
  /** The keyword first, then the arguments: for positions of single arguments. */
  words: Word[];
  block?: Directive[];
}

export function directiveOf(words: Word[], block?: Directive[]): Directive {
  const [first, ...rest] = words;
  if (first === undefined) throw new RangeError('a directive needs at least one word');
  const directive: Directive = { name: first.text, args: rest.map((w) => w.text), line: first.line, column: first.column, words };
  if (block !== undefined) directive.block = block;
  return directive;
}

/** The directive as it reads in the file, shortened for report lines. */
export function directiveText(directive: Pick<Directive, 'name' | 'args'>, max = 80): string {
  const text = [directive.name, ...directive.args].join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
