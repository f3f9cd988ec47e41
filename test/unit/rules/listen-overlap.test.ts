/**
 * Listen addresses that cannot all be bound: a wildcard (0.0.0.0, ::) next to a specific address
 * on the same port and protocol, and two identical ones. The kernel refuses the second bind
 * (EADDRINUSE; `::` is dual-stack, so it takes IPv4 too), so the push would fail on the
 * appliance: the loader says so first, at both services, each naming the other.
 */
import { describe, expect, it } from 'vitest';
import { loadRules, RulesError } from '../../../src/rules/index.js';
import { listenConflict } from '../../../src/rules/listen-conflicts.js';
import { parseEndpoint } from '../../../src/protocol/rules/index.js';

function errorsOf(text: string): string[] {
  try {
    loadRules(text, 'rules.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(RulesError);
    return (error as RulesError).message.split('\n');
  }
  throw new Error('expected a RulesError');
}

/** One service per `[name, listen, protocol?]`, in that order. */
const tableText = (...services: [string, string, string?][]): string =>
  [
    'services:',
    ...services.flatMap(([name, listen, protocol]) => [
      `  - name: ${name}`,
      `    listen: "${listen}"`,
      ...(protocol ? [`    protocol: ${protocol}`] : []),
      '    backends: [{ address: 192.0.2.10:80 }]',
    ]),
  ].join('\n') + '\n';

describe('listen addresses that overlap', () => {
  it('refuses 0.0.0.0 next to 127.0.0.1 on one port, at both services, with FILE:LINE:COL', () => {
    expect(errorsOf(tableText(['local', '127.0.0.1:18080'], ['any', '0.0.0.0:18080']))).toEqual([
      'rules.yaml:3:13 services[0].listen: 127.0.0.1:18080/tcp overlaps 0.0.0.0:18080/tcp of service "any" (services[1]): 0.0.0.0 takes tcp port 18080 on every IPv4 address, so the two cannot both listen',
      'rules.yaml:6:13 services[1].listen: 0.0.0.0:18080/tcp overlaps 127.0.0.1:18080/tcp of service "local" (services[0]): 0.0.0.0 takes tcp port 18080 on every IPv4 address, so the two cannot both listen',
    ]);
  });

  it('names both services of two identical listen endpoints, however they are spelled', () => {
    expect(errorsOf(tableText(['a', '[2001:db8::1]:80'], ['b', '[2001:DB8:0::0:1]:80']))).toEqual([
      'rules.yaml:3:13 services[0].listen: [2001:db8::1]:80/tcp is also the listen address of service "b" (services[1])',
      'rules.yaml:6:13 services[1].listen: [2001:db8::1]:80/tcp is already the listen address of service "a" (services[0])',
    ]);
  });

  it(':: takes the port on IPv4 addresses too; each later service names the one it collides with', () => {
    const errors = errorsOf(tableText(['any6', '[::]:53', 'udp'], ['dns-a', '10.0.0.1:53', 'udp'], ['dns-b', '[2001:db8::53]:53', 'udp']));
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBe(
      'rules.yaml:3:13 services[0].listen: [::]:53/udp overlaps 10.0.0.1:53/udp of service "dns-a" (services[1]): :: takes udp port 53 on every address, IPv4 included, so the two cannot both listen',
    );
    expect(errors[1]).toMatch(/^rules\.yaml:7:13 services\[1\]\.listen: 10\.0\.0\.1:53\/udp overlaps \[::\]:53\/udp of service "any6" \(services\[0\]\)/);
    expect(errors[2]).toMatch(/^rules\.yaml:11:13 services\[2\]\.listen: \[2001:db8::53\]:53\/udp overlaps \[::\]:53\/udp of service "any6"/);
  });

  it('accepts what the kernel binds side by side: other ports, other protocols, 0.0.0.0 with an IPv6 address', () => {
    const text = tableText(
      ['a', '0.0.0.0:80'],
      ['b', '127.0.0.1:81'],
      ['c', '127.0.0.1:80', 'udp'],
      ['d', '[::1]:80'],
      ['e', '10.0.0.1:443'],
      ['f', '10.0.0.2:443'],
    );
    expect(loadRules(text, 'ok.yaml').services).toHaveLength(6);
  });

  it('listenConflict tells the kinds apart', () => {
    const e = parseEndpoint;
    expect(listenConflict(e('10.0.0.1:80'), e('10.0.0.1:80'))).toBe('same');
    expect(listenConflict(e('0.0.0.0:80'), e('10.0.0.1:80'))).toBe('wildcard');
    expect(listenConflict(e('10.0.0.1:80'), e('0.0.0.0:80'))).toBe('wildcard');
    expect(listenConflict(e('[::]:80'), e('0.0.0.0:80'))).toBe('wildcard');
    expect(listenConflict(e('0.0.0.0:80'), e('[::1]:80'))).toBeNull();
    expect(listenConflict(e('0.0.0.0:80'), e('0.0.0.0:81'))).toBeNull();
  });
});
