/**
 * Rule-table changes over SNMP, the way FULCRUM-MIB describes them: take the candidate lock
 * (fulcrumCandidateSpinLock), start from an empty candidate, create one row per service and
 * backend with RowStatus createAndGo and every column (health checks, persistence, idle timeout
 * and Maglev settings included, so any table can be pushed), check that the appliance built the
 * table meant (fulcrumCandidateConfigId), commit (fulcrumCommit), and read back the id that runs.
 *
 * The rows go in as few SET requests as the agent takes: all of them in one if it fits, halved
 * whenever the agent (or the datagram size) says tooBig. A row never spans two requests, since
 * createAndGo needs its columns in the same request.
 */

import { FulcrumMib as M, formatOid, ErrorStatus, SmiType, RowStatus, TruthValue } from '../../src/protocol/mib/index.js';
import { configId as idOf, decodeRules, CodecError, type RuleTable } from '../../src/protocol/rules/index.js';
import { DriverError, type PushOptions, type PushResult } from '../driver.js';
import { SetError, type SnmpSession, type Varbind } from './session.js';
import { toHex } from '../../src/protocol/digest.js';
import { settingsOf, settingValue, SETTING_FIELDS } from '../../src/protocol/mib/service-settings.js';
import { columnName } from './column-names.js';

const scalar = (o: readonly number[]) => `${formatOid(o)}.0`;
const STATUS_NAME = new Map<number, string>(Object.entries(ErrorStatus).map(([name, code]) => [code, name]));
/** Where splitting starts: the largest UDP payload, less room for the message around the varbinds. */
const FIRST_BUDGET = 60_000;

/** Varbinds creating the rows of `table`, one group per row, services numbered from 1 in table order. */
export function rowVarbinds(table: RuleTable): Varbind[][] {
  const groups: Varbind[][] = [];
  const S = M.CandServiceColumn;
  const B = M.CandBackendColumn;
  const int = (oid: readonly number[], value: number): Varbind => ({ oid: formatOid(oid), type: SmiType.Integer, value });
  const gauge = (oid: readonly number[], value: number): Varbind => ({ oid: formatOid(oid), type: SmiType.Gauge32, value });
  const text = (oid: readonly number[], value: string): Varbind => ({ oid: formatOid(oid), type: SmiType.OctetString, value: new TextEncoder().encode(value) });
  table.services.forEach((s, i) => {
    const col = (c: number) => M.columnInstance(M.fulcrumCandServiceEntry, c, i + 1);
    const settings = settingsOf(s);
    groups.push([
      int(col(S.rowStatus), RowStatus.createAndGo),
      text(col(S.name), s.name),
      text(col(S.listen), s.listen),
      int(col(S.protocol), M.ProtocolCode[s.protocol]),
      int(col(S.algorithm), M.AlgorithmCode[s.algorithm]),
      text(col(S.fallback), s.fallback ?? ''),
      // Every setting, so the appliance builds exactly this service whatever it ran before.
      ...SETTING_FIELDS.map((f): Varbind => {
        const { type, value } = settingValue(f, settings);
        return { oid: formatOid(col(S[f])), type, value: typeof value === 'string' ? new TextEncoder().encode(value) : value };
      }),
    ]);
    s.backends.forEach((b, j) => {
      const bc = (c: number) => M.columnInstance(M.fulcrumCandBackendEntry, c, i + 1, j + 1);
      groups.push([
        int(bc(B.rowStatus), RowStatus.createAndGo),
        text(bc(B.address), b.address),
        gauge(bc(B.weight), b.weight),
        gauge(bc(B.maxConns), b.maxConnections),
        int(bc(B.backup), b.backup ? TruthValue.true : TruthValue.false),
        int(bc(B.adminState), M.AdminStateCode[b.state]),
      ]);
    });
  });
  return groups;
}

/** A generous estimate of a varbind's encoded size, for packing requests. */
function sizeOf(v: Varbind): number {
  const value = v.value instanceof Uint8Array ? v.value.length : 6;
  return v.oid.split('.').length * 2 + value + 8;
}

