/** UTF-8 both ways, strictly: malformed input is an error, and text that would not survive the trip is refused. */

export const utf8Encoder = new TextEncoder();
/** fatal: malformed UTF-8 is an error, not U+FFFD. ignoreBOM: keep a leading U+FEFF so decoded text re-encodes to the same bytes. */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `text`; RangeError if it holds a lone surrogate (it would not survive the trip). */
export function utf8(text: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (utf8Decoder.decode(bytes) !== text) throw new RangeError('text contains a lone surrogate');
  return bytes;
}

/** The longest prefix of `text` whose UTF-8 form fits in `maxBytes`, cut at a character boundary. */
export function clipUtf8(text: string, maxBytes: number): string {
  const bytes = utf8Encoder.encode(text);
  if (bytes.length <= maxBytes) return utf8Decoder.decode(bytes);
  let end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) so the cut never splits a character.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return utf8Decoder.decode(bytes.subarray(0, end));
}
