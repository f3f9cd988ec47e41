/**
 * Messages over a byte stream (the serial failover cable): each one COBS-encoded and followed by
 * 0x00, so a receiver that joins mid-message or loses bytes is back in step at the next 0x00.
 * The receive buffer is bounded: a run of bytes longer than any message is thrown away whole.
 */
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../src/protocol/serial/cobs.js';
import { MAX_MESSAGE_BYTES } from '../../firmware/failover/envelope.js';

const MAX_FRAME = cobsMaxEncodedLength(MAX_MESSAGE_BYTES);

export function frameMessage(message: Uint8Array): Uint8Array {
  const encoded = cobsEncode(message);
  const out = new Uint8Array(encoded.length + 1);
  out.set(encoded);
  return out;
}

export class FrameSplitter {
  private readonly buffer = new Uint8Array(MAX_FRAME);
  private length = 0;
  private overflowed = false;
  /** Frames that were not COBS, or ran past the bound. */
  garbled = 0;

  constructor(private readonly onMessage: (message: Uint8Array) => void) {}

  push(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b !== 0) {
        if (this.length === MAX_FRAME) this.overflowed = true;
        else this.buffer[this.length++] = b;
        continue;
      }
      const frame = this.buffer.subarray(0, this.length);
      const whole = !this.overflowed;
      this.length = 0;
      this.overflowed = false;
      if (frame.length === 0) continue;
      if (!whole) {
        this.garbled++;
        continue;
      }
      let message: Uint8Array;
      try {
        message = cobsDecode(frame);
      } catch {
        this.garbled++;
        continue;
      }
      this.onMessage(message);
    }
  }
}
