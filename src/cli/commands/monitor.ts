/**
 * `fulcrum monitor`: polls the whole inventory every interval into the store, until --for runs
 * out or a signal. One poller per store: it holds the store's poller lease (src/poller/lease.ts)
 * while it polls; a second poller is refused naming the holder, or with --standby waits and
 * takes over once the holder stops (SIGTERM/SIGINT release the lease at once) or goes silent.
 */
import { isIP } from 'node:net';
import { parseDuration } from '../../protocol/rules/index.js';
import { Monitor } from '../../poller/monitor.js';
import { describeHolder, leaseMsFor, PollerLease, sleep, startWhenDue, waitForLease } from '../../poller/lease.js';
import { openStore, type Fence } from '../../store/index.js';
import { AgentMembership, ownershipTtlFor } from '../../poller/ownership/membership.js';
import { holdConsoles, type ConsoleHold } from '../../control/hold.js';
import { consoleKey } from '../../control/owners.js';
import { connectTarget, storedCredentials } from '../connect.js';
import { DriverPool } from '../../provision/driver-pool.js';
import { PooledDriver } from '../../provision/pooled-driver.js';
import type { ApplianceRecord } from '../../store/inventory.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { createLogger } from '../../log/logger.js';
import { startTrapReceiver, type TrapReceiver } from '../trap-receiver.js';
import { recordingState } from '../../poller/state-recording.js';
import { cycleLine } from '../monitor-line.js';
import { sharing, type SharingFlags } from '../sharing-flags.js';
import { exportingMetrics } from '../../poller/remote-write/index.js';
import { remoteWriteFlag } from '../remote-write-flag.js';
import { boundHeapGrowth } from '../heap-growth.js';

export interface MonitorOptions extends SharingFlags {
  interval: string;
  db?: string;
  for?: string;
  trapPort?: string;
  trapHost?: string;
  standby?: boolean;
  json?: boolean;
  /** A Prometheus remote-write endpoint the polled counters are also sent to. */
  remoteWrite?: string;
}

type Log = ReturnType<typeof createLogger>;

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`${flag}: ${(err as Error).message}`, EXIT.usage);
  }
}

function trapAddress(opts: MonitorOptions): { port: number; host: string } | null {
  if (opts.trapPort === undefined) {
    if (opts.trapHost !== undefined) throw new CliError('--trap-host goes with --trap-port', EXIT.usage);
    return null;
  }
  const port = Number(opts.trapPort);
  if (!/^\d+$/.test(opts.trapPort) || port < 1 || port > 65535) throw new CliError(`--trap-port: expected 1..65535, got "${opts.trapPort}"`, EXIT.usage);
  const host = opts.trapHost ?? '127.0.0.1';
  if (isIP(host) === 0) throw new CliError(`--trap-host: expected an IP address to listen on (0.0.0.0 for every interface), got "${host}"`, EXIT.usage);
  return { port, host };
}

/** The lease, now or (--standby) once free; false when stopped while standing by. */
async function takeLease(lease: PollerLease, standby: boolean, signal: AbortSignal, log: Log): Promise<boolean> {
  const now = await lease.hold();
  if (now.ok) return startWhenDue(now, signal);
  if (!standby) {
    throw new CliError(
      `this store is already polled by ${describeHolder(now.holder)}: one poller per store; stop that one, or run with --standby to take over when it stops`,
      EXIT.failure,
    );
  }
  return waitForLease(lease, signal, (h) =>
    log.warn({ holder: h }, `standing by: this store is polled by ${describeHolder(h)}; polling starts when it stops or its lease expires`),
  );
}

