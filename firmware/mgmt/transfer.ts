import type { PutModeName } from '../../src/protocol/serial/messages.js';
import { MgmtError } from './errors.js';

/** Largest candidate (or patch) a transfer accepts: far above any real table, far below the box's memory. */
export const MAX_TRANSFER = 64 * 1024 * 1024;

/**
 * One candidate upload in progress: the announced size and checks, and the bytes received so
 * far. Pieces may arrive in any order and more than once (retransmissions): each is written at
 * its offset, and the transfer is complete when every byte has arrived at least once.
 */
export class Transfer {
  readonly bytes: Uint8Array;
  private readonly have: Uint8Array;
  private missing: number;

  constructor(
    readonly mode: PutModeName,
    size: number,
    readonly baseIdPrefix: Uint8Array,
    readonly resultIdPrefix: Uint8Array,
    readonly commitAfter: boolean,
    readonly confirmTimeoutMs: number,
  ) {
    if (size > MAX_TRANSFER) throw new MgmtError('badRequest', `transfer of ${size} bytes exceeds the ${MAX_TRANSFER}-byte limit`);
    this.bytes = new Uint8Array(size);
    this.have = new Uint8Array(size);
    this.missing = size;
  }

  get complete(): boolean {
    return this.missing === 0;
  }

  get missingBytes(): number {
    return this.missing;
  }

  write(offset: number, piece: Uint8Array): void {
    if (offset + piece.length > this.bytes.length) {
      throw new MgmtError('noTransfer', `piece at ${offset}+${piece.length} lies outside the announced ${this.bytes.length} bytes`);
    }
    this.bytes.set(piece, offset);
    for (let i = offset; i < offset + piece.length; i++) {
      if (this.have[i] === 0) {
        this.have[i] = 1;
        this.missing--;
      }
    }
  }
}
