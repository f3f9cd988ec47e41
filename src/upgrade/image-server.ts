/**
 * Serves firmware images over HTTP for appliances that pull them (SNMP network upgrades):
 * GET and HEAD of /firmware/SHA256.fwi, with Range so an interrupted download resumes. The
 * SHA-256 in the path is the only name an image has, and the appliance checks the bytes against
 * it and the signature: serving them in the clear hides nothing worth hiding.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256, toHex } from '../protocol/digest.js';

export interface ImageServer {
  /** http://HOST:PORT/firmware/SHA256.fwi for an image added with `add`. */
  urlOf(image: Uint8Array): string;
  add(image: Uint8Array): string;
  close(): Promise<void>;
}

export async function startImageServer(host = '127.0.0.1', port = 0, advertise?: string): Promise<ImageServer> {
  const images = new Map<string, Uint8Array>();
  const server = http.createServer((req, res) => {
    const match = /^\/firmware\/([0-9a-f]{64})\.fwi$/.exec(req.url ?? '');
    const image = match ? images.get(match[1]!) : undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (!image) return void res.writeHead(404).end();
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    if (from >= image.length && range) return void res.writeHead(416, { 'content-range': `bytes */${image.length}` }).end();
    const body = image.subarray(from);
    res.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${from}-${image.length - 1}/${image.length}` } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  // It serves while something else keeps the agent running; it never keeps it running itself.
  server.unref();
  const bound = server.address() as AddressInfo;
  // Behind NAT the appliance may know the agent by another address: `advertise` (HOST:PORT) is that one.
  const base = advertise ? `http://${advertise}` : `http://${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`;
  const add = (image: Uint8Array) => {
    const key = toHex(sha256(image));
    images.set(key, image);
    return `${base}/firmware/${key}.fwi`;
  };
  return {
    add,
    urlOf: (image) => `${base}/firmware/${toHex(sha256(image))}.fwi`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
