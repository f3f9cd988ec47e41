/**
 * HAProxy words → sections: each line whose first word is a section keyword opens a section and
 * every following line is one of its directives, until the next section. `.if`/`.elif`/`.else`
 * blocks cannot be evaluated here: the first branch is read and the others reported.
 */

import { ImportError } from '../errors.js';
import type { ImportReport } from '../report.js';
import { directiveOf, directiveText, type Directive, type Word } from '../syntax.js';
import { tokenize } from './tokenize.js';

export const SECTION_KEYWORDS = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'peers',
  'resolvers',
  'userlist',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'log-forward',
  'fcgi-app',
  'crt-store',
  'traces',
  'namespace_list',
]);

export interface Section {
  kind: string;
  /** The name word, if any (global has none; defaults may have one). */
  name: string | null;
  /** Words after the name (`from NAME` on proxies, unexpected words otherwise). */
  extra: Word[];
  line: number;
  column: number;
  header: Directive;
  directives: Directive[];
}

export function parseSections(text: string, file: string, report: ImportReport): Section[] {
  const sections: Section[] = [];
  const branches: Branch[] = [];
  for (const words of tokenize(text, file)) {
    const first = words[0]!;
    if (first.text.startsWith('.')) {
      conditional(words, branches, report, file);
      continue;
    }
    if (branches.some((b) => !b.taking)) continue;
    const directive = directiveOf(words);
    if (SECTION_KEYWORDS.has(first.text)) {
      const [, nameWord, ...extra] = words;
      sections.push({ kind: first.text, name: nameWord?.text ?? null, extra, line: first.line, column: first.column, header: directive, directives: [] });
      continue;
    }
    const current = sections[sections.length - 1];
    if (current === undefined) {
      throw new ImportError(
        file,
        first.line,
        first.column,
        `"${first.text}" is outside any section (expected global, defaults, frontend, backend or listen first)`,
      );
    }
    current.directives.push(directive);
  }
  const open = branches[branches.length - 1];
  if (open !== undefined) throw new ImportError(file, open.line, open.column, 'this ".if" block is not closed by ".endif"');
  return sections;
}

interface Branch {
  /** Still in the first branch (read); false once `.elif`/`.else` is met (skipped). */
  taking: boolean;
  line: number;
  column: number;
}

/** Keeps the first branch of each `.if` and reports the rest (their conditions are not known here). */
function conditional(words: Word[], branches: Branch[], report: ImportReport, file: string): void {
  const first = words[0]!;
  const text = directiveText({ name: first.text, args: words.slice(1).map((w) => w.text) });
  const top = branches[branches.length - 1];
  switch (first.text) {
    case '.if':
      branches.push({ taking: true, line: first.line, column: first.column });
      report.omit(first.line, text, 'conditions are not evaluated on import: the first branch was read as if it were true');
      return;
    case '.elif':
    case '.else':
      if (top === undefined) throw new ImportError(file, first.line, first.column, `"${first.text}" without ".if"`);
      top.taking = false;
      report.omit(first.line, text, 'branch not read: only the first branch of a conditional block is imported');
      return;
    case '.endif':
      if (top === undefined) throw new ImportError(file, first.line, first.column, '".endif" without ".if"');
      branches.pop();
      return;
    default:
      report.omit(first.line, text, 'not applicable: a message printed while HAProxy loads its configuration');
  }
}
