import { describe, expect, it } from 'vitest';
import { endpointFrom, familyOf, hostOf, isWildcard, portOf, splitHostPort } from '../../../src/interop/address.js';

describe('splitHostPort', () => {
  it('splits bracketed IPv6, IPv4, and unbracketed IPv6 at the last colon (HAProxy)', () => {
    expect(splitHostPort('[2001:db8::1]:80')).toEqual({ host: '2001:db8::1', port: '80' });
    expect(splitHostPort('10.0.0.1:80')).toEqual({ host: '10.0.0.1', port: '80' });
    expect(splitHostPort(':::80')).toEqual({ host: '::', port: '80' });
    expect(splitHostPort('10.0.0.1')).toEqual({ host: '10.0.0.1', port: null });
    expect(splitHostPort('[::1]')).toEqual({ host: '::1', port: null });
  });
});

describe('endpointFrom', () => {
  it('gives the canonical spelling', () => {
    expect(endpointFrom('2001:DB8:0:0::1', '443')).toEqual({ endpoint: '[2001:db8::1]:443' });
    expect(endpointFrom('0.0.0.0', 53)).toEqual({ endpoint: '0.0.0.0:53' });
  });

  it('refuses host names, bad literals and bad ports with a reason', () => {
    expect(endpointFrom('web3', '80')).toEqual({ problem: expect.stringContaining('host name') });
    expect(endpointFrom('10.0.0.256', '80')).toEqual({ problem: expect.stringContaining('not an octet') });
    expect(endpointFrom('10.0.0.1', '0')).toEqual({ problem: expect.stringContaining('1..65535') });
    expect(endpointFrom('10.0.0.1', 'http')).toEqual({ problem: expect.stringContaining('port') });
  });
});

describe('endpoint helpers', () => {
  it('tell wildcards, families, hosts and ports', () => {
    expect(isWildcard('0.0.0.0:80')).toBe(true);
    expect(isWildcard('[::]:80')).toBe(true);
    expect(isWildcard('10.0.0.1:80')).toBe(false);
    expect(familyOf('[::1]:80')).toBe(6);
    expect(familyOf('10.0.0.1:80')).toBe(4);
    expect(hostOf('[::1]:80')).toBe('::1');
    expect(portOf('[::1]:8080')).toBe(8080);
  });
});
