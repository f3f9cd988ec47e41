import { DriverError } from '../driver.js';

export interface SerialTarget {
  path: string;
  baud: number;
}

/** The line rates a console port may be set to (a serial device or a console server's port). */
export const BAUDS: ReadonlySet<number> = new Set([
  1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000, 2000000, 3000000, 4000000,
]);

/** Parses `serial:/dev/ttyX[?baud=N]` (baud defaults to 115200). */
export function parseSerialTarget(target: string): SerialTarget {
  if (!target.startsWith('serial:')) throw new DriverError('badTarget', `${target}: not a serial target (expected serial:/dev/ttyX[?baud=N])`);
  const rest = target.slice('serial:'.length);
  // Everything after the first '?' is the query: a second '?' is part of it, not dropped.
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  if (!path.startsWith('/')) throw new DriverError('badTarget', `${target}: the device must be an absolute path such as /dev/ttyUSB0`);
  let baud = 115_200;
  if (query !== undefined) {
    const params = new URLSearchParams(query);
    for (const key of new Set(params.keys())) {
      if (key !== 'baud') throw new DriverError('badTarget', `${target}: unknown parameter "${key}" (only baud is understood)`);
      if (params.getAll(key).length > 1) throw new DriverError('badTarget', `${target}: baud is given more than once`);
    }
    const value = params.get('baud');
    if (value !== null) {
      baud = Number(value);
      if (!BAUDS.has(baud)) throw new DriverError('badTarget', `${target}: baud must be one of ${[...BAUDS].join(', ')}`);
    }
  }
  return { path, baud };
}
