import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialLine } from '../../sim/serial/index.js';

// The simulator's end of a serial console: a real PTY, paced and optionally noisy; the agent's
// end is a real `serialport` SerialPort opened on the slave path, as on hardware.

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function openLine(options: Parameters<typeof SerialLine.open>[0]): Promise<SerialLine> {
  const line = await SerialLine.open(options);
  cleanup.push(() => line.close());
  return line;
}

async function openAgent(line: SerialLine): Promise<SerialPort> {
  const port = await new Promise<SerialPort>((resolve, reject) => {
    const p: SerialPort = new SerialPort({ path: line.path, baudRate: line.baud }, (err) => (err ? reject(err) : resolve(p)));
  });
  cleanup.push(() => closeAgent(port));
  return port;
}

function closeAgent(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve, reject) => port.close((err) => (err ? reject(err) : resolve())));
}

/** What one end received, with the cumulative count at each arrival. */
class Received {
  private readonly chunks: Uint8Array[] = [];
  readonly arrivals: { at: number; total: number }[] = [];
  length = 0;
  add = (bytes: Uint8Array): void => {
    this.chunks.push(Uint8Array.from(bytes));
    this.length += bytes.length;
    this.arrivals.push({ at: performance.now(), total: this.length });
  };
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

function fromAgent(line: SerialLine): Received {
  const r = new Received();
  line.onData(r.add);
  return r;
}

function atAgent(port: SerialPort): Received {
  const r = new Received();
  port.on('data', r.add);
  return r;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator (xorshift32) so noise runs are reproducible. */
function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function pattern(n: number, seed: number): Uint8Array {
  const next = seeded(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i]! ^ b[i]!) & 0xff;
    while (x) {
      bits += x & 1;
      x >>= 1;
    }
  }
  return bits;
}

/** Whether `part` is `whole` with some bytes removed (greedy matching is exact for this). */
function isSubsequence(part: Uint8Array, whole: Uint8Array): boolean {
  let j = 0;
  for (let i = 0; i < whole.length && j < part.length; i++) if (whole[i] === part[j]) j++;
  return j === part.length;
}

/** Sends `n` bytes each way at once; resolves with what each end received. */
async function exchange(line: SerialLine, port: SerialPort, n: number, seed: number, timeoutMs: number) {
  const toAgent = pattern(n, seed);
  const toSim = pattern(n, seed + 1);
  const atA = atAgent(port);
  const atS = fromAgent(line);
  const before = line.stats;
  line.write(toAgent);
  port.write(Buffer.from(toSim));
  await waitFor(
    () => line.stats.bytesToAgent - before.bytesToAgent >= n && line.stats.bytesFromAgent - before.bytesFromAgent >= n,
    timeoutMs,
    'both directions to cross',
  );
  await sleep(30); // the last bytes still travel through the kernel to the agent
  port.removeAllListeners('data');
  return { toAgent, toSim, atAgent: atA.bytes(), atSim: atS.bytes(), before };
}

