import { SerialPort } from 'serialport';
import type { ByteLink } from './transport.js';

/** Opens a serial device (or the agent end of a PTY) as a ByteLink. */
export function openSerialLink(path: string, baud: number): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
    port.open((err) => {
      if (err) return reject(err);
      // A write to a device that just vanished fails with EIO: that is the device going away,
      // which 'close' reports; it must not surface as an uncaught error and kill the agent.
      port.on('error', () => {
        if (port.isOpen) port.close(() => undefined);
      });
      resolve({
        write: (bytes) => void port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), () => undefined),
        onData: (listener) => void port.on('data', (d: Buffer) => listener(d)),
        onClose: (listener) => void port.on('close', () => listener()),
        close: () => new Promise<void>((done) => (port.isOpen ? port.close(() => done()) : done())),
      });
    });
  });
}

/** Reopens a device that went away, every `everyMs`, for at most `forMs`. */
export function reopener(path: string, baud: number, forMs: number, everyMs = 200): () => Promise<ByteLink> {
  return async () => {
    const deadline = Date.now() + forMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        return await openSerialLink(path, baud);
      } catch (err) {
        last = err;
        await new Promise((r) => setTimeout(r, everyMs));
      }
    }
    throw last instanceof Error ? last : new Error(`cannot reopen ${path}`);
  };
}
