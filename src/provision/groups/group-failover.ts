/**
 * `fulcrum group failover NAME` and its API route: the active member is told to go standby (as
 * `tmsh run sys failover standby` does), after the standbys are told "online" (lifting a hold
 * an earlier failover left), and the operation waits until another member reports itself active. Invariant: nothing is sent unless the members, asked now, show exactly one
 * active and at least one standby able to take over, and the active's transport can carry the
 * request; the answer names the member active afterwards, or fails saying who runs what.
 */
import { DriverError, hasGroupControl } from '../../../drivers/driver.js';
import { readAll, sleep, type GroupAccess } from './access.js';
import { GroupError } from './errors.js';

export const DEFAULT_FAILOVER_WAIT_MS = 10_000;
const POLL_MS = 100;
/** Reads of a member that did not answer, before it counts as lost. */
const READ_RETRIES = 3;
const RETRY_MS = 300;

export interface GroupFailoverResult {
  group: string;
  /** The member that was active and was told to go standby. */
  from: string;
  /** The member active afterwards. */
  to: string;
}

export interface FailoverOptions {
  /** How long the new active is waited for (default 10 s). */
  waitMs?: number;
}

/** Moves the active role of `group` (members: inventory names) to another member. Throws GroupError. */
export async function failoverGroup(
  group: string,
  members: readonly string[],
  access: GroupAccess,
  options: FailoverOptions = {},
): Promise<GroupFailoverResult> {
  const waitMs = options.waitMs ?? DEFAULT_FAILOVER_WAIT_MS;
  const now = await readAll(access, members);
  // A member that just came back (an upgrade's reboot, a console reconnecting) may miss one read:
  // it is asked again before the group is judged without it.
  for (let retry = 0; retry < READ_RETRIES && now.some((r) => r instanceof Error); retry++) {
    await sleep(RETRY_MS);
    const again = await readAll(
      access,
      members.filter((_, i) => now[i] instanceof Error),
    );
    let k = 0;
    for (let i = 0; i < now.length; i++) if (now[i] instanceof Error) now[i] = again[k++]!;
  }
  const lost = members.filter((_, i) => now[i] instanceof Error);
  const states = members.map((m, i) => ({ appliance: m, state: now[i] instanceof Error ? null : (now[i]!.group?.state ?? null) }));
  const actives = states.filter((s) => s.state === 'active').map((s) => s.appliance);
  if (actives.length !== 1) {
    const why = actives.length === 0 ? 'no member reports itself active' : `${actives.join(' and ')} all report themselves active`;
    throw new GroupError('state', `group ${group}: ${why}${lost.length > 0 ? ` (${lost.join(', ')} did not answer)` : ''}; nothing was sent`);
  }
  const from = actives[0]!;
  if (!states.some((s) => s.state === 'standby'))
    throw new GroupError(
      'state',
      `group ${group}: no member is standby to take over from ${from}${lost.length > 0 ? ` (${lost.join(', ')} did not answer)` : ''}; nothing was sent`,
    );
  await access.use(from, async (d) => {
    if (!hasGroupControl(d))
      throw new GroupError(
        'unsupported',
        `${from} (${d.target}): its driver cannot send a failover action (the console's groupAction and SNMP's fulcrumFoAction can); nothing was sent`,
      );
  });
  // A standby that went standby on an operator's word holds back while another standby lives:
  // two members that both yielded (an earlier failover, then this one) would leave the group
  // with no active. "online" lifts that hold (a member that outranks the active may then preempt
  // it at once: the role moves either way); it changes nothing on a standby that holds nothing.
  for (const s of states.filter((x) => x.state === 'standby')) {
    await access.use(s.appliance, (d) => (hasGroupControl(d) ? d.groupAction('online') : Promise.resolve(null))).catch(() => null);
  }
  await access.use(from, async (d) => {
    if (!hasGroupControl(d)) return;
    try {
      await d.groupAction('standby');
    } catch (err) {
      if (err instanceof DriverError && err.remote === 'unsupported')
        throw new GroupError('unsupported', `${from}: its firmware does not take failover requests over the console yet; nothing was changed`);
      throw err;
    }
  });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const seen = await readAll(access, members);
    const to = members.find((m, i) => m !== from && !(seen[i] instanceof Error) && seen[i]!.group?.state === 'active');
    if (to !== undefined) return { group, from, to };
    if (Date.now() >= deadline) {
      const report = members.map((m, i) => `${m}: ${seen[i] instanceof Error ? 'no answer' : (seen[i]!.group?.state ?? 'no group')}`).join(', ');
      throw new GroupError('failed', `group ${group}: ${from} was told to go standby, but no other member became active within ${waitMs / 1000} s (${report})`);
    }
    await sleep(POLL_MS);
  }
}
