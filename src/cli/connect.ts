import type { ApplianceDriver } from '../../drivers/driver.js';
import { DriverError } from '../../drivers/driver.js';
import { CliError, EXIT } from './exit-codes.js';

/** Opens the driver a target names: `serial:/dev/ttyX[?baud=N]`. */
export async function connect(target: string): Promise<ApplianceDriver> {
  try {
    if (target.startsWith('serial:')) {
      const { SerialDriver } = await import('../../drivers/serial/serial-driver.js');
      return await SerialDriver.connect(target);
    }
  } catch (err) {
    throw asCliError(err);
  }
  throw new CliError(`${target}: unknown target; expected serial:/dev/ttyX[?baud=N]`, EXIT.usage);
}

/** Runs `work` against a connected driver and always closes it; driver errors become exit codes. */
export async function withDriver<T>(target: string, work: (d: ApplianceDriver) => Promise<T>): Promise<T> {
  const driver = await connect(target);
  try {
    return await work(driver);
  } catch (err) {
    throw asCliError(err);
  } finally {
    await driver.close();
  }
}

export function asCliError(err: unknown): unknown {
  if (!(err instanceof DriverError)) return err;
  const code = err.code === 'unreachable' ? EXIT.unreachable : err.code === 'refused' ? EXIT.refused : EXIT.usage;
  return new CliError(err.remote ? `refused (${err.remote}): ${err.message}` : err.message, code);
}
