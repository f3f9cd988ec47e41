/**
 * The one error for bytes that are not what their format says: every decoder of the contract
 * (rule codec, counters, patches, COBS, payloads) and the store's frames throws a subclass of it,
 * naming the byte offset where decoding found out, so a caller can catch "bad bytes" whatever
 * the format and an operator can find the byte in a dump.
 */
export class BytesError extends Error {
  override readonly name: string = 'BytesError';
  /** Where in the input decoding found out (relative to what the decoder was given). */
  readonly offset: number;

  constructor(message: string, offset: number, where = 'byte') {
    super(`${message} (at ${where} ${offset})`);
    this.offset = offset;
  }
}

/** Builds the owner's typed error (PayloadError, CountersError, PatchError…) for a ByteReader. */
export type ErrorFactory = (message: string, offset: number) => BytesError;
