/**
 * The numbers and small rules of a serial session that both ends must agree on
 * (docs/protocol.md, "Session rules"). The transport (drivers/serial) and the appliance's
 * command server (firmware/mgmt) implement the behaviour; the constants live here so the two
 * cannot drift apart.
 */

/**
 * Smallest maxPayload a hello may propose. Every message other than the bulk ones (put-chunk,
 * read-ok) fits in it whatever its text fields hold: the largest, hello-ok with three 255-byte
 * identity strings, is 811 bytes.
 */
export const MIN_MAX_PAYLOAD = 1024;

/** What an appliance grants at most, whatever the agent proposes. */
export const APPLIANCE_LIMITS = { maxPayload: 4096, window: 32 } as const;

/** Responses of the current session the appliance keeps, by sequence number, to answer a retransmitted request without executing it again. */
export const RESPONSE_CACHE_SIZE = 64;

export interface LinkParameters {
  /** Largest frame payload either end sends. */
  maxPayload: number;
  /** Requests the agent may have in flight. */
  window: number;
}

/** The appliance's answer to a hello: the smaller of what was proposed and what it can do. */
export function negotiate(proposed: LinkParameters, limits: LinkParameters = APPLIANCE_LIMITS): LinkParameters {
  return { maxPayload: Math.min(proposed.maxPayload, limits.maxPayload), window: Math.min(proposed.window, limits.window) };
}

/** Sequence numbers are u16 and wrap: 0xffff is followed by 0. */
export function nextSeq(seq: number): number {
  return (seq + 1) & 0xffff;
}

/** How far `to` lies after `from` in the wrapping sequence space (0..0xffff). */
export function seqDistance(from: number, to: number): number {
  return (to - from) & 0xffff;
}
