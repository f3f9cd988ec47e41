import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sealEnvelope, type Header, type LinkName } from '../../../../firmware/failover/envelope.js';
import { HeartbeatError, type HeartbeatErrorCode } from '../../../../firmware/failover/errors.js';
import { encodeHeartbeat, type Heartbeat } from '../../../../firmware/failover/heartbeat-codec.js';
import { decodeMessage, type Receiver } from '../../../../firmware/failover/message-codec.js';
import { encodeMirror, MAX_MIRROR_ENTRIES, type MirrorEntry } from '../../../../firmware/failover/mirror-codec.js';
import { ReplayGuard } from '../../../../firmware/failover/replay-guard.js';

const KEY = new TextEncoder().encode('a group key of thirty-two bytes!');
const OTHER_KEY = new TextEncoder().encode('another key, also long enough!!!');

const receiver = (over: Partial<Receiver> = {}): Receiver => ({ group: 'pair-a', key: KEY, link: 'udp', ownUnit: 9, guard: new ReplayGuard(), ...over });

const header = (over: Partial<Header> = {}): Header => ({ group: 'pair-a', unit: 1, epoch: 1_700_000_000_000, seq: 1, link: 'udp', ...over });

const heartbeat = (over: Partial<Heartbeat> = {}): Heartbeat => ({
  priority: 200,
  state: 'active',
  canServe: true,
  intervalMs: 150,
  tcpFlows: 12,
  configIdPrefix: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
  ...over,
});

function refusal(fn: () => unknown): HeartbeatErrorCode {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HeartbeatError);
    return (err as HeartbeatError).code;
  }
  throw new Error('accepted');
}

const arbHeader = fc.record({
  group: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/),
  unit: fc.integer({ min: 1, max: 8 }),
  epoch: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  seq: fc.integer({ min: 1, max: 0xffff_ffff }),
  link: fc.constantFrom<LinkName>('udp', 'serial'),
});

const arbHeartbeat = fc.record(
  {
    priority: fc.integer({ min: 1, max: 254 }),
    state: fc.constantFrom('active' as const, 'standby' as const, 'offline' as const),
    canServe: fc.boolean(),
    intervalMs: fc.integer({ min: 1, max: 0xffff }),
    tcpFlows: fc.integer({ min: 0, max: 0xffff_ffff }),
    configIdPrefix: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    // Absent as often as not: a heartbeat that says nothing of its config.
    configConfirm: fc.constantFrom('pending' as const, 'confirmed' as const),
  },
  { requiredKeys: ['priority', 'state', 'canServe', 'intervalMs', 'tcpFlows', 'configIdPrefix'] },
);

/** A heartbeat body written by hand, flags byte as given, sealed under KEY: what another firmware could send. */
function sealedWithFlags(flags: number): Uint8Array {
  return sealEnvelope(header(), 'heartbeat', KEY, (out) => {
    out.u8(200, 'priority');
    out.u8(1, 'state');
    out.u8(flags, 'flags');
    out.u16(150, 'intervalMs');
    out.u32(0, 'tcpFlows');
    out.fixed(new Uint8Array(8), 8, 'configIdPrefix');
  });
}

const arbWords = fc.oneof(fc.uint32Array({ minLength: 1, maxLength: 1 }), fc.uint32Array({ minLength: 4, maxLength: 4 }));
const arbEntry: fc.Arbitrary<MirrorEntry> = fc.oneof(
  fc.record({
    kind: fc.constant('persistence' as const),
    service: fc.integer({ min: 0, max: 0xffff }),
    words: arbWords,
    backend: fc.integer({ min: 0, max: 0xfffe }),
  }),
  fc.record({
    kind: fc.constant('udp-session' as const),
    service: fc.integer({ min: 0, max: 0xffff }),
    words: arbWords,
    port: fc.integer({ min: 0, max: 0xffff }),
    backend: fc.integer({ min: 0, max: 0xffff }),
  }),
);

