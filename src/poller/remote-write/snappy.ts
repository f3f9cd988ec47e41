/**
 * Snappy compression in the *block* format, the one remote write requires
 * (`Content-Encoding: snappy`; the framed/stream format is refused by Prometheus).
 *
 * snappyjs (MIT, pure JavaScript, no native build) writes that format: a varint of the
 * uncompressed length, then literal and copy elements. Its output is checked two ways: the
 * unit test decodes it and compares, the integration test has a real Prometheus accept it.
 */
import { compress, uncompress } from 'snappyjs';

export function snappyBlock(bytes: Uint8Array): Uint8Array {
  return compress(bytes);
}

/** For the tests and for diagnostics: the inverse, refusing a declared length over `maxLength`. */
export function unsnappyBlock(bytes: Uint8Array, maxLength?: number): Uint8Array {
  return uncompress(bytes, maxLength);
}
