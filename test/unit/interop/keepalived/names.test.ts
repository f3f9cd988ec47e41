import { describe, expect, it } from 'vitest';
import { derivedName } from '../../../../src/interop/keepalived/names.js';
import { nameProblem } from '../../../../src/protocol/rules/limits.js';

describe('keepalived service names', () => {
  it('come from the address, port and protocol, and are valid Fulcrum names', () => {
    expect(derivedName('10.0.0.1:80', 'tcp')).toBe('vs-10.0.0.1-80');
    expect(derivedName('10.0.0.1:53', 'udp')).toBe('vs-10.0.0.1-53-udp');
    expect(derivedName('[2001:db8::1]:443', 'tcp')).toBe('vs-2001_db8__1-443');
    const longest = derivedName('[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535', 'udp');
    expect(nameProblem(longest)).toBeNull();
  });
});
