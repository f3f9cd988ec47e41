import type { Request, Response } from '../../src/protocol/serial/messages.js';
import type { SerialTransport } from './transport.js';

export interface ChunkSenderOptions {
  /** Largest piece: the negotiated payload minus the put-chunk header. */
  maxChunk: number;
  /** Requests kept in flight. */
  window: number;
  onProgress?: ((sent: number, total: number) => void) | undefined;
  /** The request carrying one piece (default: a put-chunk of the candidate). */
  request?: (offset: number, bytes: Uint8Array) => Request;
  /** Added to every piece's offset: the body is the rest of something sent in part before. */
  baseOffset?: number;
}

/** Below this a piece is mostly header: never shrink further. */
const MIN_CHUNK = 128;
/** Bytes a piece costs on the line besides its data: frame header, CRC, COBS, delimiter, offset. */
const PIECE_OVERHEAD = 16;
/** The first pieces' size, before the line has shown what it is like: 1.6% overhead, 8% loss at 1e-5. */
const FIRST_CHUNK = 1_016;
/** Growth per clean answer while no piece has been lost. */
const GROWTH = 1.5;

/**
 * The piece size that delivers the most data per byte on a line losing `p` of its bits:
 * data/(data+h) × (1-p)^(8(data+h)) peaks near √(h / 8p). A clean line gets the largest piece.
 */
export function bestChunk(lossesPerBit: number, maxChunk: number): number {
  if (lossesPerBit <= 0) return maxChunk;
  return Math.max(MIN_CHUNK, Math.min(maxChunk, Math.round(Math.sqrt(PIECE_OVERHEAD / (8 * lossesPerBit)))));
}

/**
 * Sends `body` as put-chunk requests, `window` at a time, choosing each piece's size as it
 * goes. Like TCP's slow start, pieces begin at 1 KiB and grow with every clean answer towards
 * the largest the appliance takes (0.4% overhead on a clean line). From the first loss on,
 * every resend is taken as one frame hit by a bit error, which estimates the line's error
 * rate, and pieces take the size that rate favours (on a noisy line a big frame is likely hit
 * and costly to resend). The appliance takes pieces at any offsets, so sizes are free.
 */
export async function sendChunks(transport: SerialTransport, body: Uint8Array, options: ChunkSenderOptions, check: (r: Response) => void): Promise<void> {
  let chunk = Math.min(FIRST_CHUNK, options.maxChunk);
  let next = 0;
  let sent = 0;
  let failure: unknown = null;
  let probe: Promise<void> | null = null;
  const resendsBefore = transport.retransmissions;
  const bytesBefore = transport.bytesWritten;

  const adapt = () => {
    const losses = transport.retransmissions - resendsBefore;
    const bits = (transport.bytesWritten - bytesBefore) * 8;
    if (losses === 0) {
      // No loss in `bits` suggests an error rate below about 1/bits. Growing only as far as a
      // rate of 1/(16·bits) favours keeps a noisy line from being met with 4 KiB frames, while
      // a clean line reaches them after about 64 KiB.
      chunk = Math.min(Math.round(chunk * GROWTH), bestChunk(1 / (16 * bits), options.maxChunk));
      chunk = Math.max(chunk, Math.min(FIRST_CHUNK, options.maxChunk));
      return;
    }
    chunk = bestChunk(losses / bits, options.maxChunk);
  };

  const lane = async (): Promise<void> => {
    while (next < body.length && failure === null) {
      const offset = next;
      const bytes = body.subarray(offset, Math.min(body.length, offset + chunk));
      next += bytes.length;
      const at = offset + (options.baseOffset ?? 0);
      const answer = transport.request(options.request ? options.request(at, bytes) : { type: 'putChunk', offset: at, bytes });
      if (next >= body.length && probe === null) {
        // Tail-loss probe: a lost piece is resent as soon as the answer to a later request
        // shows it missing, but the last pieces have no later request behind them and would
        // wait for a timeout. A small request sent right behind the last piece gives them one.
        probe = transport.request({ type: 'info' }).then(
          () => undefined,
          () => undefined,
        );
      }
      try {
        check(await answer);
      } catch (err) {
        failure ??= err;
        return;
      }
      sent += bytes.length;
      options.onProgress?.(sent, body.length);
      adapt();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.window) }, lane));
  if (failure !== null) throw failure;
  // The probe's own answer is not waited for: lost, it would hold the push up for nothing.
  void probe;
}