describe('heartbeat codec', () => {
  it('decode(encode(x)) is x, for any header and heartbeat', () => {
    fc.assert(
      fc.property(arbHeader, arbHeartbeat, (h, hb) => {
        const bytes = encodeHeartbeat(h, hb, KEY);
        const m = decodeMessage(bytes, receiver({ group: h.group, link: h.link }));
        expect(m).toEqual({ kind: 'heartbeat', header: h, heartbeat: hb });
      }),
    );
  });

  it('carries the config flags, and reads a heartbeat without them as one that says nothing of its config', () => {
    for (const configConfirm of ['pending', 'confirmed'] as const) {
      const m = decodeMessage(encodeHeartbeat(header(), heartbeat({ configConfirm }), KEY), receiver());
      expect(m.kind === 'heartbeat' && m.heartbeat.configConfirm).toBe(configConfirm);
    }
    // The layout of firmware without the flags (bit 0 alone): the same bytes as a heartbeat saying nothing.
    const plain = sealedWithFlags(0x01);
    expect(plain).toEqual(encodeHeartbeat(header(), heartbeat({ state: 'active', canServe: true, tcpFlows: 0, configIdPrefix: new Uint8Array(8) }), KEY));
    const m = decodeMessage(plain, receiver());
    expect(m.kind === 'heartbeat' && 'configConfirm' in m.heartbeat).toBe(false);
    expect(decodeMessage(sealedWithFlags(0x02), receiver())).toMatchObject({ heartbeat: { canServe: false, configConfirm: 'pending' } });
    expect(decodeMessage(sealedWithFlags(0x05), receiver())).toMatchObject({ heartbeat: { canServe: true, configConfirm: 'confirmed' } });
    // Pending and confirmed at once, or a bit nobody defined: malformed, even under the right key.
    expect(refusal(() => decodeMessage(sealedWithFlags(0x06), receiver()))).toBe('malformed');
    expect(refusal(() => decodeMessage(sealedWithFlags(0x08), receiver()))).toBe('malformed');
  });

  it('refuses every single-byte change of a heartbeat', () => {
    fc.assert(
      fc.property(arbHeader, arbHeartbeat, fc.nat(), fc.integer({ min: 1, max: 255 }), (h, hb, where, xor) => {
        const bytes = encodeHeartbeat(h, hb, KEY);
        const changed = Uint8Array.from(bytes);
        changed[where % changed.length]! ^= xor;
        refusal(() => decodeMessage(changed, receiver({ group: h.group, link: h.link })));
      }),
    );
  });

  it('refuses a replay, and takes a later sequence number or a new epoch', () => {
    const r = receiver();
    decodeMessage(encodeHeartbeat(header({ seq: 5 }), heartbeat(), KEY), r);
    expect(refusal(() => decodeMessage(encodeHeartbeat(header({ seq: 5 }), heartbeat(), KEY), r))).toBe('replay');
    expect(refusal(() => decodeMessage(encodeHeartbeat(header({ seq: 4 }), heartbeat(), KEY), r))).toBe('replay');
    expect(decodeMessage(encodeHeartbeat(header({ seq: 6 }), heartbeat(), KEY), r).header.seq).toBe(6);
    // The peer rebooted: a new epoch starts its sequence again, and the old epoch is over.
    expect(decodeMessage(encodeHeartbeat(header({ epoch: 1_700_000_000_001, seq: 1 }), heartbeat(), KEY), r).header.seq).toBe(1);
    expect(refusal(() => decodeMessage(encodeHeartbeat(header({ seq: 7 }), heartbeat(), KEY), r))).toBe('replay');
  });

  it('keeps sequence numbers per link: the same heartbeat on both paths is taken on each', () => {
    const r = receiver();
    decodeMessage(encodeHeartbeat(header({ seq: 3 }), heartbeat(), KEY), r);
    expect(decodeMessage(encodeHeartbeat(header({ seq: 3, link: 'serial' }), heartbeat(), KEY), { ...r, link: 'serial' }).header.link).toBe('serial');
  });

  it('does not let a refused message advance the replay mark', () => {
    const r = receiver();
    const good = encodeHeartbeat(header({ seq: 10 }), heartbeat(), KEY);
    const forged = encodeHeartbeat(header({ seq: 11 }), heartbeat(), OTHER_KEY);
    expect(refusal(() => decodeMessage(forged, r))).toBe('badMac');
    expect(decodeMessage(good, r).header.seq).toBe(10);
  });

  it('refuses a wrong key, a wrong group, a copy moved to the other link, its own unit, and junk, each with its code', () => {
    const bytes = encodeHeartbeat(header(), heartbeat(), KEY);
    expect(refusal(() => decodeMessage(bytes, receiver({ key: OTHER_KEY })))).toBe('badMac');
    expect(refusal(() => decodeMessage(bytes, receiver({ group: 'pair-b' })))).toBe('wrongGroup');
    expect(refusal(() => decodeMessage(bytes, receiver({ link: 'serial' })))).toBe('wrongLink');
    expect(refusal(() => decodeMessage(bytes, receiver({ ownUnit: 1 })))).toBe('ownUnit');
    expect(refusal(() => decodeMessage(new Uint8Array(0), receiver()))).toBe('malformed');
    expect(refusal(() => decodeMessage(new Uint8Array(2000), receiver()))).toBe('malformed');
    expect(refusal(() => decodeMessage(bytes.subarray(0, bytes.length - 1), receiver()))).not.toBe(undefined);
  });

  it('never throws anything but a HeartbeatError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        refusal(() => decodeMessage(bytes, receiver()));
      }),
    );
  });

  it('refuses to encode what the decoder would refuse', () => {
    expect(() => encodeHeartbeat(header(), heartbeat({ priority: 0 }), KEY)).toThrow(RangeError);
    expect(() => encodeHeartbeat(header(), heartbeat({ priority: 255 }), KEY)).toThrow(RangeError);
    expect(() => encodeHeartbeat(header({ seq: 2 ** 32 }), heartbeat(), KEY)).toThrow(RangeError);
  });
});

describe('mirror codec', () => {
  it('decode(encode(x)) is x for any batch, and every single-byte change is refused', () => {
    fc.assert(
      fc.property(
        arbHeader,
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.array(arbEntry, { minLength: 1, maxLength: MAX_MIRROR_ENTRIES }),
        fc.nat(),
        (h, configIdPrefix, entries, where) => {
          const bytes = encodeMirror(h, { configIdPrefix, entries }, KEY);
          const r = () => receiver({ group: h.group, link: h.link });
          expect(decodeMessage(bytes, r())).toEqual({ kind: 'mirror', header: h, mirror: { configIdPrefix, entries } });
          const changed = Uint8Array.from(bytes);
          changed[where % changed.length]! ^= 0x40;
          refusal(() => decodeMessage(changed, r()));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds a full batch of IPv6 sessions in one message', () => {
    const entries: MirrorEntry[] = Array.from({ length: MAX_MIRROR_ENTRIES }, (_, i) => ({
      kind: 'udp-session',
      service: i,
      words: Uint32Array.of(i, i, i, i),
      port: 40_000 + i,
      backend: 3,
    }));
    const name = 'a'.repeat(32);
    expect(() => encodeMirror(header({ group: name }), { configIdPrefix: new Uint8Array(8), entries }, KEY)).not.toThrow();
    expect(() => encodeMirror(header(), { configIdPrefix: new Uint8Array(8), entries: [] }, KEY)).toThrow(RangeError);
  });
});
