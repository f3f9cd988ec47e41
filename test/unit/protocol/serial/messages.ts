/** Sample messages (one of every type and event kind) and fast-check generators of valid messages. */

import fc from 'fast-check';
import {
  ErrorCode,
  MessageType,
  PutMode,
  ReadObject,
  SlotStateCode,
  type ApplianceEventMessage,
  type SlotStateName,
  type ErrorCodeName,
  type Identity,
  type Message,
  type MessageTypeName,
  type PutModeName,
  type ReadObjectName,
  type Request,
  type Response,
} from '../../../../src/protocol/serial/messages.js';

export const id = (fill: number) => new Uint8Array(32).fill(fill);
export const prefix = (fill: number) => new Uint8Array(8).fill(fill);

export const IDENTITY: Identity = {
  model: 'FLC-2000',
  serialNumber: 'SIM-000042',
  firmware: '1.4.0+sim',
  configId: id(0xab),
  uptimeSeconds: 86_400,
  pendingConfirmMs: 0,
};

/** One message of every type (and every event kind). */
export const SAMPLES: Message[] = [
  { type: 'hello', maxPayload: 4096, window: 32, sessionId: 0xdeadbeef },
  { type: 'info' },
  { type: 'read', object: 'counters', offset: 8192, maxBytes: 4084 },
  { type: 'putBegin', mode: 'patch', size: 18, baseIdPrefix: prefix(0x11), resultIdPrefix: prefix(0x22), commitAfter: true, confirmTimeoutMs: 600_000 },
  { type: 'putChunk', offset: 0, bytes: Uint8Array.from([1, 0, 2, 0xff, 0]) },
  { type: 'putEnd' },
  { type: 'commit', confirmTimeoutMs: 0 },
  { type: 'confirm' },
  { type: 'rollback', steps: 2 },
  { type: 'readSlot', slot: 'rollback', index: 3, offset: 1000, maxBytes: 1000 },
  { type: 'commitNote', by: 'ada@ops-1', comment: 'raise api weights' },
  { type: 'commitNoteOk' },
  { type: 'helloOk', maxPayload: 2048, window: 8, identity: IDENTITY },
  { type: 'infoOk', identity: { ...IDENTITY, pendingConfirmMs: 59_000, model: 'Übermodell ✓' } },
  { type: 'readOk', snapshot: 7, total: 100, offset: 90, bytes: new Uint8Array(10).fill(0) },
  { type: 'putBeginOk' },
  { type: 'putChunkOk', offset: 4092 },
  { type: 'putEndOk', candidateId: id(1), committed: true, previousId: id(2) },
  { type: 'commitOk', configId: id(3), previousId: id(4) },
  { type: 'confirmOk', configId: id(5) },
  { type: 'rollbackOk', configId: id(6) },
  { type: 'error', code: 'baseMismatch', message: 'running config is not 1111111111111111' },
  { type: 'fwBegin', size: 262_144, sha256: id(9) },
  { type: 'fwChunk', offset: 65_536, bytes: Uint8Array.from([0, 0xff, 7]) },
  { type: 'fwEnd' },
  { type: 'fwActivate' },
  { type: 'fwConfirm' },
  { type: 'fwRollback' },
  { type: 'fwStatus' },
  { type: 'reboot' },
  { type: 'groupAction', action: 'standby' },
  { type: 'groupActionOk', group: { name: 'pair', unit: 2, state: 'active' } },
  { type: 'fwBeginOk', resumeOffset: 196_608 },
  { type: 'fwChunkOk', offset: 65_536 },
  { type: 'fwEndOk', slot: 'B', version: '2.1.0+7', securityCounter: 5 },
  { type: 'fwActivateOk', slot: 'B', version: '2.1.0+7' },
  { type: 'fwConfirmOk', slot: 'B', version: '2.1.0+7' },
  { type: 'fwRollbackOk', slot: 'A', version: '1.0.0' },
  {
    type: 'fwStatusOk',
    status: {
      active: { slot: 'A', version: '1.0.0', confirmed: false },
      slots: [
        { slot: 'A', state: 'trial', version: '1.0.0', securityCounter: 0 },
        { slot: 'B', state: 'empty', version: '', securityCounter: null },
      ],
      minSecurityCounter: 0,
      attemptsLeft: 2,
    },
  },
  { type: 'rebootOk' },
  { type: 'event', kind: 'backend-state', at: 1_700_000_000_123, service: 'web', address: '[2001:db8::1]:80', up: false },
  { type: 'event', kind: 'commit', at: 1_700_000_000_456, configId: id(7), pendingConfirm: true },
  { type: 'event', kind: 'rollback', at: 1_700_000_000_789, configId: id(8), reason: 'confirm-timeout' },
];

