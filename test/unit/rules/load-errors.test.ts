import { describe, expect, it } from 'vitest';
import { loadRules, RulesError } from '../../../src/rules/index.js';
import { MAX_REPORTED } from '../../../src/rules/load.js';

function errorsOf(text: string, file = 'rules.yaml'): string[] {
  try {
    loadRules(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(RulesError);
    const rulesError = error as RulesError;
    expect(rulesError.name).toBe('RulesError');
    expect(rulesError.message).toBe(rulesError.errors.map((e) => `${e.file}:${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n'));
    return rulesError.message.split('\n');
  }
  throw new Error('expected a RulesError');
}

/** One valid service to embed problems in; `extra` lines are indented as service keys. */
function service(...extra: string[]): string {
  return ['services:', '  - name: web', '    listen: 10.0.0.1:80', ...extra.map((l) => `    ${l}`)].join('\n') + '\n';
}

describe('loadRules error reports', () => {
  it('reports every mistake of a file at once, in file order, with exact positions', () => {
    const text = [
      'services:', //                          1
      '  - name: web', //                      2
      '    listen: 10.0.0.1:80', //            3
      '    health:', //                        4
      '      type: tcp', //                    5
      '      interval: 2secs', //              6
      '    backends:', //                      7
      '      - address: 10.0.0.11:8080', //    8
      '        weight: 70000', //              9
      '      - address: 10.0.0.12:8080', //    10
      '        wieght: 2', //                  11
      '  - name: web', //                      12
      '    listen: 10.0.0.1:443', //           13
      '    backends:', //                      14
      '      - address: 10.0.0.256:443', //    15
    ].join('\n');
    expect(errorsOf(text, 'lab/rules.yaml')).toEqual([
      'lab/rules.yaml:6:17 services[0].health.interval: unknown unit "secs" in "2secs"; use ms, s, m, h or d',
      'lab/rules.yaml:9:17 services[0].backends[0].weight: must be an integer 0..65535',
      'lab/rules.yaml:11:9 services[0].backends[1].wieght: unknown key "wieght" (did you mean "weight"?)',
      'lab/rules.yaml:12:11 services[1].name: duplicate service name "web" (also services[0])',
      'lab/rules.yaml:15:18 services[1].backends[0].address: "10.0.0.256": 256 is not an octet (0..255)',
    ]);
  });

  it('keeps the structured list on the error', () => {
    try {
      loadRules(service('backends: [{ address: 10.0.0.2:80, weight: -1 }]'), 'r.yaml');
    } catch (error) {
      expect((error as RulesError).errors).toEqual([
        { file: 'r.yaml', line: 4, column: 48, path: 'services[0].backends[0].weight', message: 'must be an integer 0..65535' },
      ]);
      return;
    }
    throw new Error('expected a RulesError');
  });

  it('reports a YAML syntax error in the same format, with the path around it', () => {
    const text = service('backends:', '  - { address: 10.0.0.2:80, weight: 1', 'idle-timeout: 30s');
    expect(errorsOf(text)).toEqual([
      'rules.yaml:6:5 services[0].idle-timeout: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('explains an unquoted IPv6 endpoint, which YAML reads as a list', () => {
    expect(errorsOf(service('fallback: [::1]:80', 'backends: [{ address: 10.0.0.2:80 }]'))).toEqual([
      'rules.yaml:4:20 services[0].fallback: YAML syntax error: an IPv6 endpoint must be quoted, e.g. "[2001:db8::1]:80"',
    ]);
  });

  it('reports duplicate keys at the second occurrence, alongside other problems', () => {
    const text = service('listen: 10.0.0.2:80', 'backends: [{ address: 10.0.0.3:80, state: off }]');
    expect(errorsOf(text)).toEqual([
      'rules.yaml:4:5 services[0].listen: duplicate key "listen" (first at line 3)',
      'rules.yaml:5:47 services[0].backends[0].state: must be one of: enabled, drain, disabled',
    ]);
  });

  it('rejects an empty file, a file of comments, a list, a scalar and a mapping without services', () => {
    expect(errorsOf('', 'empty.yaml')).toEqual(['empty.yaml:1:1 (root): the file is empty; expected a mapping with a "services" list']);
    expect(errorsOf('# nothing yet\n')).toEqual(['rules.yaml:1:1 (root): the file is empty; expected a mapping with a "services" list']);
    expect(errorsOf('- name: web\n')).toEqual(['rules.yaml:1:1 (root): must be a mapping with a "services" list']);
    expect(errorsOf('hello\n')).toEqual(['rules.yaml:1:1 (root): must be a mapping with a "services" list']);
    expect(errorsOf('service:\n  - name: web\n')).toEqual([
      'rules.yaml:1:1 services: missing required key "services"',
      'rules.yaml:1:1 service: unknown key "service" (did you mean "services"?)',
    ]);
    expect(errorsOf('services: web\n')).toEqual(['rules.yaml:1:11 services: must be a list of services']);
  });

  it('rejects a second YAML document', () => {
    expect(errorsOf('services: []\n---\nservices: []\n')).toEqual([
      'rules.yaml:2:1 (root): YAML syntax error: a rule file holds one document (found a second "---")',
    ]);
  });

  it('points a missing key at the mapping it is missing from', () => {
    expect(errorsOf('services:\n  - name: web\n    backends: [{ address: 10.0.0.2:80 }]\n')).toEqual([
      'rules.yaml:2:5 services[0].listen: missing required key "listen"',
    ]);
  });

  it.each([
    ['weight: 1.5', 'backends: [{ address: 10.0.0.2:80, weight: 1.5 }]', '4:48 services[0].backends[0].weight: must be an integer 0..65535'],
    ['a bare number as duration', 'idle-timeout: 300', '4:19 services[0].idle-timeout: 300 has no unit; write "300ms" or "300s"'],
    ['a duration finer than 1ms', 'idle-timeout: 1.5ms', '4:19 services[0].idle-timeout: "1.5ms" is not a whole number of milliseconds'],
    ['a duration out of range', 'idle-timeout: 10ms', '4:19 services[0].idle-timeout: must be between 1s and 168h'],
    [
      'a host name',
      'fallback: sorry.example.com:80',
      '4:15 services[0].fallback: "sorry.example.com" is not an IP address; host names are not resolved, write an IP literal (e.g. 10.0.0.1:80 or [2001:db8::1]:80)',
    ],
    [
      'IPv6 without brackets',
      'fallback: "2001:db8::1:80"',
      '4:15 services[0].fallback: "2001:db8::1:80": an IPv6 address needs brackets, e.g. [2001:db8::1]:80',
    ],
    ['a missing port', 'fallback: 10.0.0.9', '4:15 services[0].fallback: "10.0.0.9" has no port; write ADDRESS:PORT, e.g. 10.0.0.1:80 or [2001:db8::1]:80'],
    ['port 0', 'fallback: 10.0.0.9:0', '4:15 services[0].fallback: "10.0.0.9:0": port 0 is out of range 1..65535'],
    ['port 65536', 'fallback: 10.0.0.9:65536', '4:15 services[0].fallback: "10.0.0.9:65536": port 65536 is out of range 1..65535'],
    [
      'a leading zero octet',
      'fallback: 10.0.0.09:80',
      '4:15 services[0].fallback: "10.0.0.09": leading zero in "09" is ambiguous (octal to some tools); write 9',
    ],
    ['a bad IPv6 group', 'fallback: "[2001:db8::g]:80"', '4:15 services[0].fallback: "2001:db8::g" is not an IPv6 address: bad group "g"'],
    ['two "::"', 'fallback: "[1::2::3]:80"', '4:15 services[0].fallback: "1::2::3" is not an IPv6 address: "::" may appear only once'],
    ['a fallback to nowhere', 'fallback: 0.0.0.0:80', '4:15 services[0].fallback: 0.0.0.0:80 is the unspecified address; flows need a real destination'],
    ['a fallback to itself', 'fallback: 10.0.0.1:80', "4:15 services[0].fallback: 10.0.0.1:80 is the service's own listen address (flows would loop)"],
    [
      'an unknown algorithm',
      'algorithm: round-robn',
      '4:16 services[0].algorithm: must be one of: round-robin, weighted-round-robin, least-connections, weighted-least-connections, two-choices, least-response-time, maglev (did you mean "round-robin"?)',
    ],
    ['maglev settings without maglev', 'hash-key: 5-tuple', '4:5 services[0].hash-key: only applies to algorithm: maglev (this service uses round-robin)'],
    [
      'a table size that is not prime',
      'algorithm: maglev\n    maglev-table-size: 65536',
      '5:24 services[0].maglev-table-size: 65536 is not a prime (nearest: 65521 or 65537)',
    ],
    ['a table size out of range', 'algorithm: maglev\n    maglev-table-size: 7', '5:24 services[0].maglev-table-size: must be a prime between 251 and 1000003'],
    [
      'a health timeout over the interval',
      'health: { type: tcp, interval: 1s, timeout: 2s }',
      '4:49 services[0].health.timeout: timeout 2s is longer than interval 1s; it must not be',
    ],
    [
      'an interval under the default timeout',
      'health: { type: tcp, interval: 500ms }',
      '4:36 services[0].health.interval: interval 500ms is shorter than the default timeout 1s; set a timeout too',
    ],
    ['an interval under 100ms', 'health: { type: tcp, interval: 50ms, timeout: 10ms }', '4:36 services[0].health.interval: must be between 100ms and 1h'],
    ['an http path without "/"', 'health: { type: http, path: healthz }', '4:33 services[0].health.path: must start with "/", e.g. /healthz'],
    ['a path for a tcp check', 'health: { type: tcp, path: /healthz }', '4:26 services[0].health.path: only applies to type: http'],
    [
      'an empty status range',
      'health: { type: http, path: /, expect: "399-200" }',
      '4:44 services[0].health.expect: range 399-200 is empty (the first code must not exceed the second)',
    ],
    [
      'a bad status',
      'health: { type: http, path: /, expect: 700 }',
      '4:44 services[0].health.expect: must be a status code (200), a class ("2xx") or a range ("200-399")',
    ],
    ['a missing health type', 'health: { interval: 1s }', '4:13 services[0].health.type: missing required key "type"'],
    ['an empty backend list', 'backends: []', '4:15 services[0].backends: must list at least one backend (a fallback alone is not a service)'],
    ['a bad name', 'name: "web frontend"', '4:11 services[0].name: must be 1..63 characters: letters, digits, ".", "_", "-", starting with a letter or digit'],
  ])('%s', (_, lines, expected) => {
    const withBackends = lines.includes('backends:') ? lines : `${lines}\n    backends: [{ address: 10.0.0.2:80 }]`;
    expect(errorsOf(service(...withBackends.split('\n').map((l) => l.replace(/^ {4}/, ''))))).toContain(`rules.yaml:${expected}`);
  });

  it('reports a duplicate backend and a backend that is the service itself', () => {
    const text = service('backends:', '  - address: 10.0.0.2:80', '  - address: 10.0.0.1:80', '  - address: 10.0.0.002:80', '  - address: 10.0.0.2:80');
    expect(errorsOf(text)).toEqual([
      "rules.yaml:6:18 services[0].backends[1].address: 10.0.0.1:80 is the service's own listen address (flows would loop)",
      'rules.yaml:7:18 services[0].backends[2].address: "10.0.0.002": leading zero in "002" is ambiguous (octal to some tools); write 2',
      'rules.yaml:8:18 services[0].backends[3].address: duplicate backend address 10.0.0.2:80 (also backends[0])',
    ]);
  });

  it('finds a duplicate listener even when spelled differently', () => {
    const text = [
      'services:',
      '  - { name: a, listen: "[2001:db8::1]:80", backends: [{ address: 10.0.0.2:80 }] }',
      '  - { name: b, listen: "[2001:DB8:0::0:1]:80", backends: [{ address: 10.0.0.2:80 }] }',
      '  - { name: c, listen: "[2001:db8::1]:80", protocol: udp, backends: [{ address: 10.0.0.2:80 }] }',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'rules.yaml:2:24 services[0].listen: [2001:db8::1]:80/tcp is also the listen address of service "b" (services[1])',
      'rules.yaml:3:24 services[1].listen: [2001:db8::1]:80/tcp is already the listen address of service "a" (services[0])',
    ]);
  });

  it('points into an anchor when the mistake is in shared, merged-in settings', () => {
    const text = [
      'x-health: &probe { type: http, path: /, interval: 1s, timeout: 5s }',
      'services:',
      '  - name: web',
      '    listen: 10.0.0.1:80',
      '    health: *probe',
      '    backends: [{ address: 10.0.0.2:80 }]',
    ].join('\n');
    // The unknown top-level key is reported too: anchors may only live inside the document's own keys.
    expect(errorsOf(text)).toEqual([
      'rules.yaml:1:1 x-health: unknown key "x-health" (expected one of: services)',
      'rules.yaml:1:64 services[0].health.timeout: timeout 5s is longer than interval 1s; it must not be',
    ]);
  });

  it('refuses an alias to an anchor that does not exist', () => {
    expect(errorsOf(service('health: *nothing', 'backends: [{ address: 10.0.0.2:80 }]'))).toEqual([
      'rules.yaml:4:13 services[0].health: alias *nothing refers to no anchor defined before it',
    ]);
  });
});

describe('loadRules on hostile input', () => {
  it('refuses a billion-laughs alias bomb instead of expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('services: *a8');
    // Refused at the alias where the expansion passes the limit, before anything is expanded.
    expect(errorsOf(lines.join('\n'))).toEqual(['rules.yaml:6:10 a5[0]: aliases expand to more than 100000 nodes, the limit for a rule table']);
  });

  it('reports absurd nesting where it passes the limit, before parsing it', () => {
    const [line] = errorsOf(`services: ${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expect(line).toBe('rules.yaml:1:74 (root): nested more than 64 levels deep, the most Fulcrum reads (a rule table needs 5)');
  });
});

describe('a file wrong everywhere', () => {
  it('lists the first MAX_REPORTED problems and counts the rest, quickly, one line each', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `  "junk-${i}\\n": 1`).join('\n');
    let error: unknown;
    try {
      loadRules(`services: []\n${keys.replaceAll('  "', '"')}\n`, 'wide.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RulesError);
    const lines = (error as RulesError).errors;
    expect(lines).toHaveLength(MAX_REPORTED + 1);
    expect(lines.at(-1)!.message).toMatch(/and \d+ more problems not listed/);
    expect(lines[0]!.message).toContain('\\n');
    expect(lines.every((e) => !e.message.includes('\n'))).toBe(true);
  });
});
