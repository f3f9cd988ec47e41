/**
 * Event payloads (type 0xf0, appliance → agent, unsolicited):
 *
 *   event := u8 kind  u64 at (epoch ms)  body
 *     kind 1 backend-state  str8 service  str8 address  u8 up (0/1)
 *     kind 2 commit         32 configId  u8 pendingConfirm (0/1)
 *     kind 3 rollback       32 configId  u8 reason (0 confirm-timeout, 1 operator)
 *
 * `at` is whole milliseconds: the encoder drops a fraction (a simulated clock may have one).
 */

import type { ApplianceEventMessage } from './messages.js';
import { ID_BYTES } from './payload-responses.js';
import type { ByteReader, ByteWriter } from '../bytes/index.js';

type Kind = ApplianceEventMessage['kind'];
type RollbackReason = Extract<ApplianceEventMessage, { kind: 'rollback' }>['reason'];

export const EVENT_KIND: Readonly<Record<Kind, number>> = { 'backend-state': 1, commit: 2, rollback: 3 };
export const ROLLBACK_REASON: Readonly<Record<RollbackReason, number>> = { 'confirm-timeout': 0, operator: 1 };

export function encodeEvent(event: ApplianceEventMessage, out: ByteWriter): void {
  out.u8(EVENT_KIND[event.kind], 'event kind');
  out.u64(Number.isFinite(event.at) ? Math.floor(event.at) : event.at, 'event at');
  switch (event.kind) {
    case 'backend-state':
      out.str8(event.service, 'event service');
      out.str8(event.address, 'event address');
      out.bool(event.up);
      return;
    case 'commit':
      out.fixed(event.configId, ID_BYTES, 'event configId');
      out.bool(event.pendingConfirm);
      return;
    case 'rollback':
      out.fixed(event.configId, ID_BYTES, 'event configId');
      out.u8(ROLLBACK_REASON[event.reason], 'event rollback reason');
      return;
  }
}

export function decodeEvent(input: ByteReader): ApplianceEventMessage {
  const kind = input.code(EVENT_KIND, 'event kind');
  const at = input.u64('at');
  switch (kind) {
    case 'backend-state':
      return { type: 'event', kind, at, service: input.str8('service'), address: input.str8('address'), up: input.bool('up') };
    case 'commit':
      return { type: 'event', kind, at, configId: input.bytes(ID_BYTES, 'configId'), pendingConfirm: input.bool('pendingConfirm') };
    case 'rollback':
      return { type: 'event', kind, at, configId: input.bytes(ID_BYTES, 'configId'), reason: input.code(ROLLBACK_REASON, 'rollback reason') };
  }
}
