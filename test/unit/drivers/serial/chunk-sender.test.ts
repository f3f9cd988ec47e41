/**
 * The windowed chunk sender (drivers/serial/chunk-sender.ts): piece sizes, coverage of the body
 * whatever order the answers come back in, failures, progress, and resumption at an offset
 * (also through the firmware channel that uses it). Mostly against a fake transport whose
 * answers the test hands out one by one; one test runs it over the real transport and the
 * firmware SerialServer with a piece lost on the line.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { bestChunk, sendChunks, type ChunkSenderOptions } from '../../../../drivers/serial/chunk-sender.js';
import { FirmwareChannel, expect as expectAnswer } from '../../../../drivers/serial/firmware-channel.js';
import { SerialDriver } from '../../../../drivers/serial/serial-driver.js';
import { SerialTransport } from '../../../../drivers/serial/transport.js';
import { configId, encodeRules } from '../../../../src/protocol/rules/index.js';
import { encodeFrame, frameWireSize } from '../../../../src/protocol/serial/frame.js';
import type { Request, Response } from '../../../../src/protocol/serial/messages.js';
import { encodePayload } from '../../../../src/protocol/serial/payload.js';
import { bigTable } from '../../protocol/serial/big-table.js';
import { advance, FakeAppliance, settle } from './support.js';

afterEach(() => {
  vi.useRealTimers();
});

const FIRST_CHUNK = 1_016;
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const bodyOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 8)) & 0xff);

interface Sent {
  request: Request;
  resolve: (r: Response) => void;
  reject: (e: Error) => void;
  answered: boolean;
}

/**
 * What the chunk sender sees of a transport: request(), and the counters it adapts to. Every
 * request waits until the test answers it, unless `auto` answers it at once.
 */
class FakeTransport {
  retransmissions = 0;
  bytesWritten = 0;
  readonly sent: Sent[] = [];

  constructor(private readonly auto: (r: Request) => Response | null = () => null) {}

  request(request: Request): Promise<Response> {
    this.bytesWritten += frameWireSize(encodePayload(request).length);
    return new Promise((resolve, reject) => {
      const s: Sent = { request, resolve, reject, answered: false };
      this.sent.push(s);
      const a = this.auto(request);
      if (a) this.answer(s, a);
    });
  }

  get pending(): Sent[] {
    return this.sent.filter((s) => !s.answered);
  }

  /** The pieces requested, in the order they were requested. */
  get pieces(): { offset: number; bytes: Uint8Array }[] {
    return this.sent.flatMap((s) =>
      s.request.type === 'putChunk' || s.request.type === 'fwChunk' ? [{ offset: s.request.offset, bytes: s.request.bytes }] : [],
    );
  }

  answer(s: Sent, response?: Response): void {
    s.answered = true;
    const r = s.request;
    s.resolve(
      response ??
        (r.type === 'putChunk'
          ? { type: 'putChunkOk', offset: r.offset }
          : r.type === 'fwChunk'
            ? { type: 'fwChunkOk', offset: r.offset }
            : { type: 'infoOk', identity: IDENTITY }),
    );
  }

  as(): SerialTransport {
    return this as unknown as SerialTransport;
  }
}

const IDENTITY = { model: 'FL-1000', serialNumber: 'FL0000000001', firmware: '1.0.0', configId: new Uint8Array(32), uptimeSeconds: 1, pendingConfirmMs: 0 };
const putChunkOk = (r: Response) => void expectAnswer(r, 'putChunkOk');

/** Runs a send, answering the oldest unanswered piece each time, with `before` called first (it may touch the counters). */
async function sendInOrder(t: FakeTransport, body: Uint8Array, options: ChunkSenderOptions, before: (index: number) => void = () => undefined) {
  let done = false;
  const run = sendChunks(t.as(), body, options, putChunkOk).finally(() => (done = true));
  let index = 0;
  while (!done) {
    await settle();
    const next = t.pending.find((s) => s.request.type === 'putChunk');
    if (!next) continue;
    before(index++);
    t.answer(next);
  }
  await run;
}

/** Line efficiency of pieces of `data` bytes (16 bytes overhead each) on a line losing `p` of its bits. */
const efficiency = (data: number, p: number) => (data / (data + 16)) * (1 - p) ** (8 * (data + 16));

