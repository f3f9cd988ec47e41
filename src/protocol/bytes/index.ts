/** The contract's byte toolkit: one reader, one writer, one error for bad bytes. */

export { BytesError, type ErrorFactory } from './bytes-error.js';
export { ByteReader } from './reader.js';
export { ByteWriter } from './writer.js';
export { clipUtf8, utf8 } from './utf8.js';
