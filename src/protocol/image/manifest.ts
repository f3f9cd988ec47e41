/**
 * The simulator manifest: how a test image tells the simulated appliance to misbehave, so the
 * bootloader's recovery paths can be exercised with real, signed images.
 *
 * Framing: the payload starts with the 21 ASCII bytes "FULCRUM-SIM-MANIFEST\n", then one line of
 * UTF-8 JSON ending in "\n" (at most MAX_MANIFEST_LINE bytes, newline included), then anything
 * (filler). A payload that does not start with the marker has no manifest. The JSON is
 * `{"simulate": [BEHAVIOUR, …]}`; any other key, an unknown behaviour or a repeated one is an
 * error, so a typo never quietly yields a healthy image.
 */

import { FirmwareImageError } from './errors.js';

export const SIMULATED_BEHAVIOURS = ['crash-on-boot', 'fails-health', 'slow-boot'] as const;
/**
 * - `crash-on-boot`: the firmware dies before it reports itself up;
 * - `fails-health`: it boots, but its health check fails, so it is never confirmed;
 * - `slow-boot`: it takes longer than usual to come up, then works.
 */
export type SimulatedBehaviour = (typeof SIMULATED_BEHAVIOURS)[number];

export interface SimulatorManifest {
  simulate: SimulatedBehaviour[];
}

export const MANIFEST_MARKER = new TextEncoder().encode('FULCRUM-SIM-MANIFEST\n');
export const MAX_MANIFEST_LINE = 4096;

const NEWLINE = 0x0a;

export function isSimulatedBehaviour(text: string): text is SimulatedBehaviour {
  return (SIMULATED_BEHAVIOURS as readonly string[]).includes(text);
}

function bad(message: string): FirmwareImageError {
  return new FirmwareImageError('badManifest', `simulator manifest: ${message}`);
}

/** The manifest at the start of a payload; `{simulate: []}` when there is none; FirmwareImageError('badManifest') when malformed. */
export function readManifest(payload: Uint8Array): SimulatorManifest {
  if (payload.length < MANIFEST_MARKER.length || !MANIFEST_MARKER.every((b, i) => payload[i] === b)) return { simulate: [] };
  const start = MANIFEST_MARKER.length;
  const searchEnd = Math.min(payload.length, start + MAX_MANIFEST_LINE);
  const end = payload.subarray(start, searchEnd).indexOf(NEWLINE);
  if (end < 0) throw bad(`no newline within ${MAX_MANIFEST_LINE} bytes after the marker (payload byte ${start}): the JSON line is unterminated or too long`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(start, start + end));
  } catch {
    throw bad(`the line at payload byte ${start} is not UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(`the line at payload byte ${start} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object like {"simulate":["slow-boot"]}');
  const extra = Object.keys(value).filter((k) => k !== 'simulate');
  if (extra.length > 0) throw bad(`unknown key(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}; the only key is "simulate"`);
  const simulate = (value as { simulate?: unknown }).simulate;
  if (!Array.isArray(simulate)) throw bad('"simulate" must be an array of behaviours');
  return { simulate: checkBehaviours(simulate) };
}

/** The list as behaviours; FirmwareImageError('badManifest') naming the first unknown or repeated one. */
export function checkBehaviours(list: readonly unknown[]): SimulatedBehaviour[] {
  const seen = new Set<SimulatedBehaviour>();
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'string' || !isSimulatedBehaviour(item)) {
      throw bad(`simulate[${i}] is ${JSON.stringify(item)}, not one of ${SIMULATED_BEHAVIOURS.join(', ')}`);
    }
    if (seen.has(item)) throw bad(`simulate[${i}]: "${item}" is listed twice`);
    seen.add(item);
  }
  return [...seen];
}

/** Marker + JSON line for these behaviours (which it checks). */
export function encodeManifest(manifest: SimulatorManifest): Uint8Array {
  const simulate = checkBehaviours(manifest.simulate);
  const line = new TextEncoder().encode(`${JSON.stringify({ simulate })}\n`);
  const bytes = new Uint8Array(MANIFEST_MARKER.length + line.length);
  bytes.set(MANIFEST_MARKER);
  bytes.set(line, MANIFEST_MARKER.length);
  return bytes;
}

/**
 * Deterministic filler (xorshift32 from a fixed seed): the same size always gives the same
 * bytes, hence the same image hash; and the bytes look random, with zeros and every other value,
 * as a real firmware's compressed sections do on the wire.
 */
export function fillerBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = 0x2545f491;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/**
 * A simulator payload of exactly `size` bytes: the manifest (only when `simulate` is not empty)
 * followed by filler. RangeError when `size` cannot hold the manifest.
 */
export function simulatorPayload(spec: { simulate: readonly SimulatedBehaviour[]; size: number }): Uint8Array {
  if (!Number.isInteger(spec.size) || spec.size < 0) throw new RangeError(`payload size ${spec.size} is not a non-negative integer`);
  const manifest = spec.simulate.length > 0 ? encodeManifest({ simulate: [...spec.simulate] }) : new Uint8Array(0);
  if (manifest.length > spec.size) {
    throw new RangeError(`payload size ${spec.size} is too small for the ${manifest.length}-byte manifest`);
  }
  const payload = fillerBytes(spec.size);
  payload.set(manifest);
  return payload;
}
