/**
 * `fulcrum rollout start|status|pause|resume|abort|list`: staged firmware rollouts over the
 * inventory (src/upgrade/rollout/). `start` and `resume` run the rollout in the foreground
 * until it succeeds (exit 0), halts, is paused or aborted from another command (exit 1); the
 * database keeps every step, so a rollout whose process died is carried on by `resume`.
 * Option values that are wrong exit 2, appliances not in the inventory and bad images exit 3;
 * either way no rollout is created. With a context, every subcommand works on the remote
 * agent's rollouts (remote-rollout.ts): start and resume have the agent run the rollout and
 * follow it to its end, with the same lines and exit codes as a run in this process.
 */
import { CatalogError, FirmwareCatalog } from '../../upgrade/catalog.js';
import {
  checkMaxFailures,
  parseWaves,
  RolloutEngine,
  RolloutError,
  type RolloutEvent,
  type RolloutStatus,
  type UpgradeOne,
  type WaveStep,
} from '../../upgrade/rollout/index.js';
import { FirmwareImageError } from '../../protocol/image/image.js';
import { parseDuration } from '../../protocol/rules/index.js';
import type { AgentStore } from '../../store/index.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { renderList, renderStatus, RolloutProgress } from '../rollout-display.js';
import { reportEnd, writeEndLine } from '../rollout-end.js';
import { readImageFile } from './firmware-files.js';
import { groupAwareUpgrade, storedGroups } from '../../upgrade/group-upgrade.js';
import { cliGroupAccess } from '../group-access.js';
import { audited, type CliChange } from '../audit-cli.js';
import { remoteApi, type ReachFlags, type RemoteApi } from '../remote-api.js';

/** The remote agent's rollouts (remote-rollout.ts), or null for this machine's. */
async function remoteRollouts(opts: ReachFlags): Promise<(typeof import('./remote-rollout.js') & { api: RemoteApi }) | null> {
  const api = await remoteApi(opts);
  return api ? { ...(await import('./remote-rollout.js')), api } : null;
}

interface DbOption extends ReachFlags {
  json?: boolean;
}

export interface StartOptions extends DbOption {
  targets?: string;
  all?: boolean;
  waves?: string;
  maxFailures?: string;
  deadline: string;
  concurrency: string;
}

export interface ResumeOptions extends DbOption {
  concurrency: string;
}

/** A RolloutError or CatalogError as the operator sees it, with its exit code. */
function asCliError(err: unknown): unknown {
  if (err instanceof RolloutError) {
    const code = {
      invalid: EXIT.usage,
      unknownAppliances: EXIT.invalidInput,
      conflict: EXIT.invalidInput,
      notFound: EXIT.usage,
      state: EXIT.usage,
      busy: EXIT.failure,
      leaseLost: EXIT.failure,
    }[err.code];
    return new CliError(err.message, code);
  }
  if (err instanceof CatalogError) return new CliError(err.message, EXIT.failure);
  return err;
}

/** A flag's value checked by `check`; its complaint becomes a usage error naming the flag. */
function flag<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof RolloutError || err instanceof TypeError)
      throw new CliError(`${name}: ${err.message.replace(/^(waves|max failures): /, '')}`, EXIT.usage);
    throw err;
  }
}

function parseId(text: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text))
    throw new CliError(`rollout id: expected a number like 3 (fulcrum rollout list), got ${JSON.stringify(text)}`, EXIT.usage);
  return Number(text);
}

function parseConcurrency(text: string): number {
  const n = /^[1-9][0-9]*$/.test(text) ? Number(text) : NaN;
  if (!(n <= 1000)) throw new CliError(`--concurrency: expected a whole number from 1 to 1000, got ${JSON.stringify(text)}`, EXIT.usage);
  return n;
}

function parseTargets(opts: StartOptions): readonly string[] | 'all' {
  if (opts.all && opts.targets !== undefined) throw new CliError('give --targets A,B,… or --all, not both', EXIT.usage);
  if (opts.all) return 'all';
  if (opts.targets === undefined) throw new CliError('name the appliances: --targets A,B,… (inventory names) or --all', EXIT.usage);
  const names = opts.targets.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new CliError(`--targets: ${JSON.stringify(opts.targets)} has an empty name; write A,B,C`, EXIT.usage);
  return names;
}

