/**
 * The URL an appliance fetches its image from: the API's own address, or — when it listens on
 * every address — the address this host uses toward the appliance.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { imageUrlFor, targetHost } from '../../../src/api/image-url.js';

const SHA = 'a'.repeat(64);

describe('imageUrlFor', () => {
  let server: Server | null = null;
  const listen = async (host: string) => {
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(0, host, resolve));
    return (server.address() as AddressInfo).port;
  };
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = null;
  });

  it('uses the address the API listens on', async () => {
    const port = await listen('127.0.0.1');
    expect(await imageUrlFor(server!, '192.0.2.7', SHA)).toBe(`http://127.0.0.1:${port}/api/v1/firmware/${SHA}/image`);
  });

  it('on a wildcard address, uses the local address toward the appliance', async () => {
    const port = await listen('0.0.0.0');
    expect(await imageUrlFor(server!, '127.0.0.1', SHA)).toBe(`http://127.0.0.1:${port}/api/v1/firmware/${SHA}/image`);
  });

  it('refuses when the API does not listen at all', async () => {
    server = createServer();
    await expect(imageUrlFor(server, '127.0.0.1', SHA)).rejects.toThrow(/does not listen on HTTP/);
  });

  it('takes the host out of an SNMP target, IPv6 brackets removed', () => {
    expect(targetHost('snmp://10.0.0.5:161')).toBe('10.0.0.5');
    expect(targetHost('snmp://[::1]:1161')).toBe('::1');
    expect(targetHost('snmp://edge-1.lab')).toBe('edge-1.lab');
  });
});