function refused(err: unknown, what: string, varbinds: readonly Varbind[], hints: Partial<Record<string, [string, string]>> = {}): DriverError {
  if (!(err instanceof SetError)) return err instanceof DriverError ? err : new DriverError('refused', `${what}: ${String(err)}`);
  const status = STATUS_NAME.get(err.status) ?? `error ${err.status}`;
  const hint = hints[status];
  if (status === 'notWritable') {
    const named = about(varbinds, err).trim();
    return new DriverError(
      'refused',
      named
        ? `${what}: this appliance's SNMP agent does not take ${named} (notWritable): its firmware may predate that column of FULCRUM-MIB; use the serial console (serial:/dev/ttyX)`
        : `${what}: this appliance's SNMP agent does not take configuration writes (notWritable); use the serial console (serial:/dev/ttyX)`,
      'unsupported',
    );
  }
  if (status === 'noAccess' || status === 'authorizationError') {
    return new DriverError('refused', `${what}: the appliance refused (${status}): this community or v3 user may not write the configuration`, 'noAccess');
  }
  return new DriverError('refused', `${what}: ${hint ? hint[1] : `the appliance refused ${about(varbinds, err)}(${status})`}`, hint ? hint[0] : status);
}

/** "fulcrumCandServiceHealthPath.1 = "x" " for the varbind the agent's error names; '' when it names none of them. */
function about(varbinds: readonly Varbind[], err: SetError): string {
  const v = varbinds.find((x) => err.message.endsWith(`: ${x.oid}`));
  if (!v) return '';
  const shown = v.value instanceof Uint8Array ? JSON.stringify(Buffer.from(v.value).toString('utf8')) : String(v.value);
  return `${columnName(v.oid)} = ${shown} `;
}

export class ConfigWriter {
  private lock = 0;

  constructor(private readonly session: SnmpSession) {}

  async push(encoding: Uint8Array, options: PushOptions): Promise<PushResult> {
    const started = performance.now();
    let table: RuleTable;
    try {
      table = decodeRules(encoding);
    } catch (err) {
      if (err instanceof CodecError) throw new DriverError('refused', `the table to push is not a valid encoding: ${err.message}`, 'invalidConfig');
      throw err;
    }
    const want = idOf(table);
    const seconds = Math.ceil(Math.max(0, options.confirmTimeoutMs) / 1000);
    if (seconds > M.MAX_COMMIT_SECONDS)
      throw new DriverError('refused', `a confirm timeout over ${M.MAX_COMMIT_SECONDS} s cannot be written to fulcrumCommit`, 'badRequest');

    const [lock, running] = await this.session.get([scalar(M.fulcrumCandidateSpinLock), scalar(M.fulcrumConfigId)]);
    this.lock = Number(lock?.value ?? 0);
    const previousConfigId = hex(running?.value);
    await this.locked([{ oid: scalar(M.fulcrumCandidateLoad), type: SmiType.Integer, value: M.CandidateLoadCode.empty }], 'starting an empty candidate');

    const groups = rowVarbinds(table);
    const total = groups.reduce((n, g) => n + g.reduce((m, v) => m + sizeOf(v), 0), 0);
    let sent = 0;
    let budget = FIRST_BUDGET;
    for (let at = 0; at < groups.length;) {
      const batch: Varbind[] = [];
      let size = 0;
      let end = at;
      for (; end < groups.length; end++) {
        const g = groups[end]!;
        const s = g.reduce((m, v) => m + sizeOf(v), 0);
        if (batch.length > 0 && size + s > budget) break;
        batch.push(...g);
        size += s;
      }
      try {
        await this.locked(batch, 'creating candidate rows');
      } catch (err) {
        if (!(err instanceof TooBig)) throw err;
        if (end - at === 1)
          throw new DriverError('refused', `creating candidate rows: one row does not fit in the largest message the appliance takes (tooBig)`, 'tooBig');
        budget = Math.max(1, Math.floor(size / 2));
        continue;
      }
      at = end;
      sent += size;
      options.onProgress?.(sent, total);
    }

    const [built, why] = await this.session.get([scalar(M.fulcrumCandidateConfigId), scalar(M.fulcrumCandidateError)]);
    const got = hex(built?.value);
    if (got !== want) {
      const reason = text(why?.value);
      throw new DriverError(
        'refused',
        reason
          ? `the appliance did not accept the candidate: ${reason}`
          : `the appliance built config ${got || '(none)'} from the rows, not ${want}: it read the candidate rows differently from what was written (an agent that does not take every column of fulcrumCandServiceEntry ignores settings); nothing was committed`,
        'candidateMismatch',
      );
    }
    await this.locked([{ oid: scalar(M.fulcrumCommit), type: SmiType.Gauge32, value: seconds }], 'committing', {
      inconsistentValue: ['invalidConfig', 'the candidate is not a valid rule table'],
    }).catch(async (err: unknown) => {
      if (err instanceof DriverError && err.remote === 'commitFailed')
        throw new DriverError('refused', `committing failed: ${await this.lastMessage()}`, 'commitFailed');
      throw err;
    });
    const configId = await this.runningId();
    return { configId, previousConfigId, mode: 'full', bytes: 0, seconds: (performance.now() - started) / 1000 };
  }

