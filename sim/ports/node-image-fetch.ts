import http from 'node:http';
import type { ImageFetchPort } from '../../firmware/ports.js';

/** How long a silent server is waited for before a fetch fails. */
const TIMEOUT_MS = 15_000;

/**
 * The simulated box's HTTP client for network upgrades: HEAD for the size, GET with a Range
 * header from the offset the slot already holds. Plain http only, as a box in a management
 * network fetches from its manager; the image's SHA-256 and signature are what make it safe.
 */
export const nodeImageFetch: ImageFetchPort = {
  size: (url) =>
    new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'HEAD', timeout: TIMEOUT_MS, agent: false }, (res) => {
        res.resume();
        const length = Number(res.headers['content-length']);
        if (res.statusCode !== 200) return reject(new Error(`HEAD ${url}: HTTP ${res.statusCode}`));
        if (!Number.isInteger(length) || length <= 0) return reject(new Error(`HEAD ${url}: no Content-Length`));
        resolve(length);
      });
      req.on('timeout', () => req.destroy(new Error(`HEAD ${url}: no answer within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end();
    }),

  read: (url, offset, onChunk) =>
    new Promise((resolve, reject) => {
      const headers = offset > 0 ? { range: `bytes=${offset}-` } : {};
      const req = http.request(url, { method: 'GET', headers, timeout: TIMEOUT_MS, agent: false }, (res) => {
        const expected = offset > 0 ? 206 : 200;
        if (res.statusCode !== expected) {
          res.resume();
          return reject(new Error(`GET ${url}${offset > 0 ? ` from ${offset}` : ''}: HTTP ${res.statusCode}, expected ${expected}`));
        }
        // One chunk at a time: the slot is written before more is read (backpressure by pause).
        // 'end' can come while the last chunk is still being written: it waits for it.
        let pending: Promise<void> = Promise.resolve();
        res.on('data', (chunk: Buffer) => {
          res.pause();
          pending = onChunk(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)).then(
            () => void res.resume(),
            (err: unknown) => {
              res.destroy();
              reject(err);
            },
          );
        });
        res.on('end', () => void pending.then(resolve, reject));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${url}: no data within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end();
    }),
};