async function withStore<T>(opts: DbOption, work: (store: AgentStore) => Promise<T>): Promise<T> {
  const { openStore } = await import('../../store/index.js');
  const store = await openStore(opts.db ? { file: opts.db } : {});
  try {
    return await work(store);
  } catch (err) {
    throw asCliError(err);
  } finally {
    await store.close();
  }
}

/** A change of rollout `id` (or of a new one), audited in `store` with the state it left the rollout in. */
function rolloutChange(action: string, store: AgentStore, detail: Record<string, unknown>): CliChange<RolloutStatus> {
  return { action, store, detail, describe: (s) => ({ detail: { rollout: s.id, version: s.version, state: s.state, devices: s.totals.devices } }) };
}

function engineFor(store: AgentStore, onEvent?: (e: RolloutEvent, at: number) => void): RolloutEngine {
  return new RolloutEngine({
    rollouts: store.rollouts,
    catalog: new FirmwareCatalog(store.firmwareImages),
    inventory: store.inventory,
    events: store.events,
    membershipOf: storedGroups(store.applianceState).membershipOf,
    ...(onEvent ? { onEvent } : {}),
  });
}

/** The real upgrade (src/upgrade/inventory-upgrade.ts); its image server, if SNMP appliances needed one, stops at exit. */
async function upgradeThroughInventory(store: AgentStore, db: string | undefined): Promise<UpgradeOne> {
  const { inventoryUpgrader } = await import('../../upgrade/inventory-upgrade.js');
  const upgrader = inventoryUpgrader(store.inventory);
  process.once('beforeExit', () => void upgrader.close());
  // Members of a failover group: the active fails over first, and each must come back into its group.
  return groupAwareUpgrade(upgrader.upgrade, { ...storedGroups(store.applianceState), access: cliGroupAccess(store, db) });
}

/**
 * Runs the rollout until it ends or a signal (Ctrl-C, SIGTERM) interrupts this process; then
 * reports how it ended, as the exit code and a message.
 */
