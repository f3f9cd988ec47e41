import fc from 'fast-check';
import {
  CountersError,
  decodeCounters,
  encodeCounters,
  type BackendCounters,
  type CountersSnapshot,
  type ServiceCounters,
} from '../../../src/protocol/counters.js';
import { endpointText } from '../../unit/protocol/rules/arbitraries.js';
import { concat, mutate, mutations } from '../mutate.js';
import { ensure, expectOnly, hex, sameBytes, target } from '../target.js';

const u64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

const backend: fc.Arbitrary<BackendCounters> = fc.record({
  address: endpointText,
  state: fc.constantFrom('up' as const, 'down' as const, 'drain' as const, 'disabled' as const),
  weight: fc.integer({ min: 0, max: 0xffff }),
  backup: fc.boolean(),
  connsTotal: u64,
  connsActive: u32,
  bytesIn: u64,
  bytesOut: u64,
  connectFailures: u64,
  lastChange: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

const service: fc.Arbitrary<ServiceCounters> = fc.record({
  name: fc.string({ unit: 'binary-ascii', maxLength: 63 }),
  listen: endpointText,
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  connsTotal: u64,
  connsActive: u32,
  bytesIn: u64,
  bytesOut: u64,
  failures: u64,
  fallbackConns: u64,
  backends: fc.array(backend, { maxLength: 4 }),
});

const encoded = fc.array(service, { maxLength: 4 }).map((services): Uint8Array => encodeCounters({ services } satisfies CountersSnapshot));

const input = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc.uint8Array({ maxLength: 400 }).map((b) => concat(Uint8Array.of(1), b)),
  fc.tuple(encoded, encoded, mutations(4)).map(([bytes, donor, m]) => mutate(bytes, m, donor)),
);

export default target({
  name: 'counters',
  what: 'decodeCounters on random and damaged snapshots: a snapshot or CountersError (offset within the input); an accepted snapshot re-encodes to the same bytes',
  arbitrary: input,
  check: (bytes) => {
    const r = expectOnly(() => decodeCounters(bytes), CountersError);
    if (r.error) {
      const { offset } = r.error as CountersError;
      ensure(Number.isInteger(offset) && offset >= 0 && offset <= bytes.length, () => `CountersError offset ${offset} outside 0..${bytes.length}`);
      return;
    }
    const again = encodeCounters(r.value);
    ensure(sameBytes(again, bytes), () => `accepted ${hex(bytes).slice(0, 120)}…, which re-encodes to ${hex(again).slice(0, 120)}…`);
  },
});