// The size formula itself: the documented limits, and that it sits at the efficiency peak it claims.
describe('bestChunk: the piece size that carries the most data per line byte', () => {
  it('gives a clean line the largest piece, a noisy one the smallest worth sending (128)', () => {
    expect(bestChunk(0, 4080)).toBe(4080);
    expect(bestChunk(1e-12, 4080)).toBe(4080);
    expect(bestChunk(1e-5, 4080)).toBe(447);
    expect(bestChunk(0.01, 4080)).toBe(128);
    expect(bestChunk(1, 4080)).toBe(128);
    expect(bestChunk(1e-5, 300)).toBe(300);
  });

  it('is at the peak of efficiency: half or 1.5× the size carries less', () => {
    for (const p of [1e-6, 3e-6, 1e-5, 1e-4]) {
      const best = bestChunk(p, 1e9);
      expect(efficiency(best, p), `p=${p}`).toBeGreaterThan(efficiency(best / 2, p));
      expect(efficiency(best, p), `p=${p}`).toBeGreaterThan(efficiency(best * 1.5, p));
    }
  });
});

// Slow start on a clean line, the error-rate size after losses, and the bounds (128 bytes, maxChunk).
describe('piece sizes adapt as documented', () => {
  it('start at 1016 and grow by at most 1.5× per clean answer, as far as the clean record justifies, to the largest after about 64 KiB', async () => {
    const t = new FakeTransport();
    const body = bodyOf(200_000);
    const bitsAt: number[] = [];
    await sendInOrder(t, body, { maxChunk: 4080, window: 1 }, () => bitsAt.push(t.bytesWritten * 8));
    const sizes = t.pieces.map((p) => p.bytes.length);
    const full = sizes.slice(0, -1); // the last piece is what was left
    expect(full[0]).toBe(FIRST_CHUNK);
    for (let i = 1; i < full.length; i++) {
      expect(full[i]!, `piece ${i}`).toBeGreaterThanOrEqual(full[i - 1]!);
      expect(full[i]!, `piece ${i}`).toBeLessThanOrEqual(Math.round(full[i - 1]! * 1.5));
      // No loss in b bits bounds the error rate near 1/b: growth stops at what 1/(16b) favours.
      expect(full[i]!, `piece ${i}`).toBeLessThanOrEqual(Math.max(FIRST_CHUNK, bestChunk(1 / (16 * bitsAt[i - 1]!), 4080)));
    }
    expect(Math.max(...sizes)).toBe(4080);
    const reachedAt = t.pieces.find((p) => p.bytes.length === 4080)!.offset;
    expect(reachedAt).toBeGreaterThan(40_000);
    expect(reachedAt).toBeLessThan(100_000);
  });

  it('never exceed the largest piece the appliance takes, even when it is below 1016', async () => {
    const t = new FakeTransport();
    await sendInOrder(t, bodyOf(20_000), { maxChunk: 500, window: 1 });
    const sizes = t.pieces.map((p) => p.bytes.length);
    expect(new Set(sizes.slice(0, -1))).toEqual(new Set([500]));
  });

  it('after a loss take the size the observed error rate favours, and do not grow back past it', async () => {
    const t = new FakeTransport();
    const expected = new Map<number, number>();
    let lost = 0;
    let lossAt = -1;
    await sendInOrder(t, bodyOf(160_000), { maxChunk: 4080, window: 1 }, (i) => {
      // Two frames lost once the pieces are at their largest, one more a little later.
      const losses = lossAt < 0 && t.pieces[i]!.bytes.length === 4080 ? 2 : lossAt >= 0 && i === lossAt + 8 ? 1 : 0;
      if (losses === 2) lossAt = i;
      t.retransmissions += losses;
      lost += losses;
      // The piece after answer i: what `lost` losses in the bits written so far favour.
      if (lost > 0) expected.set(i + 1, bestChunk(lost / (t.bytesWritten * 8), 4080));
    });
    const sizes = t.pieces.map((p) => p.bytes.length);
    expect(lossAt).toBeGreaterThan(0);
    expect(expected.size).toBeGreaterThan(10);
    for (const [i, size] of expected) if (i < sizes.length - 1) expect(sizes[i], `piece ${i}`).toBe(size);
    expect(sizes[lossAt + 1]).toBeLessThan(4080 / 2);
    expect(Math.max(...sizes.slice(lossAt + 1))).toBeLessThan(4080);
  });

  it('shrink to 128 bytes on a very noisy line, never below', async () => {
    const t = new FakeTransport();
    await sendInOrder(t, bodyOf(5_000), { maxChunk: 4080, window: 1 }, () => (t.retransmissions += 50));
    const sizes = t.pieces.map((p) => p.bytes.length);
    expect(sizes[0]).toBe(FIRST_CHUNK);
    expect(new Set(sizes.slice(1, -1))).toEqual(new Set([128]));
    expect(sizes.reduce((a, b) => a + b)).toBe(5_000);
  });
});