async function runInForeground(
  engine: RolloutEngine,
  id: number,
  upgrade: UpgradeOne,
  concurrency: number,
  progress: RolloutProgress,
  json: boolean,
): Promise<void> {
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let status: RolloutStatus;
  try {
    status = await engine.run(id, { upgrade, concurrency, signal: interrupt.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.stop();
  }
  if (json) writeEndLine(status);
  if (interrupt.signal.aborted) {
    const upgrading = status.devices.filter((d) => d.state === 'upgrading').map((d) => d.appliance);
    throw new CliError(
      `interrupted: rollout ${id} stays ${status.state}${upgrading.length > 0 ? `; ${upgrading.join(', ')} ${upgrading.length === 1 ? 'was' : 'were'} upgrading and will be upgraded again` : ''}: \`fulcrum rollout resume ${id}\` carries on`,
      EXIT.failure,
    );
  }
  reportEnd(status, json);
}

export async function start(file: string, opts: StartOptions): Promise<void> {
  // Every option is checked before anything is read or created.
  const targets = parseTargets(opts);
  const waves: WaveStep[] | undefined = opts.waves === undefined ? undefined : flag('--waves', () => parseWaves(opts.waves!));
  const maxFailures = opts.maxFailures === undefined ? undefined : flag('--max-failures', () => checkMaxFailures(opts.maxFailures));
  const deadlineMs = flag('--deadline', () => parseDuration(opts.deadline));
  if (deadlineMs <= 0) throw new CliError('--deadline: must be longer than 0', EXIT.usage);
  const concurrency = parseConcurrency(opts.concurrency);
  const remote = await remoteRollouts(opts);
  const bytes = readImageFile(file);
  if (remote) {
    return remote.start(remote.api, {
      file,
      bytes,
      targets,
      deadline: opts.deadline,
      concurrency,
      json: opts.json === true,
      ...(waves ? { waves } : {}),
      ...(maxFailures !== undefined ? { maxFailures } : {}),
    });
  }
  await withStore(opts, async (store) => {
    const upgrade = await upgradeThroughInventory(store, opts.db);
    const progress = new RolloutProgress(opts.json === true);
    const engine = engineFor(store, (e, at) => progress.event(e, at));
    const rollout = await audited(rolloutChange('rollout start', store, { image: file, targets }), async () => {
      let sha256: string;
      try {
        sha256 = (await engine.catalog.add(bytes)).sha256;
      } catch (err) {
        if (err instanceof FirmwareImageError) throw new CliError(`${file}: ${err.message} [${err.code}]`, EXIT.invalidInput);
        throw err;
      }
      return engine.start({ image: sha256, targets, deadlineMs, ...(waves ? { waves } : {}), ...(maxFailures !== undefined ? { maxFailures } : {}) });
    });
    await runInForeground(engine, rollout.id, upgrade, concurrency, progress, opts.json === true);
  });
}

export async function resume(idText: string, opts: ResumeOptions): Promise<void> {
  const id = parseId(idText);
  const concurrency = parseConcurrency(opts.concurrency);
  const remote = await remoteRollouts(opts);
  if (remote) return remote.resume(remote.api, id, concurrency, opts.json === true);
  await withStore(opts, async (store) => {
    const upgrade = await upgradeThroughInventory(store, opts.db);
    const progress = new RolloutProgress(opts.json === true);
    const engine = engineFor(store, (e, at) => progress.event(e, at));
    const status = await audited(rolloutChange('rollout resume', store, { rollout: id }), async () => engine.resume(id));
    progress.track(status.totals.devices, status.totals.succeeded + status.totals.failed);
    await runInForeground(engine, id, upgrade, concurrency, progress, opts.json === true);
  });
}

export async function pause(idText: string, opts: DbOption): Promise<void> {
  const id = parseId(idText);
  const remote = await remoteRollouts(opts);
  const status = remote
    ? await remote.control(remote.api, 'pause', id)
    : await withStore(opts, (store) => audited(rolloutChange('rollout pause', store, { rollout: id }), async () => engineFor(store).pause(id)));
  if (opts.json) return printJson(status);
  const upgrading = status.totals.upgrading;
  process.stdout.write(
    `rollout ${id} paused: no appliance starts an upgrade any more${upgrading > 0 ? `; the ${upgrading} upgrading finish first` : ''}. \`fulcrum rollout resume ${id}\` carries on\n`,
  );
}

export async function abort(idText: string, opts: DbOption): Promise<void> {
  const id = parseId(idText);
  const remote = await remoteRollouts(opts);
  const status = remote
    ? await remote.control(remote.api, 'abort', id)
    : await withStore(opts, (store) => audited(rolloutChange('rollout abort', store, { rollout: id }), async () => engineFor(store).abort(id)));
  if (opts.json) return printJson(status);
  const upgrading = status.totals.upgrading;
  process.stdout.write(
    `rollout ${id} aborted: ${status.totals.succeeded} of ${status.totals.devices} appliances upgraded${upgrading > 0 ? `; the ${upgrading} upgrading finish first` : ''}\n`,
  );
}

export async function status(idText: string | undefined, opts: DbOption): Promise<void> {
  const id = idText === undefined ? undefined : parseId(idText);
  const remote = await remoteRollouts(opts);
  const found = remote
    ? await remote.status(remote.api, id)
    : await withStore(opts, async (store) => {
        const engine = engineFor(store);
        return id === undefined ? engine.latest() : engine.status(id);
      });
  if (opts.json) return printJson(found);
  if (!found) return void process.stdout.write('no rollouts yet (fulcrum rollout start IMAGE --targets A,B,… | --all)\n');
  process.stdout.write(`${renderStatus(found)}\n`);
}

export async function list(opts: DbOption): Promise<void> {
  const remote = await remoteRollouts(opts);
  const rollouts = remote
    ? await remote.list(remote.api)
    : (await withStore(opts, async (store) => engineFor(store).list())).map(({ devices: _devices, ...summary }) => summary);
  if (opts.json) return printJson(rollouts);
  if (rollouts.length === 0) return void process.stdout.write('no rollouts yet (fulcrum rollout start IMAGE --targets A,B,… | --all)\n');
  process.stdout.write(`${renderList(rollouts)}\n`);
}
