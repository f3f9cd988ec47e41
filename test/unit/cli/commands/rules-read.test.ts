/** rules show/history/rollback's transport check: slots other than running are a clear "unsupported" over SNMP, exit 5. */
import { describe, expect, it } from 'vitest';
import type { ApplianceDriver } from '../../../../drivers/driver.js';
import { configSlots } from '../../../../src/cli/commands/rules-read.js';
import { CliError, EXIT } from '../../../../src/cli/exit-codes.js';

const driverAt = (target: string, extra: object = {}) => ({ target, ...extra }) as unknown as ApplianceDriver;

describe('configSlots', () => {
  it('refuses SNMP with a message naming what it can read and where the rest is', () => {
    let err: unknown;
    try {
      configSlots(driverAt('snmp://127.0.0.1:1161'), 'rollback 2');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.refused);
    expect((err as Error).message).toBe(
      'snmp://127.0.0.1:1161: reading rollback 2 is unsupported over SNMP (fulcrumRunning carries the running table only); read it over the serial console',
    );
  });

  it('passes a driver that reads slots through', () => {
    const d = driverAt('serial:/dev/ttyS0', { readSlot: () => Promise.resolve(new Uint8Array()), history: () => Promise.resolve([]) });
    expect(configSlots(d, 'the history')).toBe(d);
  });
});
