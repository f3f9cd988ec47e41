/**
 * `fulcrum group list | status NAME | failover NAME`: failover groups as the appliances of the
 * inventory report them (src/provision/groups/). list and status show what the poller last
 * stored unless --live asks every appliance now (and records its answer); failover is audited.
 * Exit codes: a group no appliance reported 3, a group not in a state to fail over 5, a
 * transport that cannot carry it 5, a failover that did not happen 1.
 */
import { parseDuration } from '../../protocol/rules/index.js';
import { readAll } from '../../provision/groups/access.js';
import { GroupError } from '../../provision/groups/errors.js';
import { failoverGroup } from '../../provision/groups/group-failover.js';
import { groupsOf, type GroupView } from '../../provision/groups/group-view.js';
import type { AgentStore } from '../../store/index.js';
import { audited } from '../audit-cli.js';
import { CliError, EXIT } from '../exit-codes.js';
import { cliGroupAccess } from '../group-access.js';
import { printJson } from '../output.js';

interface GroupFlags {
  db?: string;
  json?: boolean;
  live?: boolean;
}

async function withStore<T>(db: string | undefined, work: (s: AgentStore) => Promise<T>): Promise<T> {
  const { openStore } = await import('../../store/index.js');
  const store = await openStore(db ? { file: db } : {});
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The groups as stored, after asking every appliance of the inventory when `live`. */
async function groups(store: AgentStore, opts: GroupFlags): Promise<GroupView[]> {
  if (opts.live === true) {
    const access = cliGroupAccess(store, opts.db);
    const names = (await store.inventory.list()).map((r) => r.name);
    const seen = await readAll(access, names);
    for (const [i, s] of seen.entries()) if (s instanceof Error) await store.applianceState.failed(names[i]!, Date.now(), s.message);
  }
  return groupsOf((await store.applianceState.all()).values());
}

/** A group's name resolved against what the appliances reported (exit 3 when none did). */
function named(all: GroupView[], name: string): GroupView {
  const g = all.find((x) => x.name === name);
  if (g) return g;
  const known = all.map((x) => x.name);
  throw new CliError(
    `${name}: no appliance of the inventory reported a failover group of that name${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}; the poller learns groups (fulcrum monitor, or group list --live)`,
    EXIT.invalidInput,
  );
}

const short = (id: string | null) => (id === null ? '-' : id.slice(0, 12));

function memberLines(g: GroupView): string[] {
  return g.members.map(
    (m) =>
      `  ${m.appliance.padEnd(16)} unit ${String(m.unit).padEnd(3)} ${m.state.padEnd(8)} ${(m.reachable ? 'reachable' : 'UNREACHABLE').padEnd(12)} ${short(m.configId).padEnd(12)} ${m.firmware ?? '-'}`,
  );
}

function headline(g: GroupView): string {
  const active = g.active ?? (g.actives.length > 1 ? `SEVERAL (${g.actives.join(', ')})` : 'none');
  return `${g.name}: ${g.members.length} member${g.members.length === 1 ? '' : 's'}, active ${active}${g.sameConfig ? '' : ', members run DIFFERENT config ids'}`;
}

export async function list(opts: GroupFlags): Promise<void> {
  const all = await withStore(opts.db, (s) => groups(s, opts));
  if (opts.json) return printJson({ groups: all });
  if (all.length === 0) return void process.stdout.write('no failover groups: no appliance of the inventory reported one (as the poller last saw them)\n');
  process.stdout.write(`${all.map((g) => [headline(g), ...memberLines(g)].join('\n')).join('\n\n')}\n`);
}

export async function status(name: string, opts: GroupFlags): Promise<void> {
  const g = named(await withStore(opts.db, (s) => groups(s, opts)), name);
  if (opts.json) return printJson(g);
  process.stdout.write(
    `${headline(g)}\n  ${'member'.padEnd(16)} ${'unit'.padEnd(8)} ${'state'.padEnd(8)} ${'reachability'.padEnd(12)} ${'config id'.padEnd(12)} firmware\n${memberLines(g).join('\n')}\n`,
  );
}

export async function failover(name: string, opts: GroupFlags & { wait?: string }): Promise<void> {
  let waitMs: number | undefined;
  if (opts.wait !== undefined) {
    try {
      waitMs = parseDuration(opts.wait);
    } catch (err) {
      throw new CliError(`--wait: ${(err as Error).message}`, EXIT.usage);
    }
    if (waitMs <= 0) throw new CliError('--wait: give a duration above 0, e.g. 10s', EXIT.usage);
  }
  const result = await withStore(opts.db, async (store) => {
    const g = named(groupsOf((await store.applianceState.all()).values()), name);
    return audited(
      {
        action: 'group failover',
        store,
        appliance: null,
        detail: { group: name },
        describe: (r) => ({ appliance: r.from, detail: { from: r.from, to: r.to } }),
      },
      async () => {
        try {
          return await failoverGroup(
            name,
            g.members.map((m) => m.appliance),
            cliGroupAccess(store, opts.db),
            waitMs === undefined ? {} : { waitMs },
          );
        } catch (err) {
          if (err instanceof GroupError) throw new CliError(err.message, err.code === 'failed' ? EXIT.failure : EXIT.refused);
          throw err;
        }
      },
    );
  });
  if (opts.json) return printJson(result);
  process.stdout.write(`group ${result.group}: ${result.from} went standby, ${result.to} is active\n`);
}
