/**
 * Messages of the serial management channel (docs/protocol.md, "Serial management channel").
 * A request travels agent → appliance; each request gets exactly one response with the same
 * sequence number (an `ok` of the matching kind, or an `error`). Events travel appliance →
 * agent unsolicited, best effort.
 */

export const PROTOCOL_VERSION = 1;

/** Message type codes. Bit 7 set: appliance → agent. */
export const MessageType = {
  hello: 0x01,
  info: 0x02,
  read: 0x03,
  putBegin: 0x04,
  putChunk: 0x05,
  putEnd: 0x06,
  commit: 0x07,
  confirm: 0x08,
  rollback: 0x09,
  fwBegin: 0x0a,
  fwChunk: 0x0b,
  fwEnd: 0x0c,
  fwActivate: 0x0d,
  fwConfirm: 0x0e,
  fwRollback: 0x0f,
  fwStatus: 0x10,
  reboot: 0x11,
  groupAction: 0x12,
  helloOk: 0x81,
  infoOk: 0x82,
  readOk: 0x83,
  putBeginOk: 0x84,
  putChunkOk: 0x85,
  putEndOk: 0x86,
  commitOk: 0x87,
  confirmOk: 0x88,
  rollbackOk: 0x89,
  fwBeginOk: 0x8a,
  fwChunkOk: 0x8b,
  fwEndOk: 0x8c,
  fwActivateOk: 0x8d,
  fwConfirmOk: 0x8e,
  fwRollbackOk: 0x8f,
  fwStatusOk: 0x90,
  rebootOk: 0x91,
  groupActionOk: 0x92,
  readSlot: 0x20,
  commitNote: 0x21,
  commitNoteOk: 0xa1,
  error: 0xe0,
  event: 0xf0,
} as const;
export type MessageTypeName = keyof typeof MessageType;

/** Typed error codes carried by an `error` response. */
export const ErrorCode = {
  /** The request's payload could not be decoded. */
  badRequest: 1,
  /** Unknown message type or protocol version. */
  unsupported: 2,
  /** A patch names a base config id that is not the running one. */
  baseMismatch: 3,
  /** The assembled candidate's SHA-256 is not the one announced. */
  hashMismatch: 4,
  /** The candidate bytes are not a valid canonical rule table. */
  invalidConfig: 5,
  /** put-chunk/put-end without a put-begin, or a chunk outside the announced size. */
  noTransfer: 6,
  /** commit without a candidate. */
  noCandidate: 7,
  /** confirm without a pending commit. */
  nothingToConfirm: 8,
  /** rollback further back than the history holds. */
  noSuchRollback: 9,
  /** The appliance could not apply the change (e.g. a listen address in use); nothing changed. */
  applyFailed: 10,
  /** A read of an unknown object, or at an offset past its end, or of a snapshot gone stale. */
  badRead: 11,
  /** Storage failed; the running config is unchanged. */
  storage: 12,
  /** The firmware image failed verification (hash, signature, key, security counter, format); the message names the check. */
  imageRejected: 13,
  /** A firmware operation that the boot state does not allow now (a trial pending, nothing to confirm or roll back to). */
  firmwareState: 14,
  /** A failover-group operator action on an appliance that belongs to no group. */
  notInGroup: 15,
  /** A failover-group operator action the member's state does not allow now (nothing would change, or no live peer would take over). */
  failoverState: 16,
} as const;
export type ErrorCodeName = keyof typeof ErrorCode;

export interface Identity {
  model: string;
  serialNumber: string;
  firmware: string;
  /** Running config id: 32 bytes of SHA-256. */
  configId: Uint8Array;
  uptimeSeconds: number;
  /** Milliseconds until an unconfirmed commit reverts; 0 when none is pending. */
  pendingConfirmMs: number;
  /** The appliance's failover group, when it belongs to one (absent on the wire otherwise). */
  group?: GroupMembership;
}

export type GroupState = 'active' | 'standby' | 'offline';

/** What an operator may tell a group member (like `tmsh run sys failover standby | offline | online`). */
export type GroupAction = 'standby' | 'offline' | 'online';

export interface GroupMembership {
  name: string;
  unit: number;
  state: GroupState;
}

/** What a `read` can fetch. Large objects are read in pieces from a snapshot taken at offset 0. */
export const ReadObject = { running: 1, candidate: 2, counters: 3 } as const;
export type ReadObjectName = keyof typeof ReadObject;

/**
 * What a `readSlot` can fetch: the startup config, the candidate, rollback N (index 1..), or
 * the history list itself (payload-config-slots.ts encodes it). Read in pieces like `read`.
 */
export const ConfigSlot = { startup: 1, candidate: 2, rollback: 3, history: 4 } as const;
export type ConfigSlotName = keyof typeof ConfigSlot;

export const PutMode = { full: 0, patch: 1 } as const;
export type PutModeName = keyof typeof PutMode;

