/**
 * What an import or export did not carry over. Import entries point at the source file
 * (FILE:LINE and the directive as written) so the operator can find each one; export entries name
 * the service and the rule-table field, since a canonical table has no lines.
 * Nothing is dropped silently: every directive an importer does not map lands here with a reason.
 */

export interface Omission {
  file: string;
  /** 1-based line of the directive in the source file. */
  line: number;
  /** The directive (or the part of it) as written, e.g. `option httplog` or `on-marked-down shutdown-sessions`. */
  directive: string;
  reason: string;
}

export interface ExportOmission {
  /** The service's name, or `(table)` for what concerns the whole table. */
  service: string;
  /** The rule-table field in the dialect's spelling, e.g. `health.rise` or `backends[10.0.0.1:80].state`. */
  field: string;
  reason: string;
}

export function formatOmission(omission: Omission): string {
  return `${omission.file}:${omission.line}: ${omission.directive}: ${omission.reason}`;
}

export function formatExportOmission(omission: ExportOmission): string {
  return `${omission.service}: ${omission.field}: ${omission.reason}`;
}

/** Collects import omissions for one file; the same entry reported twice (a defaults line inherited by many proxies) is kept once. */
export class ImportReport {
  readonly file: string;
  private readonly entries: Omission[] = [];
  private readonly seen = new Set<string>();

  constructor(file: string) {
    this.file = file;
  }

  omit(line: number, directive: string, reason: string): void {
    const key = `${line}\u0000${directive}\u0000${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.entries.push({ file: this.file, line, directive, reason });
  }

  /** In file order; entries of one line keep the order they were found in. */
  list(): Omission[] {
    return this.entries
      .map((entry, index) => ({ entry, index }))
      .sort((a, b) => a.entry.line - b.entry.line || a.index - b.index)
      .map(({ entry }) => entry);
  }
}

/** Collects export omissions, in the order of the table. */
export class ExportReport {
  private readonly entries: ExportOmission[] = [];

  omit(service: string, field: string, reason: string): void {
    this.entries.push({ service, field, reason });
  }

  list(): ExportOmission[] {
    return [...this.entries];
  }
}
