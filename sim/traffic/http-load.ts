import http from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  /** Answers per backend name (the backends answer with their name). */
  byBackend: Map<string, number>;
  errors: string[];
}

/**
 * Sends `count` HTTP GETs, each on a new TCP connection (Connection: close), `concurrency`
 * at a time, and records which backend answered each one.
 */
export async function httpLoad(host: string, port: number, count: number, concurrency = 8): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: 0, byBackend: new Map(), errors: [] };
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const who = await getOnce(host, port);
        result.ok++;
        result.byBackend.set(who, (result.byBackend.get(who) ?? 0) + 1);
      } catch (err) {
        result.failed++;
        if (result.errors.length < 10) result.errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return result;
}

export function getOnce(host: string, port: number, timeoutMs = 5_000, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, localAddress, path: '/', agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
