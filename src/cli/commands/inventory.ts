import type { Credentials } from '../../store/inventory.js';
import { CliError, EXIT } from '../exit-codes.js';
import { fromEnvironment, fromFlags, type CredentialFlags } from '../connect.js';
import { printJson, table } from '../output.js';
import { recordCliChange } from '../audit-cli.js';
import { TARGET_FORMS, targetKind } from '../../../drivers/targets.js';

interface DbOption {
  db?: string;
  json?: boolean;
}

/** A change to audit (src/cli/audit-cli.ts): ok once `work` returns, failed when it throws. */
interface Change {
  action: string;
  appliance: string;
  detail?: Record<string, unknown>;
}

async function withStore<T>(opts: DbOption, work: (s: import('../../store/index.js').AgentStore) => T, change?: Change): Promise<T> {
  const { openStore, InventoryError } = await import('../../store/index.js');
  const store = openStore(opts.db ? { file: opts.db } : {});
  try {
    const result = work(store);
    if (change) recordCliChange(store, change.action, { appliance: change.appliance, outcome: 'ok', ...(change.detail ? { detail: change.detail } : {}) });
    return result;
  } catch (err) {
    if (change)
      recordCliChange(store, change.action, { appliance: change.appliance, outcome: 'failed', detail: { ...change.detail, error: (err as Error).message } });
    if (err instanceof InventoryError) throw new CliError(err.message, err.code === 'notFound' ? EXIT.usage : EXIT.invalidInput);
    throw err;
  } finally {
    store.close();
  }
}

/** What kind of credentials, never what they are. */
const kind = (c: object) => ('community' in c ? 'v2c community' : 'user' in c ? 'v3 authPriv' : '-');

export async function add(name: string, target: string, opts: DbOption & CredentialFlags): Promise<void> {
  if (targetKind(target) === null) throw new CliError(`${target}: expected ${TARGET_FORMS}`, EXIT.usage);
  const c = fromFlags(opts) ?? (target.startsWith('snmp:') ? fromEnvironment() : null);
  if (target.startsWith('snmp:') && !c)
    throw new CliError(
      'an SNMP appliance needs --community-file FILE (or $FULCRUM_SNMP_COMMUNITY), or --v3-user with --v3-auth-file/--v3-priv-file (or $FULCRUM_SNMP_V3_AUTH/_PRIV)',
      EXIT.usage,
    );
  let credentials: Credentials = {};
  if (c?.version === '2c') credentials = { community: c.community };
  else if (c?.version === '3') credentials = { user: c.user, authProtocol: 'sha', authKey: c.authKey, privProtocol: 'aes', privKey: c.privKey };
  const record = await withStore(opts, (s) => s.inventory.add({ name, target, credentials }), {
    action: 'appliance add',
    appliance: name,
    detail: { target, credentials: kind(credentials) },
  });
  if (opts.json) printJson({ name: record.name, target: record.target, created: record.created });
  else process.stdout.write(`added ${record.name} (${record.target})\n`);
}

export async function list(opts: DbOption): Promise<void> {
  const records = await withStore(opts, (s) => s.inventory.list());
  // Secrets never leave the database in listings: only what kind of credentials there are.
  if (opts.json) return printJson(records.map((r) => ({ name: r.name, target: r.target, credentials: kind(r.credentials), created: r.created })));
  if (records.length === 0) return void process.stdout.write('no appliances yet (fulcrum appliance add NAME TARGET)\n');
  process.stdout.write(
    `${table(
      ['name', 'target', 'credentials'],
      records.map((r) => [r.name, r.target, kind(r.credentials)]),
    )}\n`,
  );
}

export async function remove(name: string, opts: DbOption): Promise<void> {
  await withStore(opts, (s) => s.inventory.remove(name), { action: 'appliance remove', appliance: name });
  if (opts.json) printJson({ removed: name });
  else process.stdout.write(`removed ${name}\n`);
}
