/**
 * The heartbeat, a member's VRRP-style advertisement, inside the envelope (envelope.ts):
 *
 *   u8 priority (1..254)  u8 state (1 active, 2 standby, 3 offline)
 *   u8 flags (bit 0: can serve; bit 1: config pending; bit 2: config confirmed)
 *   u16 intervalMs  u32 tcpFlows  8 configIdPrefix
 *
 * `tcpFlows` is the sender's count of established TCP connections: they die with it, so the
 * member that takes over can say how many were lost. `configIdPrefix` lets a receiver tell
 * that its peer runs another config (mirrored state is applied only between equal configs).
 *
 * Bits 1 and 2 say whether the running config is still a commit confirmed whose timer runs
 * (pending) or a confirmed one; a member that is itself pending confirms on a peer's
 * "confirmed" (config-agreement.ts). Neither bit says nothing either way: that is what a member
 * sends while no commit is pending anywhere in its group, so heartbeats then stay byte for byte
 * what firmware without these bits sends and reads; and since that is all such firmware ever
 * sends, a receiver never takes its silence for "confirmed". Both bits set is malformed.
 * Decoding is strict: known codes, no unknown flag bits, exact length.
 */
import type { ByteReader, ByteWriter } from '../../src/protocol/bytes/index.js';
import { sealEnvelope, type Header } from './envelope.js';
import { HeartbeatError } from './errors.js';
import { STATE_BY_CODE, STATE_CODE, type MemberState } from './member-state.js';

export const CONFIG_PREFIX_BYTES = 8;
const CAN_SERVE = 0x01;
const CONFIG_PENDING = 0x02;
const CONFIG_CONFIRMED = 0x04;
const KNOWN_FLAGS = CAN_SERVE | CONFIG_PENDING | CONFIG_CONFIRMED;

/** What a sender says of its running config; absent from a heartbeat that says nothing (see the module comment). */
export type ConfigConfirm = 'pending' | 'confirmed';

export interface Heartbeat {
  priority: number;
  state: MemberState;
  canServe: boolean;
  intervalMs: number;
  tcpFlows: number;
  configIdPrefix: Uint8Array;
  configConfirm?: ConfigConfirm;
}

export function encodeHeartbeat(header: Header, heartbeat: Heartbeat, key: Uint8Array): Uint8Array {
  if (heartbeat.priority < 1 || heartbeat.priority > 254) throw new RangeError(`heartbeat priority ${heartbeat.priority} is outside 1..254`);
  if (heartbeat.intervalMs < 1) throw new RangeError('heartbeat intervalMs must be at least 1');
  return sealEnvelope(header, 'heartbeat', key, (out: ByteWriter) => {
    out.u8(heartbeat.priority, 'priority');
    out.u8(STATE_CODE[heartbeat.state], 'state');
    const confirm = heartbeat.configConfirm === 'pending' ? CONFIG_PENDING : heartbeat.configConfirm === 'confirmed' ? CONFIG_CONFIRMED : 0;
    out.u8((heartbeat.canServe ? CAN_SERVE : 0) | confirm, 'flags');
    out.u16(heartbeat.intervalMs, 'intervalMs');
    out.u32(heartbeat.tcpFlows, 'tcpFlows');
    out.fixed(heartbeat.configIdPrefix, CONFIG_PREFIX_BYTES, 'configIdPrefix');
  });
}

export function decodeHeartbeat(body: ByteReader): Heartbeat {
  const priorityAt = body.offset;
  const priority = body.u8('priority');
  if (priority < 1 || priority > 254) throw new HeartbeatError('malformed', `priority ${priority} is outside 1..254`, priorityAt);
  const stateAt = body.offset;
  const state = STATE_BY_CODE[body.u8('state')];
  if (state === undefined) throw new HeartbeatError('malformed', 'unknown state code', stateAt);
  const flagsAt = body.offset;
  const flags = body.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new HeartbeatError('malformed', `unknown flag bits 0x${flags.toString(16)}`, flagsAt);
  if ((flags & CONFIG_PENDING) !== 0 && (flags & CONFIG_CONFIRMED) !== 0) throw new HeartbeatError('malformed', 'config both pending and confirmed', flagsAt);
  const intervalAt = body.offset;
  const intervalMs = body.u16('intervalMs');
  if (intervalMs < 1) throw new HeartbeatError('malformed', 'intervalMs 0', intervalAt);
  const tcpFlows = body.u32('tcpFlows');
  const configIdPrefix = body.bytes(CONFIG_PREFIX_BYTES, 'configIdPrefix');
  body.end();
  const heartbeat: Heartbeat = { priority, state, canServe: (flags & CAN_SERVE) !== 0, intervalMs, tcpFlows, configIdPrefix };
  if ((flags & CONFIG_PENDING) !== 0) heartbeat.configConfirm = 'pending';
  else if ((flags & CONFIG_CONFIRMED) !== 0) heartbeat.configConfirm = 'confirmed';
  return heartbeat;
}
