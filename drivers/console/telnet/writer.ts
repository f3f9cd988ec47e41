import { IAC, SB, SE, type Verb } from './constants.js';

/**
 * The send side of a telnet connection: data with every 0xFF doubled (RFC 854), so no data byte
 * can be taken for a command, and the frames of option negotiation and subnegotiation (RFC 855),
 * whose values are escaped the same way. Nothing else is ever inserted into the data: with
 * BINARY negotiated (RFC 856) CR and NUL travel as they are.
 */

/** `bytes` with every 0xFF doubled; the very same array when it holds none (the common case). */
export function escapeData(bytes: Uint8Array): Uint8Array {
  let iacs = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === IAC) iacs++;
  if (iacs === 0) return bytes;
  const out = new Uint8Array(bytes.length + iacs);
  let at = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out[at++] = b;
    if (b === IAC) out[at++] = IAC;
  }
  return out;
}

/** IAC verb option. */
export function negotiationFrame(verb: Verb, option: number): Uint8Array {
  return Uint8Array.of(IAC, verb, checkByte(option, 'option'));
}

/** IAC SB option value IAC SE, with 0xFF in the value doubled (a baud rate can contain one). */
export function subnegotiationFrame(option: number, value: Uint8Array): Uint8Array {
  const escaped = escapeData(value);
  const out = new Uint8Array(escaped.length + 5);
  out.set([IAC, SB, checkByte(option, 'option')], 0);
  out.set(escaped, 3);
  out.set([IAC, SE], 3 + escaped.length);
  return out;
}

/** Several frames as one write, so they leave in one TCP segment when they can. */
export function concatFrames(frames: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const f of frames) size += f.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function checkByte(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`telnet ${what} must be a byte, not ${value}`);
  return value;
}
