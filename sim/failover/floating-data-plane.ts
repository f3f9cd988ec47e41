/**
 * The data plane of a failover group member: the firmware's DataPlanePort (so configuration
 * changes reach it like any appliance's) and the group's FloatingServicesPort (so the member
 * opens and closes it with its state). While standby it holds no listener at all — the running
 * config changes under it, nothing binds — and `open` starts a fresh DataPlane on whatever
 * table runs then. On one host both members share the VIP address:port; an open that finds it
 * still bound fails whole (the DataPlane releases what it got) and the member retries.
 *
 * Invariants: opens, closes and a commit's prepare/abandon run one at a time in call order, so
 * a close asked for while an open (or a commit) is still binding waits for it and releases what
 * it bound — once a close resolves nothing of this member is bound, whoever called it (the
 * member stepping down, or the box powering off while a takeover is under way). An open exposes
 * its plane only once it listens on the table that runs then, so commits landing during it are
 * caught up by the open, never applied half to a plane still starting.
 */
import type { ForwardingCore } from '../../firmware/forwarding/forwarding-core.js';
import type { FloatingServicesPort } from '../../firmware/failover/ports.js';
import { tcpFlows } from '../../firmware/failover/serving.js';
import type { DataPlanePort } from '../../firmware/ports.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { DataPlane } from '../data-plane/data-plane.js';

export class FloatingDataPlane implements DataPlanePort, FloatingServicesPort {
  private plane: DataPlane | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** While an open is under way: the flows commits ended meanwhile, which its listeners may already carry. */
  private endedWhileOpening: number[] | null = null;

  constructor(
    private readonly core: ForwardingCore,
    /** The running table now. */
    private readonly rules: () => RuleTable,
  ) {}

  get listening(): boolean {
    return this.plane !== null;
  }

  prepare(next: RuleTable): Promise<void> {
    return this.serially(() => this.plane?.prepare(next));
  }

  /** Synchronous, right after the prepare the appliance awaited: nothing queued can be binding on this plane now. */
  switched(next: RuleTable, endedFlows: readonly number[]): void {
    if (this.plane) this.plane.switched(next, endedFlows);
    else this.endedWhileOpening?.push(...endedFlows);
  }

  abandon(next: RuleTable): Promise<void> {
    return this.serially(() => this.plane?.abandon(next));
  }

  open(): Promise<void> {
    return this.serially(() => this.openNow());
  }

  close(): Promise<number> {
    return this.serially(() => this.closeNow());
  }

  private serially<T>(op: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async openNow(): Promise<void> {
    if (this.plane) return;
    const plane = new DataPlane(this.core);
    const ended: number[] = [];
    this.endedWhileOpening = ended;
    try {
      let table = this.rules();
      await plane.start(table);
      // Commits that landed while the listeners were starting reached no plane (this one is not
      // exposed yet): bring it to the table that runs, until none lands while it catches up.
      for (let now = this.rules(); now !== table; now = this.rules()) {
        table = now;
        await plane.prepare(table);
        plane.switched(table, ended.splice(0));
      }
    } catch (err) {
      await plane.stop();
      throw err;
    } finally {
      this.endedWhileOpening = null;
    }
    this.plane = plane;
  }

  private async closeNow(): Promise<number> {
    const plane = this.plane;
    this.plane = null;
    if (!plane) return 0;
    const cut = tcpFlows(this.core);
    await plane.stop();
    return cut;
  }
}