export type Request =
  | { type: 'hello'; maxPayload: number; window: number; sessionId: number }
  | { type: 'info' }
  | { type: 'read'; object: ReadObjectName; offset: number; maxBytes: number }
  /** Like `read`, of a config slot; answered with `readOk`. index: N for rollback, else 0. */
  | { type: 'readSlot'; slot: ConfigSlotName; index: number; offset: number; maxBytes: number }
  /** Who pushes and why: kept by the appliance for the next commit of this session, then shown with that config in the history. */
  | { type: 'commitNote'; by: string; comment: string }
  /**
   * Starts a candidate transfer of `size` bytes. full: the bytes are a canonical rule table.
   * patch: the bytes are a patch (src/protocol/rules/patch.ts) against the running encoding,
   * whose config id starts with `baseIdPrefix`. Either way the result's SHA-256 must start with
   * `resultIdPrefix` (8 bytes: enough against mistakes, CRC guards the frames).
   * With `commitAfter`, put-end also commits (saves a round trip on small pushes).
   */
  | { type: 'putBegin'; mode: PutModeName; size: number; baseIdPrefix: Uint8Array; resultIdPrefix: Uint8Array; commitAfter: boolean; confirmTimeoutMs: number }
  | { type: 'putChunk'; offset: number; bytes: Uint8Array }
  | { type: 'putEnd' }
  /** confirmTimeoutMs 0: a plain commit, saved as startup config at once. */
  | { type: 'commit'; confirmTimeoutMs: number }
  | { type: 'confirm' }
  | { type: 'rollback'; steps: number }
  /** Starts (or resumes) a firmware upload into the inactive slot; the answer says from where to send. */
  | { type: 'fwBegin'; size: number; sha256: Uint8Array }
  | { type: 'fwChunk'; offset: number; bytes: Uint8Array }
  /** Verifies the uploaded image (hash, signature, security counter); the slot becomes ready. */
  | { type: 'fwEnd' }
  /** The ready slot boots on trial at the next reboot. */
  | { type: 'fwActivate' }
  | { type: 'fwConfirm' }
  | { type: 'fwRollback' }
  | { type: 'fwStatus' }
  /** Answered, then the appliance restarts (its console goes quiet until it is back). */
  | { type: 'reboot' }
  /**
   * An operator action on the appliance's failover membership: standby (an active yields to a
   * peer), offline (forced out of the election), online (back in it). Answered with the state after it.
   */
  | { type: 'groupAction'; action: GroupAction };

/** Firmware slot states on the wire (firmware/boot/status.ts). */
export const SlotStateCode = { empty: 0, writing: 1, ready: 2, pending: 3, trial: 4, confirmed: 5, invalid: 6 } as const;
export type SlotStateName = keyof typeof SlotStateCode;

export interface FirmwareSlot {
  slot: 'A' | 'B';
  state: SlotStateName;
  /** '' when the slot holds no image. */
  version: string;
  /** null when the slot holds no image. */
  securityCounter: number | null;
}

export interface FirmwareStatus {
  active: { slot: 'A' | 'B'; version: string; confirmed: boolean };
  slots: FirmwareSlot[];
  minSecurityCounter: number;
  attemptsLeft: number;
}

export type Response =
  | { type: 'helloOk'; maxPayload: number; window: number; identity: Identity }
  | { type: 'infoOk'; identity: Identity }
  /** `snapshot` identifies the snapshot taken at offset 0; a reader restarts if it changes. */
  | { type: 'readOk'; snapshot: number; total: number; offset: number; bytes: Uint8Array }
  | { type: 'putBeginOk' }
  | { type: 'putChunkOk'; offset: number }
  /** candidateId: the assembled candidate's id; when committed, also the new running id. */
  | { type: 'putEndOk'; candidateId: Uint8Array; committed: boolean; previousId: Uint8Array }
  | { type: 'commitOk'; configId: Uint8Array; previousId: Uint8Array }
  | { type: 'confirmOk'; configId: Uint8Array }
  | { type: 'rollbackOk'; configId: Uint8Array }
  | { type: 'fwBeginOk'; resumeOffset: number }
  | { type: 'fwChunkOk'; offset: number }
  | { type: 'fwEndOk'; slot: 'A' | 'B'; version: string; securityCounter: number }
  | { type: 'fwActivateOk'; slot: 'A' | 'B'; version: string }
  | { type: 'fwConfirmOk'; slot: 'A' | 'B'; version: string }
  | { type: 'fwRollbackOk'; slot: 'A' | 'B'; version: string }
  | { type: 'fwStatusOk'; status: FirmwareStatus }
  | { type: 'rebootOk' }
  | { type: 'groupActionOk'; group: GroupMembership }
  | { type: 'commitNoteOk' }
  | { type: 'error'; code: ErrorCodeName; message: string };

export type ApplianceEventMessage =
  | { type: 'event'; kind: 'backend-state'; at: number; service: string; address: string; up: boolean }
  | { type: 'event'; kind: 'commit'; at: number; configId: Uint8Array; pendingConfirm: boolean }
  | { type: 'event'; kind: 'rollback'; at: number; configId: Uint8Array; reason: 'confirm-timeout' | 'operator' };

export type Message = Request | Response | ApplianceEventMessage;

/** One frame: header fields plus the decoded message. */
export interface Frame {
  version: number;
  seq: number;
  message: Message;
}
