import type { AgentStore } from '../../store/index.js';
import { checkRole } from '../../store/tokens.js';
import { recordCliChange } from '../audit-cli.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, table } from '../output.js';

interface DbOption {
  db?: string;
  json?: boolean;
}

/** Token changes are audited (src/cli/audit-cli.ts) as the local user's; so are refusals of `action`. */
async function withStore<T>(opts: DbOption, work: (s: AgentStore) => Promise<T>, action?: string): Promise<T> {
  const { openStore, TokenError } = await import('../../store/index.js');
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    return await work(store);
  } catch (err) {
    if (action) await recordCliChange(store, action, { outcome: 'failed', detail: { error: (err as Error).message } });
    if (err instanceof TokenError) throw new CliError(err.message, EXIT.usage);
    throw err;
  } finally {
    await store.close();
  }
}

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

export async function create(opts: DbOption & { role: string; name?: string }): Promise<void> {
  const created = await withStore(
    opts,
    async (s) => {
      const result = await s.tokens.create({ role: checkRole(opts.role), ...(opts.name !== undefined ? { name: opts.name } : {}) });
      await recordCliChange(s, 'token create', { outcome: 'ok', detail: { id: result.record.id, name: result.record.name, role: result.record.role } });
      return result;
    },
    'token create',
  );
  if (opts.json) return printJson({ token: created.token, id: created.record.id, name: created.record.name, role: created.record.role });
  process.stdout.write(`${created.token}\n`);
  process.stderr.write(
    `token ${created.record.id} "${created.record.name}" (${created.record.role}): shown once, keep it now; the agent stores only its hash\n`,
  );
}

export async function list(opts: DbOption & { all?: boolean }): Promise<void> {
  const tokens = await withStore(opts, (s) => s.tokens.list({ all: opts.all === true }));
  if (opts.json) return printJson(tokens);
  if (tokens.length === 0) return void process.stdout.write('no tokens yet (fulcrum token create --role admin|read)\n');
  const rows = tokens.map((t) => [t.id, t.name, t.role, when(t.created), when(t.lastUsed), ...(opts.all ? [when(t.revoked)] : [])]);
  process.stdout.write(`${table(['id', 'name', 'role', 'created', 'last used', ...(opts.all ? ['revoked'] : [])], rows, [0])}\n`);
}

export async function revoke(idOrName: string, opts: DbOption): Promise<void> {
  const revoked = await withStore(
    opts,
    async (s) => {
      const r = await s.tokens.revoke(idOrName);
      await recordCliChange(s, 'token revoke', { outcome: 'ok', detail: { id: r.id, name: r.name, role: r.role } });
      return r;
    },
    'token revoke',
  );
  if (opts.json) return printJson({ revoked: revoked.id, name: revoked.name });
  process.stdout.write(`revoked token ${revoked.id} "${revoked.name}"\n`);
}
