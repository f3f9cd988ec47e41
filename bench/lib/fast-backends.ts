/**
 * Minimal HTTP/1.1 backends for the data-plane bench, run as a process of their own:
 * `node fast-backends.js COUNT LARGE_BYTES` starts COUNT servers on loopback and prints one
 * line of JSON, `{"ports": [...]}`.
 *
 * They answer GET requests only (what wrk sends): `/large` with a LARGE_BYTES body, any other
 * path with a few bytes, from prebuilt buffers. Raw sockets instead of node:http, because the
 * point is to measure the proxy in front of them: node:http's parser and response objects
 * would make the backends the slower side of the loopback.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

function response(body: Buffer, close: boolean): Buffer {
  const head = `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\n${close ? 'connection: close\r\n' : ''}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function serve(name: string, largeBytes: number): net.Server {
  const small = Buffer.from(`${name}\n`);
  const large = Buffer.alloc(largeBytes, 0x61);
  const replies = {
    small: { keep: response(small, false), close: response(small, true) },
    large: { keep: response(large, false), close: response(large, true) },
  };
  return net.createServer({ noDelay: true }, (socket) => {
    let pending = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      // Requests have no body, so each blank line ends one; a partial head waits for the rest.
      pending += chunk.toString('latin1');
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        const set = head.startsWith('GET /large ') ? replies.large : replies.small;
        if (/\r\nconnection:\s*close/i.test(head)) {
          socket.end(set.close);
          return;
        }
        socket.write(set.keep);
      }
    });
  });
}

const count = Number(process.argv[2] ?? 3);
const largeBytes = Number(process.argv[3] ?? 65_536);
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const server = serve(`b${i + 1}`, largeBytes);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => resolve());
  });
  ports.push((server.address() as AddressInfo).port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.on('SIGTERM', () => process.exit(0));
