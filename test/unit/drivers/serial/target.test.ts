/** `serial:/dev/ttyX[?baud=N]` targets (drivers/serial/target.ts): what parses, and each refusal with its own message. */
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { BAUDS, parseSerialTarget } from '../../../../drivers/serial/target.js';

/** The DriverError a target is refused with. */
function refusal(target: string): DriverError {
  try {
    parseSerialTarget(target);
  } catch (err) {
    if (err instanceof DriverError) return err;
    throw err;
  }
  throw new Error(`${target} was accepted`);
}

// Accepted forms and rates, and one message per way a target can be wrong.
describe('serial targets', () => {
  it('parses the device path, and the baud rate with 115200 by default', () => {
    expect(parseSerialTarget('serial:/dev/ttyUSB0')).toEqual({ path: '/dev/ttyUSB0', baud: 115_200 });
    expect(parseSerialTarget('serial:/dev/ttyS1?baud=9600')).toEqual({ path: '/dev/ttyS1', baud: 9_600 });
    expect(parseSerialTarget('serial:/dev/pts/7?baud=4000000')).toEqual({ path: '/dev/pts/7', baud: 4_000_000 });
    expect(parseSerialTarget('serial:/dev/serial/by-id/usb-FTDI_FT232R-if00-port0?')).toEqual({
      path: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0',
      baud: 115_200,
    });
  });

  it('accepts every listed rate and only those', () => {
    for (const baud of BAUDS) expect(parseSerialTarget(`serial:/dev/x?baud=${baud}`).baud).toBe(baud);
    for (const baud of [0, 1, 110, 300, 14400, 28800, 76800, 250000, 5000000, -9600])
      expect(refusal(`serial:/dev/x?baud=${baud}`).message, `baud ${baud}`).toMatch(/baud must be one of 1200, 2400, /);
  });

  it('refuses each malformed target with its own message, naming the target', () => {
    const rates = `baud must be one of ${[...BAUDS].join(', ')}`;
    const cases: [string, string][] = [
      ['/dev/ttyUSB0', 'not a serial target (expected serial:/dev/ttyX[?baud=N])'],
      ['tcp://h:1', 'not a serial target (expected serial:/dev/ttyX[?baud=N])'],
      ['Serial:/dev/ttyUSB0', 'not a serial target (expected serial:/dev/ttyX[?baud=N])'],
      ['serial:', 'the device must be an absolute path such as /dev/ttyUSB0'],
      ['serial:ttyUSB0', 'the device must be an absolute path such as /dev/ttyUSB0'],
      ['serial:?baud=9600', 'the device must be an absolute path such as /dev/ttyUSB0'],
      ['serial:/dev/x?speed=9600', 'unknown parameter "speed" (only baud is understood)'],
      ['serial:/dev/x?baud=9600&parity=even', 'unknown parameter "parity" (only baud is understood)'],
      ['serial:/dev/x?=9600', 'unknown parameter "" (only baud is understood)'],
      ['serial:/dev/x?baud=', rates],
      ['serial:/dev/x?baud=fast', rates],
      ['serial:/dev/x?baud=12345', rates],
    ];
    for (const [target, why] of cases) expect(refusal(target), target).toMatchObject({ name: 'DriverError', code: 'badTarget', message: `${target}: ${why}` });
  });

  it('refuses a baud given twice instead of taking the first silently', () => {
    expect(refusal('serial:/dev/x?baud=9600&baud=115200').message).toBe('serial:/dev/x?baud=9600&baud=115200: baud is given more than once');
  });

  it('refuses a second "?" instead of dropping what follows it', () => {
    expect(refusal('serial:/dev/x?baud=9600?parity=even').message).toBe(`serial:/dev/x?baud=9600?parity=even: baud must be one of ${[...BAUDS].join(', ')}`);
  });
});