  async confirm(): Promise<{ configId: string }> {
    await this.write([{ oid: scalar(M.fulcrumConfirm), type: SmiType.Integer, value: M.ConfirmCode.confirm }], 'confirming', {
      inconsistentValue: ['nothingToConfirm', 'no commit is pending confirmation'],
    });
    return { configId: await this.runningId() };
  }

  async rollback(steps: number): Promise<{ configId: string }> {
    if (!Number.isInteger(steps) || steps < 1 || steps > M.MAX_ROLLBACK_STEPS)
      throw new DriverError('refused', `rollback steps must be 1..${M.MAX_ROLLBACK_STEPS}`, 'badRequest');
    await this.write([{ oid: scalar(M.fulcrumRollback), type: SmiType.Gauge32, value: steps }], `rolling back ${steps}`, {
      inconsistentValue: ['noSuchRollback', `the appliance's history holds fewer than ${steps} configs`],
    });
    return { configId: await this.runningId() };
  }

  /** A SET carrying the lock value this manager holds; the lock moves on when it succeeds. */
  private async locked(varbinds: Varbind[], what: string, hints: Partial<Record<string, [string, string]>> = {}): Promise<void> {
    const lock: Varbind = { oid: scalar(M.fulcrumCandidateSpinLock), type: SmiType.Integer, value: this.lock };
    try {
      await this.session.set([lock, ...varbinds]);
    } catch (err) {
      if (err instanceof SetError && err.index === 0 && err.status === ErrorStatus.inconsistentValue) {
        throw new DriverError(
          'refused',
          `${what}: another manager is editing the candidate (fulcrumCandidateSpinLock moved on); nothing was committed, try again`,
          'locked',
        );
      }
      if (err instanceof SetError && err.tooBig) throw new TooBig();
      throw refused(err, what, [lock, ...varbinds], hints);
    }
    this.lock = (this.lock + 1) % 2_147_483_648;
  }

  private async write(varbinds: Varbind[], what: string, hints: Partial<Record<string, [string, string]>>): Promise<void> {
    try {
      await this.session.set(varbinds);
    } catch (err) {
      if (err instanceof SetError && err.status === ErrorStatus.commitFailed)
        throw new DriverError('refused', `${what} failed: ${await this.lastMessage()}`, 'commitFailed');
      throw refused(err, what, varbinds, hints);
    }
  }

  private async runningId(): Promise<string> {
    const [id] = await this.session.get([scalar(M.fulcrumConfigId)]);
    return hex(id?.value);
  }

  private async lastMessage(): Promise<string> {
    const [m] = await this.session.get([scalar(M.fulcrumLastOperationMessage)]);
    return text(m?.value) || 'the appliance gave no reason';
  }
}

class TooBig extends Error {}

function hex(v: unknown): string {
  return v instanceof Uint8Array ? toHex(v) : '';
}

function text(v: unknown): string {
  return v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'string' ? v : '';
}