// Coverage and order of the pieces, the window of lanes, progress and the tail-loss probe, under any answer order.
describe('every byte is sent exactly once and in order, whatever order the answers arrive in', () => {
  it('holds for any window, body size and answer order; progress is monotone and counts only answered bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 40_000 }),
        fc.integer({ min: 200, max: 4080 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 0, max: 4 }),
        async (window, size, maxChunk, order, lossEvery) => {
          const t = new FakeTransport();
          const body = bodyOf(size);
          const progress: [number, number][] = [];
          let answeredBytes = 0;
          let mostInFlight = 0;
          let done = false;
          const run = sendChunks(t.as(), body, { maxChunk, window, onProgress: (s, n) => progress.push([s, n]) }, putChunkOk).finally(() => (done = true));
          for (let step = 0; !done; step++) {
            await settle();
            const pending = t.pending.filter((s) => s.request.type === 'putChunk');
            mostInFlight = Math.max(mostInFlight, pending.length);
            if (pending.length === 0) continue;
            const s = pending[order[step % order.length]! % pending.length]!;
            if (lossEvery > 0 && step % (lossEvery * 3) === 0) t.retransmissions++;
            answeredBytes += (s.request as { bytes: Uint8Array }).bytes.length;
            const before = progress.length;
            t.answer(s);
            await settle();
            if (progress.length > before) expect(progress.at(-1)![0]).toBe(answeredBytes);
          }
          await run;
          let at = 0;
          for (const p of t.pieces) {
            expect(p.offset).toBe(at);
            expect(p.bytes.length).toBeGreaterThan(0);
            expect(p.bytes.length).toBeLessThanOrEqual(maxChunk);
            expect(Buffer.from(p.bytes).equals(Buffer.from(body.subarray(at, at + p.bytes.length)))).toBe(true);
            at += p.bytes.length;
          }
          expect(at).toBe(size);
          expect(mostInFlight).toBeLessThanOrEqual(window);
          expect(progress.map(([, n]) => n).every((n) => n === size)).toBe(true);
          expect(progress.every(([s], i) => i === 0 || s > progress[i - 1]![0])).toBe(true);
          expect(progress.at(-1)).toEqual([size, size]);
          // One tail-loss probe, right behind the last piece.
          const types = t.sent.map((s) => s.request.type);
          expect(types.filter((x) => x === 'info')).toHaveLength(1);
          expect(types.indexOf('info')).toBe(types.lastIndexOf('putChunk') + 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not wait for the tail-loss probe, and a failed probe is harmless', async () => {
    const t = new FakeTransport((r) => (r.type === 'putChunk' ? { type: 'putChunkOk', offset: r.offset } : null));
    await sendChunks(t.as(), bodyOf(3_000), { maxChunk: 4080, window: 2 }, putChunkOk);
    const probe = t.pending;
    expect(probe.map((s) => s.request.type)).toEqual(['info']);
    probe[0]!.reject(new DriverError('unreachable', 'no answer after 8 tries'));
    await settle();
  });
});

// A refused piece ends the send with its error; a lost one is resent by the transport; a lost transfer restarts the push.
describe('a failed piece', () => {
  it('an error answer stops the send with that error: no piece is sent after it, and progress never counts it', async () => {
    const t = new FakeTransport();
    const progress: number[] = [];
    const run = sendChunks(t.as(), bodyOf(10_000), { maxChunk: 1000, window: 3, onProgress: (s) => progress.push(s) }, putChunkOk);
    const outcome = run.then(
      () => null,
      (e: unknown) => e,
    );
    await settle();
    const [first, second, third] = t.pending;
    t.answer(first!);
    await settle();
    t.answer(second!, { type: 'error', code: 'noTransfer', message: 'put-chunk without put-begin' });
    await settle();
    const sentAfterFailure = t.sent.length;
    // The pieces already in flight are still answered; nothing new goes out.
    for (const s of t.pending) t.answer(s);
    await settle();
    expect(t.sent.length).toBe(sentAfterFailure);
    expect(await outcome).toMatchObject({ name: 'DriverError', code: 'refused', remote: 'noTransfer', message: 'put-chunk without put-begin' });
    expect(third).toBeDefined();
    expect(t.pieces.map((p) => p.offset)).toEqual([0, 1000, 2000, 3000]);
    // Bytes the appliance acknowledged: the refused piece (1000–2000) is not among them.
    expect(progress).toEqual([1000, 2000, 3000]);
  });

  it('a piece refused because the appliance lost the transfer (it restarted): the driver starts the push over, and it lands', async () => {
    vi.useFakeTimers();
    try {
      const fake = await FakeAppliance.boot('FL0000000001');
      const line = fake.plug();
      const driver = await SerialDriver.overLink('serial:/dev/fake', line.agent, { baud: 115_200, where: '/dev/fake' });
      const table = bigTable(60);
      let chunks = 0;
      line.toAgent = (f, wire) =>
        f?.message.type === 'putChunkOk' && ++chunks === 3
          ? [encodeFrame({ seq: f.seq, message: { type: 'error', code: 'noTransfer', message: 'put-chunk without put-begin' } })]
          : [wire];
      const result = await driver.push(encodeRules(table), { confirmTimeoutMs: 0 });
      expect(result.configId).toBe(configId(table));
      expect(fake.appliance.configId).toBe(configId(table));
      expect(line.agentTypes().filter((t) => t === 'putBegin')).toHaveLength(2);
      await driver.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a piece lost on the line is sent again by the transport; the appliance assembles exactly the body, and later pieces are smaller', async () => {
    vi.useFakeTimers();
    try {
      const fake = await FakeAppliance.boot('FL0000000001');
      const line = fake.plug();
      // One piece in flight at a time: the send stalls on the lost piece until the transport resends it.
      const transport = new SerialTransport(line.agent, { baud: 115_200, window: 1, maxPayload: 4096 });
      const body = encodeRules(bigTable(150));
      const idPrefix = sha256(body).subarray(0, 8);
      let chunks = 0;
      line.toAppliance = (f, wire) => (f?.message.type === 'putChunk' && ++chunks === 3 ? [] : [wire]);
      expect((await transport.request({ type: 'hello', maxPayload: 4096, window: 4, sessionId: 1 })).type).toBe('helloOk');
      expect(
        (
          await transport.request({
            type: 'putBegin',
            mode: 'full',
            size: body.length,
            baseIdPrefix: idPrefix,
            resultIdPrefix: idPrefix,
            commitAfter: false,
            confirmTimeoutMs: 0,
          })
        ).type,
      ).toBe('putBeginOk');
      const progress: number[] = [];
      const run = sendChunks(transport, body, { maxChunk: 4000, window: 1, onProgress: (s) => progress.push(s) }, putChunkOk);
      const outcome = run.then(
        () => 'ok',
        (e: unknown) => e,
      );
      for (let i = 0; i < 50 && progress.at(-1) !== body.length; i++) await advance(100);
      expect(await outcome).toBe('ok');
      expect(transport.retransmissions).toBe(1);
      const end = await transport.request({ type: 'putEnd' });
      expect(end).toMatchObject({ type: 'putEndOk', candidateId: sha256(body), committed: false });
      expect(fake.appliance.management.candidateEncoding()).toEqual(body);
      // The lost piece went out twice (same frame), every other piece once, at increasing offsets.
      const offsets = line
        .frames('toAppliance')
        .filter((f) => f.message.type === 'putChunk')
        .map((f) => (f.message as { offset: number }).offset);
      expect(offsets.length).toBe(new Set(offsets).size + 1);
      const sizes = line
        .frames('toAppliance')
        .filter((f) => f.message.type === 'putChunk')
        .map((f) => (f.message as { bytes: Uint8Array }).bytes.length);
      expect(sizes.slice(0, 4)).toEqual([FIRST_CHUNK, FIRST_CHUNK, FIRST_CHUNK, FIRST_CHUNK]); // the fourth is the resend
      // One loss in about 4 KB: pieces of a few hundred bytes, below the clean start's for the rest of the body.
      expect(sizes[4]).toBeLessThan(FIRST_CHUNK / 2);
      expect(Math.max(...sizes.slice(4))).toBeLessThan(FIRST_CHUNK);
      expect(Math.min(...sizes.slice(4, -1))).toBeGreaterThanOrEqual(128);
      await transport.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

// baseOffset and the firmware channel's resume: only the rest is sent, at its true offsets.
describe('resumption at an offset', () => {
  it('baseOffset moves every piece on by that much; the body is still covered once and progress counts the body', async () => {
    const t = new FakeTransport((r) => (r.type === 'fwChunk' ? { type: 'fwChunkOk', offset: r.offset } : null));
    const progress: [number, number][] = [];
    const body = bodyOf(7_000);
    await sendChunks(
      t.as(),
      body,
      {
        maxChunk: 4000,
        window: 2,
        baseOffset: 50_000,
        request: (offset, bytes) => ({ type: 'fwChunk', offset, bytes }),
        onProgress: (s, n) => progress.push([s, n]),
      },
      (r) => void expectAnswer(r, 'fwChunkOk'),
    );
    let at = 50_000;
    for (const p of t.pieces) {
      expect(p.offset).toBe(at);
      expect(Buffer.from(p.bytes).equals(Buffer.from(body.subarray(at - 50_000, at - 50_000 + p.bytes.length)))).toBe(true);
      at += p.bytes.length;
    }
    expect(at).toBe(57_000);
    expect(t.sent.every((s) => s.request.type !== 'putChunk')).toBe(true);
    expect(progress.at(-1)).toEqual([7_000, 7_000]);
  });

  /** A firmware appliance that already holds `held` bytes of the image. */
  function fwTransport(resumeOffset: number) {
    return new FakeTransport((r): Response | null => {
      switch (r.type) {
        case 'fwBegin':
          return { type: 'fwBeginOk', resumeOffset };
        case 'fwChunk':
          return { type: 'fwChunkOk', offset: r.offset };
        case 'fwEnd':
          return { type: 'fwEndOk', slot: 'B', version: '2.0.0', securityCounter: 3 };
        default:
          return null;
      }
    });
  }

  it('the firmware channel sends the image from where the appliance says it resumes, and reports progress over the whole image', async () => {
    const image = bodyOf(30_000);
    const t = fwTransport(12_345);
    const progress: [number, number][] = [];
    const channel = new FirmwareChannel(t.as(), () => ({ maxPayload: 4096, window: 3 }));
    const upload = await channel.upload(image, (s, n) => progress.push([s, n]));
    expect(t.sent[0]!.request).toMatchObject({ type: 'fwBegin', size: 30_000, sha256: sha256(image) });
    const pieces = t.pieces;
    expect(pieces[0]!.offset).toBe(12_345);
    let at = 12_345;
    for (const p of pieces) {
      expect(p.offset).toBe(at);
      expect(Buffer.from(p.bytes).equals(Buffer.from(image.subarray(at, at + p.bytes.length)))).toBe(true);
      at += p.bytes.length;
    }
    expect(at).toBe(30_000);
    expect(progress[0]).toEqual([12_345, 30_000]);
    expect(progress.at(-1)).toEqual([30_000, 30_000]);
    expect(progress.every(([s], i) => i === 0 || s > progress[i - 1]![0])).toBe(true);
    expect(upload).toMatchObject({ bytesSent: 30_000 - 12_345, resumedFrom: 12_345, slot: 'B', version: '2.0.0', securityCounter: 3 });
    expect(t.sent.at(-1)!.request.type).toBe('fwEnd');
  });

  it('an image already held whole goes straight to fwEnd; a resume offset past the image is refused before anything is sent', async () => {
    const image = bodyOf(5_000);
    const whole = fwTransport(5_000);
    const upload = await new FirmwareChannel(whole.as(), () => ({ maxPayload: 4096, window: 3 })).upload(image);
    expect(whole.pieces).toEqual([]);
    expect(upload).toMatchObject({ bytesSent: 0, resumedFrom: 5_000 });

    const past = fwTransport(5_001);
    await expect(new FirmwareChannel(past.as(), () => ({ maxPayload: 4096, window: 3 })).upload(image)).rejects.toMatchObject({
      code: 'refused',
      message: "the appliance asks to resume at 5001, past the image's 5000 bytes",
    });
    expect(past.sent.map((s) => s.request.type)).toEqual(['fwBegin']);
  });
});