export const ALL_TYPE_NAMES = Object.keys(MessageType) as MessageTypeName[];

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** Text of at most `maxBytes` UTF-8 bytes: ASCII up to the limit, or any code points (≤ 4 bytes each). */
const text = (maxBytes: number) =>
  fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: maxBytes }), fc.string({ unit: 'binary', maxLength: Math.floor(maxBytes / 4) }));
const names = <T extends string>(table: Record<T, number>) => fc.constantFrom(...(Object.keys(table) as T[]));

const identity: fc.Arbitrary<Identity> = fc.record({
  model: text(40),
  serialNumber: text(40),
  firmware: text(40),
  configId: bytesN(32),
  uptimeSeconds: u32,
  pendingConfirmMs: u32,
});

const maxPayload = fc.integer({ min: 1024, max: 0xffff });
const window = fc.integer({ min: 1, max: 0xff });

export const request: fc.Arbitrary<Request> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), maxPayload, window, sessionId: u32 }),
  fc.constant({ type: 'info' as const }),
  fc.record({ type: fc.constant('read' as const), object: names<ReadObjectName>(ReadObject), offset: u32, maxBytes: fc.integer({ min: 1, max: 0xffff }) }),
  fc.record({
    type: fc.constant('putBegin' as const),
    mode: names<PutModeName>(PutMode),
    size: u32,
    baseIdPrefix: bytesN(8),
    resultIdPrefix: bytesN(8),
    commitAfter: fc.boolean(),
    confirmTimeoutMs: u32,
  }),
  fc.record({ type: fc.constant('putChunk' as const), offset: u32, bytes: fc.uint8Array({ maxLength: 300 }) }),
  fc.constant({ type: 'putEnd' as const }),
  fc.record({ type: fc.constant('commit' as const), confirmTimeoutMs: u32 }),
  fc.constant({ type: 'confirm' as const }),
  fc.record({ type: fc.constant('rollback' as const), steps: fc.integer({ min: 1, max: 0xff }) }),
  fc.oneof(
    fc.record({
      type: fc.constant('readSlot' as const),
      slot: fc.constant('rollback' as const),
      index: fc.integer({ min: 1, max: 0xff }),
      offset: u32,
      maxBytes: fc.integer({ min: 1, max: 0xffff }),
    }),
    fc.record({
      type: fc.constant('readSlot' as const),
      slot: fc.constantFrom('startup' as const, 'candidate' as const, 'history' as const),
      index: fc.constant(0),
      offset: u32,
      maxBytes: fc.integer({ min: 1, max: 0xffff }),
    }),
  ),
  fc.record({ type: fc.constant('commitNote' as const), by: text(255), comment: text(255) }),
  fc.record({ type: fc.constant('fwBegin' as const), size: u32, sha256: bytesN(32) }),
  fc.record({ type: fc.constant('fwChunk' as const), offset: u32, bytes: fc.uint8Array({ maxLength: 300 }) }),
  fc.constantFrom(
    { type: 'fwEnd' as const },
    { type: 'fwActivate' as const },
    { type: 'fwConfirm' as const },
    { type: 'fwRollback' as const },
    { type: 'fwStatus' as const },
    { type: 'reboot' as const },
  ),
  fc.record({ type: fc.constant('groupAction' as const), action: fc.constantFrom('standby' as const, 'offline' as const, 'online' as const) }),
);

