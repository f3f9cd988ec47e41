/**
 * `fulcrum audit`: the audit log, newest first, from this machine's store or, with a context,
 * the remote agent's GET /api/v1/audit; either is printed by printAudit.
 */
import { parseDuration } from '../../protocol/rules/index.js';
import { openStore } from '../../store/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';
import { remoteApi, type ReachFlags } from '../remote-api.js';
import type { AuditEntry } from '../../store/audit.js';

const short = (id: string | null) => (id === null ? '-' : id.slice(0, 12));

/** The audit log, newest first: who changed what, through the API or with the CLI (src/cli/audit-cli.ts). */
export async function audit(opts: { since?: string; appliance?: string; limit: string; json?: boolean } & ReachFlags): Promise<void> {
  let from: number | undefined;
  if (opts.since !== undefined) {
    try {
      from = Date.now() - parseDuration(opts.since);
    } catch (err) {
      throw new CliError(`--since: ${(err as Error).message}`, EXIT.usage);
    }
  }
  const limit = Number(opts.limit);
  if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 10_000) throw new CliError('--limit: must be an integer 1..10000', EXIT.usage);
  const query = { limit, ...(from !== undefined ? { from } : {}), ...(opts.appliance !== undefined ? { appliance: opts.appliance } : {}) };
  const api = await remoteApi(opts);
  if (api) return printAudit(await (await import('./remote-logs.js')).remoteAudit(api, query), opts);
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    printAudit(await store.audit.list(query), opts);
  } finally {
    await store.close();
  }
}

/** The entries as JSON, or the table (the same for this machine's log and a remote agent's). */
function printAudit(entries: readonly AuditEntry[], opts: { json?: boolean; since?: string }): void {
  if (opts.json) return printJson(entries);
  if (entries.length === 0) return void process.stdout.write(`nothing in the audit log${opts.since ? ` over the last ${opts.since}` : ''}\n`);
  const rows = entries.map((e) => [
    new Date(e.ts).toISOString().replace(/\.\d+Z$/, 'Z'),
    e.actor.id === null ? `${e.actor.name} (${e.via})` : `${e.actor.name} (#${e.actor.id})`,
    e.action,
    e.appliance ?? '-',
    e.status === 0 ? e.outcome : `${e.outcome} ${e.status}`,
    e.configBefore === null && e.configAfter === null ? '' : `${short(e.configBefore)} → ${short(e.configAfter)}`,
  ]);
  process.stdout.write(`${table(['when', 'who', 'what', 'appliance', 'outcome', 'config'], rows)}\n`);
}
