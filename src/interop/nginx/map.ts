/**
 * An nginx configuration → service drafts: `stream` servers as TCP/UDP services, `http` servers
 * that proxy as TCP services (their HTTP parts reported). Settings of the nginx process itself
 * (workers, pid, modules, events) are listed as "not applicable", includes as not followed.
 */

import type { ServiceDraft } from '../draft.js';
import type { ImportReport } from '../report.js';
import { directiveText } from '../syntax.js';
import { mapHttp } from './http.js';
import { parseNginx } from './parse.js';
import { mapStream } from './stream.js';

const PROCESS = 'not applicable: a setting of the nginx process, not of a service';

export function mapNginx(text: string, report: ImportReport): ServiceDraft[] {
  const drafts: ServiceDraft[] = [];
  for (const d of parseNginx(text, report.file)) {
    if (d.name === 'stream' && d.block !== undefined) drafts.push(...mapStream(d, report));
    else if (d.name === 'http' && d.block !== undefined) drafts.push(...mapHttp(d, report));
    else if (d.name === 'include') report.omit(d.line, directiveText(d), 'included files are not followed on import: import each file on its own');
    else if (d.name === 'mail') report.omit(d.line, 'mail', 'mail proxying is not carried');
    else if (d.name === 'events') report.omit(d.line, 'events', `${PROCESS} (connection processing)`);
    else report.omit(d.line, directiveText(d), PROCESS);
  }
  return drafts;
}
