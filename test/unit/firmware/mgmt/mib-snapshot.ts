import type { MibViewInput } from '../../../../firmware/mgmt/mib-view.js';
import type { BackendCounters } from '../../../../src/protocol/counters.js';

export const NOW = 1_700_000_100_000;

export function backend(address: string, over: Partial<BackendCounters> = {}): BackendCounters {
  return {
    address,
    state: 'up',
    weight: 1,
    backup: false,
    connsTotal: 0n,
    connsActive: 0,
    bytesIn: 0n,
    bytesOut: 0n,
    connectFailures: 0n,
    lastChange: NOW - 100_000,
    ...over,
  };
}

/** A known state: two services (api with 2 backends, web with 3), 100 s of uptime. */
export function knownInput(over: Partial<MibViewInput> = {}): MibViewInput {
  return {
    identity: { model: 'FL-1000', serialNumber: 'FL0000000042', firmware: '1.2.3' },
    sysName: 'edge-1',
    sysContact: 'noc@example.net',
    sysLocation: 'rack 4',
    configId: 'ab'.repeat(32),
    startupConfigId: 'cd'.repeat(32),
    pendingConfirmMs: 29_001,
    uptimeMs: 100_000,
    nowEpochMs: NOW,
    lastCommitEpochMs: NOW - 40_000,
    lastOperation: null,
    counters: {
      services: [
        {
          name: 'api',
          listen: '[2001:db8::1]:443',
          protocol: 'tcp',
          connsTotal: 10n,
          connsActive: 2,
          bytesIn: 1000n,
          bytesOut: 2000n,
          failures: 1n,
          fallbackConns: 0n,
          backends: [
            backend('192.0.2.1:80', { connsTotal: 6n, state: 'down', lastChange: NOW - 5_000 }),
            backend('192.0.2.2:80', { connsTotal: 4n, weight: 3, backup: true }),
          ],
        },
        {
          name: 'web',
          listen: '198.51.100.1:80',
          protocol: 'udp',
          connsTotal: 2n ** 63n + 5n,
          connsActive: 0,
          bytesIn: 0n,
          bytesOut: 0n,
          failures: 0n,
          fallbackConns: 7n,
          backends: [
            backend('192.0.2.10:53', { state: 'drain' }),
            backend('192.0.2.11:53', { state: 'disabled', connectFailures: 9n }),
            backend('192.0.2.12:53', { bytesIn: 123_456_789_012n }),
          ],
        },
      ],
    },
    ...over,
  };
}