/** Least-squares slope of y over x. */
function fitSlope(points: [number, number][]): number {
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

describe('serial line over a real PTY (agent side: serialport)', () => {
  it('carries all 256 byte values intact both ways on a clean line', async () => {
    const line = await openLine({ baud: 115200 });
    expect(line.path).toMatch(/^\/dev\/pts\/\d+$/);
    const port = await openAgent(line);
    const atA = atAgent(port);
    const atS = fromAgent(line);
    const reversed = ALL_BYTES.slice().reverse();
    line.write(ALL_BYTES);
    line.write(reversed);
    port.write(Buffer.from(reversed));
    port.write(Buffer.from(ALL_BYTES));
    await waitFor(() => atA.length >= 512 && atS.length >= 512, 5_000, '512 bytes each way');
    await sleep(20);
    expect(Buffer.from(atA.bytes())).toEqual(Buffer.concat([ALL_BYTES, reversed]));
    expect(Buffer.from(atS.bytes())).toEqual(Buffer.concat([reversed, ALL_BYTES]));
    expect(line.stats).toEqual({ bytesToAgent: 512, bytesFromAgent: 512, bitsFlipped: 0, bytesDropped: 0, bytesOverrun: 0 });
  });

  it.each([
    { baud: 115200, seconds: 1 },
    { baud: 38400, seconds: 1 },
  ])('paces both directions at once to baud/10, never early ($baud baud)', async ({ baud, seconds }) => {
    const line = await openLine({ baud });
    const port = await openAgent(line);
    const limit = baud / 10; // bytes per second, 8N1
    const byteMs = 1000 / limit;
    const n = Math.round(limit * seconds);
    const atA = atAgent(port);
    const atS = fromAgent(line);
    const payload = pattern(n, 7);

    const t0 = performance.now();
    line.write(payload);
    port.write(Buffer.from(payload));
    await waitFor(() => atA.length >= n && atS.length >= n, seconds * 1000 * 3, 'the transfer');

    for (const [name, r] of [
      ['to agent', atA],
      ['from agent', atS],
    ] as const) {
      expect(Buffer.from(r.bytes()), name).toEqual(Buffer.from(payload));
      // No byte arrives before its last bit could have left a real wire (so never above the limit).
      const early = r.arrivals.filter((a) => a.at - t0 < a.total * byteMs - 1e-6);
      expect(early, `${name}: arrivals earlier than the line allows`).toEqual([]);
      // And not much below it: the slope of bytes received over time (a fit over every arrival,
      // so one late timer under load does not decide the result).
      const slope = fitSlope(r.arrivals.map((a) => [a.at, a.total])) * 1000;
      const overall = n / ((r.arrivals.at(-1)!.at - t0) / 1000);
      console.log(`${baud} baud ${name}: ${slope.toFixed(0)} B/s fitted, ${overall.toFixed(0)} B/s end to end (limit ${limit})`);
      expect(overall, name).toBeLessThanOrEqual(limit);
      expect(slope / limit, name).toBeGreaterThan(0.97);
      expect(slope / limit, name).toBeLessThan(1.03);
    }
  });

  it('flips about BER × 8 bits per byte and loses about drop × bytes, only while noise is on', async () => {
    const line = await openLine({ baud: 921600, random: seeded(0x5eed) });
    const port = await openAgent(line);
    const n = 16_000; // each way; ~0.17 s at 92,160 B/s

    // Bit errors: every byte arrives, some with bits flipped; the counter matches what differs.
    line.setNoise({ ber: 1e-3 });
    const flips = await exchange(line, port, n, 11, 5_000);
    expect(flips.atAgent.length).toBe(n);
    expect(flips.atSim.length).toBe(n);
    const differing = bitsDiffering(flips.toAgent, flips.atAgent) + bitsDiffering(flips.toSim, flips.atSim);
    expect(line.stats.bitsFlipped - flips.before.bitsFlipped).toBe(differing);
    expect(line.stats.bytesDropped).toBe(0);
    const expectedFlips = 2 * n * 8 * 1e-3; // 256, σ ≈ 16
    console.log(`BER 1e-3: ${differing} bits flipped over ${2 * n} bytes (expected ${expectedFlips})`);
    expect(differing).toBeGreaterThan(expectedFlips - 4 * 16);
    expect(differing).toBeLessThan(expectedFlips + 4 * 16);

    // Byte loss: what arrives is what was sent with some bytes missing, no bit changed.
    line.setNoise({ drop: 0.01 });
    const drops = await exchange(line, port, n, 23, 5_000);
    expect(isSubsequence(drops.atAgent, drops.toAgent)).toBe(true);
    expect(isSubsequence(drops.atSim, drops.toSim)).toBe(true);
    const lost = 2 * n - drops.atAgent.length - drops.atSim.length;
    expect(line.stats.bytesDropped - drops.before.bytesDropped).toBe(lost);
    expect(line.stats.bitsFlipped).toBe(flips.before.bitsFlipped + differing);
    const expectedLost = 2 * n * 0.01; // 320, σ ≈ 18
    console.log(`drop 0.01: ${lost} of ${2 * n} bytes lost (expected ${expectedLost})`);
    expect(lost).toBeGreaterThan(expectedLost - 4 * 18);
    expect(lost).toBeLessThan(expectedLost + 4 * 18);

    // Noise off again: clean.
    line.setNoise({});
    const clean = await exchange(line, port, 2048, 31, 5_000);
    expect(Buffer.from(clean.atAgent)).toEqual(Buffer.from(clean.toAgent));
    expect(Buffer.from(clean.atSim)).toEqual(Buffer.from(clean.toSim));
    expect(line.stats.bytesOverrun).toBe(0);
  });

  it('keeps working when the agent closes and reopens the device; the new session gets no stale bytes', async () => {
    const line = await openLine({ baud: 921600 });

    for (let session = 0; session < 3; session++) {
      const port = await openAgent(line);
      const atA = atAgent(port);
      const atS = fromAgent(line);
      const hello = new TextEncoder().encode(`hello ${session}`);
      line.write(hello);
      port.write(Buffer.from(`ping ${session}`));
      await waitFor(() => atA.length >= hello.length && atS.length >= 6, 2_000, `session ${session} exchange`);
      await sleep(20);
      // Only what was sent during this session, nothing left over from the gap before it.
      expect(new TextDecoder().decode(atA.bytes())).toBe(`hello ${session}`);
      expect(new TextDecoder().decode(atS.bytes())).toBe(`ping ${session}`);
      await closeAgent(port);
      if (session === 2) break;

      // Nobody listening: the console keeps talking, more than the kernel holds (~12–20 KiB
      // here), so the rest is lost; what the kernel held is flushed by the next open.
      const before = line.stats;
      line.write(new Uint8Array(40_000).fill(0x55));
      await waitFor(() => line.stats.bytesToAgent - before.bytesToAgent >= 40_000, 3_000, 'the unheard bytes to cross');
      await sleep(20);
      expect(line.stats.bytesOverrun).toBeGreaterThan(before.bytesOverrun);
    }
  });

  it('close() releases every fd, timer and handle', async () => {
    const fds = openFds();
    const resources = resourceCounts();

    const line = await SerialLine.open({ baud: 9600 });
    const port = await new Promise<SerialPort>((resolve, reject) => {
      const p: SerialPort = new SerialPort({ path: line.path, baudRate: 9600 }, (err) => (err ? reject(err) : resolve(p)));
    });
    const atS = fromAgent(line);
    port.write(Buffer.alloc(5_000, 1)); // seconds of work queued in both directions at 9600
    line.write(new Uint8Array(5_000));
    await waitFor(() => atS.length > 0, 2_000, 'first bytes');
    expect(openFds()).toBeGreaterThan(fds);
    await closeAgent(port);
    await line.close();
    await line.close(); // idempotent
    line.write(new Uint8Array(10)); // ignored once closed

    expect(openFds()).toBe(fds);
    const after = resourceCounts();
    for (const [kind, count] of after) expect(count, `${kind} left behind`).toBeLessThanOrEqual(resources.get(kind) ?? 0);
  });

  it('never keeps a process alive: closed or idle-but-open lines let Node exit on its own', async () => {
    const entry = pathToFileURL(path.resolve(import.meta.dirname, '../../sim/serial/index.ts')).href;
    const script = `
      import { SerialLine } from ${JSON.stringify(entry)};
      const closed = await SerialLine.open({ baud: 9600 });
      closed.write(new Uint8Array(10_000));
      await closed.close();
      const open = await SerialLine.open({ baud: 9600 });
      open.write(new Uint8Array(10_000)); // ~10 s of queued output, nobody reading
      console.log('ready', open.path);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 8_000);
      child.on('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    expect(out).toMatch(/^ready \/dev\/pts\/\d+/);
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(8_000);
  });
});