export async function monitor(opts: MonitorOptions): Promise<void> {
  boundHeapGrowth();
  const intervalMs = duration('--interval', opts.interval);
  const forMs = opts.for ? duration('--for', opts.for) : Infinity;
  const traps = trapAddress(opts);
  const remoteUrl = remoteWriteFlag(opts.remoteWrite);
  const store = await openStore(opts.db ? { file: opts.db } : {});
  const log = createLogger('monitor');
  const remote = remoteUrl === null ? null : exportingMetrics(store.metrics, { url: remoteUrl, log });
  // A server store is shared: each agent polls the appliances it holds a lease for. The SQLite
  // file has one poller, the holder of its poller lease.
  const shared = store.ownership
    ? new AgentMembership(store.ownership, { command: 'fulcrum monitor', ttlMs: ownershipTtlFor(intervalMs), log, ...sharing(opts) })
    : null;
  const lease = new PollerLease(store.pollerLease, { command: 'fulcrum monitor', leaseMs: leaseMsFor(intervalMs) });
  const stopping = new AbortController();
  // --for as a plain timer: AbortSignal.any() holds its inputs weakly, and on Node 20 an
  // AbortSignal.timeout() nothing else references can be collected before it fires — the monitor
  // then never stops.
  // (setTimeout takes at most 2^31-1 ms, about 24.8 days: a longer --for waits in steps.)
  const stopAt = Date.now() + forMs;
  let forTimer: NodeJS.Timeout | null = null;
  const untilStop = () => {
    const left = stopAt - Date.now();
    if (left <= 0) stopping.abort();
    else forTimer = setTimeout(untilStop, Math.min(left, 2 ** 31 - 1));
  };
  if (Number.isFinite(forMs)) untilStop();
  const signal = stopping.signal;
  // A signal ends the cycle in flight (no new polls start; those under way land) and then frees
  // the lease, before this process winds down (consoles, drivers): the next poller may start at
  // once, and never beside a cycle still writing.
  const halt = () => stopping.abort();
  process.once('SIGINT', halt);
  process.once('SIGTERM', halt);
  let m: Monitor | null = null;
  let receiver: TrapReceiver | null = null;
  let hold: ConsoleHold | null = null;
  // One driver per appliance, shared by the polls and by CLI commands that come through the
  // control socket (src/control): the consoles of the inventory are this process's.
  const pool = new DriverPool(undefined, (appliance, event) => hold?.emit(appliance, event));
  let records = new Map<string, ApplianceRecord>();
  // On a shared store, the lease of the cycle in flight: its state writes carry it too.
  let cycleFence: Fence | undefined;
  try {
    if (shared) await shared.start();
    else if (!(await takeLease(lease, opts.standby === true, signal, log))) return;
    m = new Monitor(remote?.metrics ?? store.metrics, {
      intervalMs,
      // Consoles go through the shared pool (other commands reach them through it); SNMP agents
      // take several managers at once and are polled on drivers of their own, as before.
      // Each poll also reads identity into the store's appliance state (`fulcrum appliance list`).
      connect: async (record) =>
        recordingState(
          consoleKey(record.target) !== null
            ? new PooledDriver(pool, () => records.get(record.name) ?? record)
            : await connectTarget(record.target, storedCredentials(record.credentials)),
          record.name,
          store.applianceState,
          () => cycleFence,
        ),
      onPollFailed: (appliance, err) => {
        log.warn({ appliance, err: (err as Error).message }, 'poll failed');
        return store.applianceState.failed(appliance, Date.now(), (err as Error).message, cycleFence);
      },
    });
    hold = await holdConsoles({ command: 'fulcrum monitor', pool, records: await store.inventory.list() });
    if (traps) receiver = await startTrapReceiver(store, { ...traps, log });
    let lastPrune = Date.now();
    while (!signal.aborted) {
      let fence: Fence | undefined;
      cycleFence = undefined;
      let owned: ReadonlySet<string> | null = null;
      if (shared) {
        const turn = await shared.turn().catch((err: unknown) => {
          log.warn({ err: (err as Error).message }, 'cannot reach the store for this cycle: trying again at the next');
          return null;
        });
        if (turn === null) {
          await sleep(intervalMs, signal);
          continue;
        }
        fence = turn.fence;
        cycleFence = fence;
        owned = new Set(turn.fence.epochs.keys());
      } else {
        const held = await lease.hold();
        if (!held.ok) {
          if (!opts.standby) throw new CliError(`lost the poller lease: ${describeHolder(held.holder)} polls this store now`, EXIT.failure);
          if (!(await takeLease(lease, true, signal, log))) break;
          continue;
        }
        if (held.fresh && !(await startWhenDue(held, signal))) break;
      }
      const cycleStart = Date.now();
      const all = await store.inventory.list();
      // Another agent's appliances (and their consoles) are not this one's to touch.
      const inventory = owned ? all.filter((r) => owned.has(r.name)) : all;
      const next = new Map(inventory.map((r) => [r.name, r]));
      // A console no longer in the inventory is let go of, for whoever wants it next.
      for (const name of records.keys()) if (!next.has(name)) await pool.forget(name);
      records = next;
      hold.refresh(inventory);
      const summary = await m.cycle(inventory, signal, fence).catch((err: unknown) => {
        if (!shared) throw err;
        // A server store that went away mid-cycle: what did not land is not acknowledged, and is polled again.
        log.warn({ err: (err as Error).message }, 'the cycle could not be stored: trying again at the next');
        return null;
      });
      shared?.cycleDone(Date.now() - cycleStart);
      if (summary === null) {
        await sleep(intervalMs - (Date.now() - cycleStart), signal);
        continue;
      }
      if (opts.json) printJson({ at: cycleStart, ...summary, ms: Math.round(summary.ms) });
      else if (process.stdout.isTTY) process.stdout.write(`${cycleLine(cycleStart, summary, intervalMs)}\n`);
      else log.info(summary, 'cycle');
      if (Date.now() - lastPrune > 3_600_000) {
        await store.prune();
        lastPrune = Date.now();
      }
      await sleep(intervalMs - (Date.now() - cycleStart), signal);
    }
  } finally {
    if (forTimer) clearTimeout(forTimer);
    process.off('SIGINT', halt);
    process.off('SIGTERM', halt);
    // What the last cycles queued is sent (a few seconds at most) while this agent still holds
    // its appliances: once it lets go, the next owner's newer samples may land first, and
    // Prometheus refuses these older ones as out of order.
    await remote?.sender.stop();
    await (shared
      ? shared.leave().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'leaving the store failed: the leases expire by themselves'))
      : lease.release());
    await m?.close();
    await hold?.close();
    await pool.close();
    await receiver?.close();
    await store.close();
  }
}