const slot = fc.constantFrom('A' as const, 'B' as const);
const version = text(40);
const slotStatus = fc.record({
  slot,
  state: names<SlotStateName>(SlotStateCode),
  version,
  securityCounter: fc.option(fc.integer({ min: 0, max: 0xffff_fffe }), { nil: null }),
});

export const response: fc.Arbitrary<Response> = fc.oneof(
  fc.record({ type: fc.constant('helloOk' as const), maxPayload, window, identity }),
  fc.record({ type: fc.constant('infoOk' as const), identity }),
  fc
    .record({ snapshot: u32, offset: fc.integer({ min: 0, max: 0xffff_0000 }), bytes: fc.uint8Array({ maxLength: 300 }), slack: u16 })
    .map(({ snapshot, offset, bytes, slack }) => ({
      type: 'readOk' as const,
      snapshot,
      offset,
      bytes,
      total: offset + bytes.length + Math.min(slack, 0xffff_ffff - offset - bytes.length),
    })),
  fc.constant({ type: 'putBeginOk' as const }),
  fc.record({ type: fc.constant('putChunkOk' as const), offset: u32 }),
  fc.record({ type: fc.constant('putEndOk' as const), candidateId: bytesN(32), committed: fc.boolean(), previousId: bytesN(32) }),
  fc.record({ type: fc.constant('commitOk' as const), configId: bytesN(32), previousId: bytesN(32) }),
  fc.record({ type: fc.constant('confirmOk' as const), configId: bytesN(32) }),
  fc.record({ type: fc.constant('rollbackOk' as const), configId: bytesN(32) }),
  fc.record({ type: fc.constant('error' as const), code: names<ErrorCodeName>(ErrorCode), message: text(255) }),
  fc.record({ type: fc.constant('fwBeginOk' as const), resumeOffset: u32 }),
  fc.record({ type: fc.constant('fwChunkOk' as const), offset: u32 }),
  fc.record({ type: fc.constant('fwEndOk' as const), slot, version, securityCounter: u32 }),
  fc.record({ type: fc.constantFrom('fwActivateOk' as const, 'fwConfirmOk' as const, 'fwRollbackOk' as const), slot, version }),
  fc.record({
    type: fc.constant('fwStatusOk' as const),
    status: fc.record({
      active: fc.record({ slot, version, confirmed: fc.boolean() }),
      slots: fc.array(slotStatus, { maxLength: 2 }),
      minSecurityCounter: u32,
      attemptsLeft: fc.integer({ min: 0, max: 0xff }),
    }),
  }),
  fc.constant({ type: 'rebootOk' as const }),
  fc.record({
    type: fc.constant('groupActionOk' as const),
    group: fc.record({
      name: fc.oneof(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 32 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 8 })),
      unit: fc.integer({ min: 1, max: 0xff }),
      state: fc.constantFrom('active' as const, 'standby' as const, 'offline' as const),
    }),
  }),
  fc.constant({ type: 'commitNoteOk' as const }),
);

const at = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

export const event: fc.Arbitrary<ApplianceEventMessage> = fc.oneof(
  fc.record({ type: fc.constant('event' as const), kind: fc.constant('backend-state' as const), at, service: text(63), address: text(60), up: fc.boolean() }),
  fc.record({ type: fc.constant('event' as const), kind: fc.constant('commit' as const), at, configId: bytesN(32), pendingConfirm: fc.boolean() }),
  fc.record({
    type: fc.constant('event' as const),
    kind: fc.constant('rollback' as const),
    at,
    configId: bytesN(32),
    reason: fc.constantFrom('confirm-timeout' as const, 'operator' as const),
  }),
);

export const message: fc.Arbitrary<Message> = fc.oneof(request, response, event);
