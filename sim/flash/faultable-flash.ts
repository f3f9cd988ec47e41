import type { FlashPort } from '../../firmware/ports.js';

/**
 * A simulated flash that fault injection can put into states the NOR rules never allow: a torn
 * write, a half-done erase. Only power-cut-flash.ts calls `overwrite`.
 */
export interface FaultableFlash extends FlashPort {
  /** Sets the bytes as they are, ignoring the write rules, without counting wear. */
  overwrite(offset: number, bytes: Uint8Array): Promise<void>;
}
