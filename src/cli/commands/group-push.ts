/**
 * `fulcrum rules push FILE --to group:NAME`: one rule table to every member of a failover
 * group, by the two-phase push of src/provision/groups/group-push.ts (standby first, commit
 * confirmed on each, confirmed only once every member runs it, rolled back on any failure).
 * Exit codes: bad flags 2; an invalid table, a group no appliance reported or a destructive
 * plan 3; a member unreachable, members on different ids or a pending commit 5 (nothing sent);
 * a push that failed and was rolled back 1.
 */
import { DEFAULT_FLEET_CONFIRM_MS } from '../../provision/fleet-request.js';
import { GroupError } from '../../provision/groups/errors.js';
import { pushToGroup, type GroupPushReport } from '../../provision/groups/group-push.js';
import { groupsOf } from '../../provision/groups/group-view.js';
import { checkConfirmTimeout } from '../../provision/push-guards.js';
import { PushRefused } from '../../provision/push-preflight.js';
import { ProvisionError } from '../../provision/push.js';
import { ConfigCache } from '../../store/config-cache.js';
import { audited } from '../audit-cli.js';
import { CliError, EXIT } from '../exit-codes.js';
import { cliGroupAccess } from '../group-access.js';
import { printJson } from '../output.js';
import { CLI_OVERRIDES } from '../render-push.js';
import { readRules } from '../rules-input.js';

export interface GroupPushFlags {
  confirmTimeout?: string;
  dryRun?: boolean;
  allowDestructive?: boolean;
  json?: boolean;
  db?: string;
}

const short = (id: string | null) => (id === null ? 'no answer' : id.slice(0, 12));

function render(r: GroupPushReport): string {
  const lines = r.members.map((m) => `  ${m.appliance.padEnd(16)} ${String(m.state).padEnd(8)} ${short(m.before)} -> ${short(m.after)}  ${m.outcome}`);
  const head = r.dryRun
    ? `group ${r.group}: dry run for ${r.configId} (nothing was sent)`
    : r.ok
      ? `group ${r.group}: every member runs ${r.configId}, confirmed`
      : `group ${r.group}: push of ${r.configId} FAILED on ${r.failure!.appliance}: ${r.failure!.reason}`;
  return `${head}\n${lines.join('\n')}\n`;
}

export async function groupPush(file: string, group: string, opts: GroupPushFlags): Promise<void> {
  if (group === '') throw new CliError('--to group:NAME: give the group name after "group:"', EXIT.usage);
  let confirmTimeoutMs = DEFAULT_FLEET_CONFIRM_MS;
  if (opts.confirmTimeout !== undefined) {
    try {
      confirmTimeoutMs = checkConfirmTimeout(opts.confirmTimeout, { names: CLI_OVERRIDES });
    } catch (err) {
      if (err instanceof ProvisionError) throw new CliError(`--confirm-timeout: ${err.message}`, EXIT.usage);
      throw err;
    }
    if (confirmTimeoutMs === 0) throw new CliError('--confirm-timeout: a group push is always commit confirmed; give a duration, e.g. 5m', EXIT.usage);
  }
  const rules = readRules(file);
  const { openStore } = await import('../../store/index.js');
  const store = await openStore(opts.db ? { file: opts.db } : {});
  let report: GroupPushReport;
  try {
    const g = groupsOf((await store.applianceState.all()).values()).find((x) => x.name === group);
    if (!g) throw new CliError(`group:${group}: no appliance of the inventory reported a failover group of that name (fulcrum group list)`, EXIT.invalidInput);
    const request = {
      group,
      members: g.members.map((m) => m.appliance),
      rules,
      confirmTimeoutMs,
      cache: new ConfigCache(),
      allowDestructive: opts.allowDestructive,
      dryRun: opts.dryRun,
      names: CLI_OVERRIDES,
    };
    const work = () => pushToGroup(request, cliGroupAccess(store, opts.db));
    try {
      report =
        opts.dryRun === true
          ? await work()
          : await audited(
              {
                action: 'rules push',
                store,
                detail: { group },
                describe: (r: GroupPushReport) =>
                  r.members.map((m) => ({
                    appliance: m.appliance,
                    configBefore: m.before,
                    configAfter: m.after,
                    outcome: r.ok ? 'ok' : 'failed',
                    detail: { group, result: m.outcome },
                  })),
              },
              work,
            );
    } catch (err) {
      if (err instanceof PushRefused) throw new CliError(err.message, err.code === 'destructivePlan' ? EXIT.invalidInput : EXIT.refused);
      if (err instanceof GroupError) throw new CliError(err.message, EXIT.refused);
      if (err instanceof ProvisionError) throw new CliError(err.message, err.code === 'invalid' ? EXIT.usage : EXIT.failure);
      throw err;
    }
  } finally {
    await store.close();
  }
  if (opts.json) printJson(report);
  else process.stdout.write(render(report));
  if (!report.ok) {
    const left = report.members.filter((m) => m.after !== m.before).map((m) => m.appliance);
    throw new CliError(
      `group push failed on ${report.failure!.appliance}: ${report.failure!.reason}${left.length > 0 ? `; NOT back yet: ${left.join(', ')} (they revert by themselves at the confirm timeout)` : '; every member is back on its previous config'}`,
      EXIT.failure,
    );
  }
}
