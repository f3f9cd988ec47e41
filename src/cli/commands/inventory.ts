import type { Credentials } from '../../store/inventory.js';
import { CliError, EXIT } from '../exit-codes.js';
import { fromFlags } from '../connect.js';
import { printJson, table } from '../output.js';
import { TARGET_FORMS, targetKind } from '../../../drivers/targets.js';

interface DbOption {
  db?: string;
  json?: boolean;
}

async function withStore<T>(opts: DbOption, work: (s: import('../../store/index.js').AgentStore) => T): Promise<T> {
  const { openStore, InventoryError } = await import('../../store/index.js');
  const store = openStore(opts.db ? { file: opts.db } : {});
  try {
    return work(store);
  } catch (err) {
    if (err instanceof InventoryError) throw new CliError(err.message, err.code === 'notFound' ? EXIT.usage : EXIT.invalidInput);
    throw err;
  } finally {
    store.close();
  }
}

export async function add(name: string, target: string, opts: DbOption & { community?: string; v3User?: string; v3Auth?: string; v3Priv?: string }): Promise<void> {
  if (targetKind(target) === null) throw new CliError(`${target}: expected ${TARGET_FORMS}`, EXIT.usage);
  const c = fromFlags(opts);
  if (target.startsWith('snmp:') && !c) throw new CliError('an SNMP appliance needs --community, or --v3-user/--v3-auth/--v3-priv', EXIT.usage);
  let credentials: Credentials = {};
  if (c?.version === '2c') credentials = { community: c.community };
  else if (c?.version === '3') credentials = { user: c.user, authProtocol: 'sha', authKey: c.authKey, privProtocol: 'aes', privKey: c.privKey };
  const record = await withStore(opts, (s) => s.inventory.add({ name, target, credentials }));
  if (opts.json) printJson({ name: record.name, target: record.target, created: record.created });
  else process.stdout.write(`added ${record.name} (${record.target})\n`);
}

export async function list(opts: DbOption): Promise<void> {
  const records = await withStore(opts, (s) => s.inventory.list());
  // Secrets never leave the database in listings: only what kind of credentials there are.
  const kind = (c: object) => ('community' in c ? 'v2c community' : 'user' in c ? 'v3 authPriv' : '-');
  if (opts.json) return printJson(records.map((r) => ({ name: r.name, target: r.target, credentials: kind(r.credentials), created: r.created })));
  if (records.length === 0) return void process.stdout.write('no appliances yet (fulcrum appliance add NAME TARGET)\n');
  process.stdout.write(`${table(['name', 'target', 'credentials'], records.map((r) => [r.name, r.target, kind(r.credentials)]))}\n`);
}

export async function remove(name: string, opts: DbOption): Promise<void> {
  await withStore(opts, (s) => s.inventory.remove(name));
  if (opts.json) printJson({ removed: name });
  else process.stdout.write(`removed ${name}\n`);
}
