/**
 * Ctrl-C (or SIGTERM) during `rules push` (or `rules set-backend`): the push is stopped by closing its connection — a
 * candidate cut off before its commit is never applied, since the appliance applies a table whole
 * or not at all — and the appliance is then asked what it runs, so the operator learns the state
 * it was left in: "running config unchanged: ID", "commit pending confirm until T", or that the
 * push had committed before the interrupt. Invariant: the answer comes from the appliance, read
 * after the interrupt, never from where the agent thought the push had got to. A second Ctrl-C
 * exits at once.
 */
import type { ApplianceDriver } from '../../drivers/driver.js';
import { deadlineText } from '../provision/push-guards.js';
import { CliError, EXIT } from './exit-codes.js';

export class PushInterrupt {
  private driver: ApplianceDriver | null = null;
  private signalled: NodeJS.Signals | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    if (this.signalled) process.exit(EXIT.interrupted);
    this.signalled = signal;
    process.stderr.write(
      `\n${signal === 'SIGINT' ? 'interrupted' : signal}: stopping the push, then asking the appliance what it runs (Ctrl-C again to quit at once)\n`,
    );
    void this.driver?.close().catch(() => undefined);
  };

  constructor(
    /** The config id of the table being pushed; null until it is known (an edit made on the running table). */
    public pushing: string | null,
    /** The --to the operator gave, for the command to run next. */
    private readonly to: string,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get fired(): boolean {
    return this.signalled !== null;
  }

  /** The push's connection: closed on the signal. */
  attach(driver: ApplianceDriver): void {
    this.driver = driver;
    if (this.signalled) void driver.close().catch(() => undefined);
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }

  /** What the appliance runs now, read on a fresh connection, as the error the command exits with. */
  async report(readInfo: () => Promise<{ configId: string; pendingConfirm: number | null }>): Promise<CliError> {
    let info: { configId: string; pendingConfirm: number | null };
    try {
      info = await readInfo();
    } catch (err) {
      return new CliError(
        `interrupted: could not ask the appliance what it runs (${(err as Error).message}); check with fulcrum appliance info --to ${this.to}`,
        EXIT.interrupted,
      );
    }
    return new CliError(describeLeft(info, this.pushing, this.to, Date.now()), EXIT.interrupted);
  }
}

/** The state a push was interrupted in, in the operator's words. */
export function describeLeft(info: { configId: string; pendingConfirm: number | null }, pushing: string | null, to: string, now: number): string {
  if (info.configId !== pushing) return `interrupted: running config unchanged: ${info.configId}`;
  if (info.pendingConfirm !== null) {
    return `interrupted after the commit: commit pending confirm until ${deadlineText(now + info.pendingConfirm * 1000)} (running ${info.configId}); fulcrum rules confirm --to ${to} keeps it, otherwise it reverts by itself`;
  }
  return `interrupted after the commit: the push had completed; running ${info.configId}`;
}
