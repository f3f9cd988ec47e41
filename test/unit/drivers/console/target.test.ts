import { describe, expect, it } from 'vitest';
import { isConsoleTarget, parseConsoleTarget } from '../../../../drivers/console/target.js';
import { BAUDS as CONSOLE_BAUDS } from '../../../../drivers/serial/target.js';
import { parseSerialTarget } from '../../../../drivers/serial/target.js';

const badTarget = (message: string | RegExp) => ({
  name: 'DriverError',
  code: 'badTarget',
  message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
});

describe('console-server targets', () => {
  it('parses tcp:// and telnet:// with host, port and baud (115200 by default)', () => {
    expect(parseConsoleTarget('tcp://10.0.0.5:7001')).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 7001, baud: 115_200 });
    expect(parseConsoleTarget('telnet://cs1.lab.example:2001?baud=9600')).toEqual({ kind: 'telnet', host: 'cs1.lab.example', port: 2001, baud: 9600 });
    expect(parseConsoleTarget('telnet://[fd00::1]:3001?baud=921600')).toEqual({ kind: 'telnet', host: 'fd00::1', port: 3001, baud: 921_600 });
    expect(parseConsoleTarget('tcp://127.0.0.1:65535?')).toMatchObject({ port: 65535, baud: 115_200 });
    expect(isConsoleTarget('telnet://a:1')).toBe(true);
    expect(isConsoleTarget('serial:/dev/ttyS0')).toBe(false);
  });

  it('accepts baud on tcp:// (it only tells the transport the line rate)', () => {
    expect(parseConsoleTarget('tcp://h:1?baud=57600')).toMatchObject({ kind: 'tcp', baud: 57_600 });
  });

  it('refuses, saying why: missing or bad port, port out of range, unknown parameter, bad baud', () => {
    const cases: [string, string | RegExp][] = [
      ['tcp://10.0.0.5', 'the port is missing'],
      ['tcp://10.0.0.5:', 'the port is missing'],
      ['telnet://h:0', 'port 0 is out of range (1–65535)'],
      ['telnet://h:65536', 'port 65536 is out of range'],
      ['telnet://h:70000000000000000000', 'out of range'],
      ['tcp://h:ssh', 'the port must be a number, not "ssh"'],
      ['tcp://h:-1', 'must be a number'],
      ['tcp://h:1?speed=9600', 'unknown parameter "speed" (only baud is understood)'],
      ['tcp://h:1?baud=9600&parity=even', 'unknown parameter "parity"'],
      ['telnet://h:1?baud=12345', 'baud must be one of 1200, 2400'],
      ['telnet://h:1?baud=', 'baud must be one of'],
      ['telnet://h:1?baud=9600&baud=19200', 'more than once'],
      ['tcp://', 'the host is missing'],
      ['tcp://:7001', 'not HOST:PORT'],
      ['tcp://h:1/x', 'the port must be a number'],
      ['tcp://h/x:1', 'not HOST:PORT'],
      ['tcp://fd00::1:7001', 'IPv6 address goes in brackets'],
      ['tcp://user@h:1', 'not HOST:PORT'],
      ['ssh://h:22', /not a console-server target \(expected tcp:\/\/HOST:PORT\[\?baud=N\] or telnet:\/\/HOST:PORT\[\?baud=N\]\)/],
      ['serial:/dev/ttyS0', 'not a console-server target'],
    ];
    for (const [target, why] of cases) {
      expect(() => parseConsoleTarget(target), target).toThrow();
      try {
        parseConsoleTarget(target);
      } catch (err) {
        expect(err, target).toMatchObject(badTarget(why));
        expect((err as Error).message.startsWith(`${target}: `), target).toBe(true);
      }
    }
  });

  it('accepts exactly the baud rates serial targets accept', () => {
    const candidates = [
      ...CONSOLE_BAUDS,
      0,
      1,
      50,
      75,
      110,
      300,
      600,
      14400,
      28800,
      76800,
      128000,
      250000,
      256000,
      500000,
      576000,
      1152000,
      1500000,
      2500000,
      3500000,
      5000000,
      12345,
    ];
    const accepts = (f: () => unknown) => {
      try {
        f();
        return true;
      } catch {
        return false;
      }
    };
    for (const baud of candidates) {
      expect(
        accepts(() => parseConsoleTarget(`tcp://h:1?baud=${baud}`)),
        `baud ${baud}`,
      ).toBe(accepts(() => parseSerialTarget(`serial:/dev/x?baud=${baud}`)));
    }
  });
});
