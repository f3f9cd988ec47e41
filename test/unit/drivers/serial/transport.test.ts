/**
 * The windowed request/response transport (drivers/serial/transport.ts) against the real
 * firmware SerialServer, over in-memory lines whose taps lose, damage, duplicate or hold back
 * frames. Time is the fake clock's: every timeout is reached by advancing it, never by waiting.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { SerialDriver } from '../../../../drivers/serial/serial-driver.js';
import { SerialTransport, type ByteLink, type TransportOptions } from '../../../../drivers/serial/transport.js';
import { configId, encodeRules } from '../../../../src/protocol/rules/index.js';
import { encodeFrame, frameWireSize } from '../../../../src/protocol/serial/frame.js';
import type { Frame, Request, Response } from '../../../../src/protocol/serial/messages.js';
import { PUT_CHUNK_HEADER_BYTES } from '../../../../src/protocol/serial/payload.js';
import { bigTable } from '../../protocol/serial/big-table.js';
import { advance, corrupt, FakeAppliance, granting, holding, isRequest, isResponse, settle, type Line, type Tap } from './support.js';

/** Each transport opens its own session on the appliance (a hello with a new session id), as each driver does. */
let sessions = 0x5eed0000;
const read = (offset: number, maxBytes = 8): Request => ({ type: 'read', object: 'running', offset, maxBytes });

let cleanup: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  vi.useRealTimers();
});

/** Same judge as the driver's: the hello must be answered by the appliance with `serial`. */
const samePeer = (serial: string, hello: Request): NonNullable<TransportOptions['verifyPeer']> => ({
  request: () => hello,
  judge: (r) =>
    r.type !== 'helloOk' ? `unexpected answer ${r.type}` : r.identity.serialNumber === serial ? null : `a different appliance (${r.identity.serialNumber})`,
});

/** A transport on a new cable to `fake`, after a hello that opens the appliance's session (its answer cache) and a first read. */
async function connect(fake: FakeAppliance, options: Partial<TransportOptions> & { verifyAs?: string } = {}) {
  const hello: Request = { type: 'hello', maxPayload: 4096, window: 8, sessionId: sessions++ };
  const { verifyAs, ...rest } = options;
  const line = fake.plug();
  const transport = new SerialTransport(line.agent, {
    baud: 115_200,
    window: 4,
    maxPayload: 4096,
    ...(verifyAs ? { verifyPeer: samePeer(verifyAs, hello) } : {}),
    ...rest,
  });
  cleanup.push(() => transport.close());
  expect((await transport.request(hello)).type).toBe('helloOk');
  // Reads of the running table at other offsets come from the snapshot this one opens.
  expect((await transport.request(read(0))).type).toBe('readOk');
  // The log starts after this set-up.
  line.log.length = 0;
  return { line, transport };
}

/** Watches a promise without awaiting it. */
function track<T>(p: Promise<T>) {
  const t: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (v) => Object.assign(t, { settled: true, value: v }),
    (e: unknown) => Object.assign(t, { settled: true, error: e }),
  );
  return t;
}

/** A tap that applies `fate` to the k-th frame matching `match` (1-based) and passes everything else. */
function nth(match: (f: Frame | null) => boolean, k: number, fate: (wire: Uint8Array) => Uint8Array[]): Tap {
  let seen = 0;
  return (f, wire) => (match(f) && ++seen === k ? fate(wire) : [wire]);
}
const drop = () => [];
const requestOf = (type: Request['type']) => (f: Frame | null) => f?.message.type === type;
const answerOf = (type: Response['type']) => (f: Frame | null) => f?.message.type === type;

/** A reconnect the test completes by hand: each call waits in `pending` until resolved or rejected. */
function manualReconnect() {
  const pending: { resolve: (l: ByteLink) => void; reject: (e: Error) => void }[] = [];
  const fn = () => new Promise<ByteLink>((resolve, reject) => pending.push({ resolve, reject }));
  return {
    fn,
    pending,
    get calls() {
      return pending.length;
    },
  };
}

// Answers are matched by sequence number only: order, events, echoes and strays do not complete a request.
describe('request/response matching: an answer completes the request with its sequence number, nothing else does', () => {
  it('answers delivered in reverse order still reach their own requests', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    const running = encodeRules(fake.appliance.rules);
    const hold = holding((f) => f?.message.type === 'readOk');
    line.toAgent = hold.tap;
    const reads = [1, 2, 3].map((offset) => transport.request(read(offset, offset * 2)));
    await settle();
    expect(hold.held).toHaveLength(3);
    for (const wire of hold.held.splice(0).reverse()) line.injectToAgent(wire);
    const answers = await Promise.all(reads);
    answers.forEach((a, i) => {
      const offset = i + 1;
      expect(a).toMatchObject({ type: 'readOk', offset, total: running.length });
      expect(a.type === 'readOk' && [...a.bytes]).toEqual([...running.subarray(offset, offset + offset * 2)]);
    });
  });

  it('an event, its own request echoed back, and an answer to no pending request leave the request pending', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    const hold = holding(answerOf('infoOk'));
    line.toAgent = hold.tap;
    const events: string[] = [];
    transport.onEvent((e) => events.push(e.kind));
    const info = track(transport.request({ type: 'info' }));
    await settle();
    const sent = line.frames('toAppliance').at(-1)!;
    expect(sent.message.type).toBe('info');
    const seq = sent.seq;
    line.injectToAgent(encodeFrame({ seq, message: { type: 'event', kind: 'backend-state', at: 1, service: 'web', address: '10.0.0.2:1000', up: false } }));
    line.injectToAgent(encodeFrame({ seq, message: { type: 'info' } }));
    line.injectToAgent(encodeFrame({ seq: (seq + 100) & 0xffff, message: { type: 'rebootOk' } }));
    await settle();
    expect(events).toEqual(['backend-state']);
    expect(info.settled).toBe(false);
    hold.release(line, 'toAgent');
    await settle();
    expect(info.value).toMatchObject({ type: 'infoOk', identity: { serialNumber: 'FL0000000001' } });
    expect(transport.retransmissions).toBe(0);
  });
});

// Lost or unanswered requests are resent unchanged after a line-sized timeout, with back-off and a try limit; a later answer resends at once.
describe('retransmission on timeout: the very same frame again, after a timeout computed from the line', () => {
  it('a lost request is sent again byte for byte once its timeout passes, not before, and answered', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    line.toAppliance = nth(requestOf('read'), 1, drop);
    const answer = track(transport.request(read(1)));
    await advance(100);
    expect(line.agentTypes().filter((t) => t === 'read')).toHaveLength(1);
    expect(answer.settled).toBe(false);
    await advance(900);
    const copies = line.log.filter((w) => w.frame?.message.type === 'read');
    expect(copies).toHaveLength(2);
    expect(copies[1]!.wire).toEqual(copies[0]!.wire);
    expect(answer.value).toMatchObject({ type: 'readOk', offset: 1 });
    expect(transport.retransmissions).toBe(1);
  });

  it('a lost answer is recovered the same way; the appliance answers the repeat from its cache without executing it again', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    line.toAgent = nth(answerOf('infoOk'), 1, drop);
    const executed = fake.count('identity');
    const answer = track(transport.request({ type: 'info' }));
    await advance(1_000);
    expect(answer.value).toMatchObject({ type: 'infoOk' });
    expect(line.agentTypes().filter((t) => t === 'info')).toHaveLength(2);
    expect(fake.count('identity')).toBe(executed + 1);
  });

  it('backs off 1×, 2×, 4×, then stays at 4×; after maxTries the request fails as unreachable and the next one goes out', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake, { window: 1, maxTries: 5 });
    line.toAppliance = (f, wire) => (f?.message.type === 'info' ? [] : [wire]);
    const lost = track(transport.request({ type: 'info' }));
    const next = track(transport.request(read(1)));
    for (let i = 0; i < 60 && !lost.settled; i++) await advance(100);
    const times = line.log.filter((w) => w.frame?.message.type === 'info').map((w) => w.at);
    expect(times).toHaveLength(5);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    const first = gaps[0]!;
    expect(first).toBeGreaterThan(100);
    expect(first).toBeLessThan(500);
    expect(gaps.map((g) => Math.round(g / first))).toEqual([1, 2, 4, 4]);
    expect(lost.error).toBeInstanceOf(DriverError);
    expect(lost.error).toMatchObject({ code: 'unreachable', message: 'no answer after 5 tries' });
    await settle();
    expect(next.value).toMatchObject({ type: 'readOk', offset: 1 });
  });

  it('the timeout covers the bytes queued on the line: at 9600 baud the fourth of four 1 KB requests waits for all four', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake, { baud: 9_600, window: 4 });
    line.toAppliance = (f, wire) => (f?.message.type === 'putChunk' ? [] : [wire]);
    const chunks = [0, 1, 2, 3].map((i) =>
      transport.request({ type: 'putChunk', offset: i * 1000, bytes: new Uint8Array(1000).fill(i + 1) }).catch(() => undefined),
    );
    await settle();
    const firsts = line.log.filter((w) => w.frame?.message.type === 'putChunk');
    expect(firsts).toHaveLength(4);
    // What the line needs to carry the four there (and about as long for answers back).
    const lineMs = (firsts.reduce((n, w) => n + w.wire.length, 0) * 10_000) / 9_600;
    const resendAt = (k: number) => {
      const copies = line.log.filter((w) => w.frame?.message.type === 'putChunk' && w.frame.seq === firsts[k]!.frame!.seq);
      return copies[1]?.at;
    };
    const start = firsts[0]!.at;
    for (let t = 0; t < 20_000 && resendAt(3) === undefined; t += 100) await advance(100);
    expect(resendAt(0)! - start).toBeLessThan(resendAt(3)! - start);
    expect(resendAt(3)! - start).toBeGreaterThan(2 * lineMs);
    await transport.close();
    await Promise.all(chunks);
  });

  it('an answer to a later request resends an earlier unanswered one at once, and only once however many answers follow', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake, { window: 4 });
    line.toAppliance = nth(requestOf('read'), 1, drop);
    const hold = holding(answerOf('readOk'));
    line.toAgent = hold.tap;
    const answers: Promise<Response>[] = [];
    const start = performance.now();
    for (const offset of [1, 2, 3, 4]) {
      answers.push(transport.request(read(offset)));
      // Requests leave at distinct instants, as on a real clock.
      await vi.advanceTimersByTimeAsync(1);
    }
    await settle();
    expect(hold.held).toHaveLength(3); // the answers to 2, 3 and 4
    line.toAgent = (_f, wire) => [wire];
    hold.release(line, 'toAgent');
    const got = await Promise.all(answers);
    expect(got.map((a) => a.type === 'readOk' && a.offset)).toEqual([1, 2, 3, 4]);
    const reads = line.frames('toAppliance').filter((f) => f.message.type === 'read');
    expect(reads.map((f) => (f.message as { offset: number }).offset)).toEqual([1, 2, 3, 4, 1]);
    expect(transport.retransmissions).toBe(1);
    // Long before any timeout.
    expect(performance.now() - start).toBeLessThan(10);
  });
});

// Duplicate answers are ignored; frames failing their CRC are dropped on either side and recovered by the resend.
describe('duplicates and damaged frames', () => {
  it('a duplicated answer arriving late neither completes the next request nor causes a resend', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake, { window: 2 });
    let spare: Uint8Array | null = null;
    line.toAgent = (f, wire) => {
      if (f?.message.type === 'infoOk' && spare === null) spare = wire;
      return f?.message.type === 'readOk' ? [] : [wire];
    };
    expect((await transport.request({ type: 'info' })).type).toBe('infoOk');
    const second = track(transport.request(read(1)));
    await settle();
    const written = line.log.length;
    line.injectToAgent(spare!);
    await settle();
    expect(second.settled).toBe(false);
    expect(line.log.length).toBe(written);
    // The held-back answer: resent after the timeout, answered from the cache.
    line.toAgent = (_f, wire) => [wire];
    await advance(1_000);
    expect(second.value).toMatchObject({ type: 'readOk', offset: 1 });
  });

  it('every answer delivered twice: each request still gets its own, nothing is resent', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake, { window: 1 });
    line.toAgent = (_f, wire) => [wire, wire];
    for (const offset of [1, 2, 3, 4, 5]) expect(await transport.request(read(offset))).toMatchObject({ type: 'readOk', offset });
    await advance(5_000);
    expect(transport.retransmissions).toBe(0);
    expect(line.agentTypes().filter((t) => t === 'read')).toHaveLength(5);
  });

  it('a request damaged on the way (bad CRC) is dropped by the appliance, not acted on, and recovered by the resend', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    line.toAppliance = nth(requestOf('info'), 1, (wire) => [corrupt(wire)]);
    const executed = fake.count('identity');
    const answer = track(transport.request({ type: 'info' }));
    await advance(100);
    expect(fake.server.stats.crcErrors).toBe(1);
    expect(fake.count('identity')).toBe(executed);
    expect(answer.settled).toBe(false);
    await advance(900);
    expect(answer.value).toMatchObject({ type: 'infoOk' });
    expect(fake.count('identity')).toBe(executed + 1);
  });

  it('an answer damaged on the way is dropped by the transport and recovered by the resend, from the appliance cache', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    line.toAgent = nth(answerOf('infoOk'), 1, (wire) => [corrupt(wire)]);
    const executed = fake.count('identity');
    const answer = track(transport.request({ type: 'info' }));
    await advance(100);
    expect(transport.decoderStats.crcErrors).toBe(1);
    expect(answer.settled).toBe(false);
    await advance(900);
    expect(answer.value).toMatchObject({ type: 'infoOk' });
    expect(fake.count('identity')).toBe(executed + 1);
  });
});

// The window caps the requests in flight, however frames are lost, damaged or duplicated.
describe('window: never more than `window` requests in flight', () => {
  it('sends `window` requests, then one more per answer, in order', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake, { window: 3 });
    const hold = holding((f) => f?.message.type === 'readOk');
    line.toAgent = hold.tap;
    const answers = Array.from({ length: 8 }, (_, i) => transport.request(read(i + 1)));
    const offsets = () =>
      line
        .frames('toAppliance')
        .filter((f) => f.message.type === 'read')
        .map((f) => (f.message as { offset: number }).offset);
    await settle();
    expect(offsets()).toEqual([1, 2, 3]);
    hold.release(line, 'toAgent', 1);
    await settle();
    expect(offsets()).toEqual([1, 2, 3, 4]);
    transport.setWindow(5);
    await settle();
    expect(offsets()).toEqual([1, 2, 3, 4, 5, 6]);
    while ((await settle(), hold.held.length > 0)) hold.release(line, 'toAgent');
    expect((await Promise.all(answers)).map((a) => a.type === 'readOk' && a.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(offsets()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('whatever is lost, damaged or duplicated either way, each request gets its own answer and the window holds', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const running = encodeRules(fake.appliance.rules);
    const count = Math.min(24, running.length - 1);
    // Per frame copy: 0 deliver, 1 drop, 2 damage, 3 duplicate. At most 3 mishaps per sequence number, so 8 tries always suffice.
    const fates = fc.array(fc.constantFrom(0, 0, 0, 0, 1, 2, 3), { minLength: 300, maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: count }), fates, async (window, n, plan) => {
        const { line, transport } = await connect(fake, { window });
        let k = 0;
        const mishaps = new Map<number, number>();
        const fateOf = (f: Frame | null, wire: Uint8Array): Uint8Array[] => {
          if (!f || f.message.type === 'hello' || f.message.type === 'helloOk') return [wire];
          const fate = plan[k++ % plan.length]!;
          if (fate === 0) return [wire];
          if (fate === 3) return [wire, wire];
          const m = mishaps.get(f.seq) ?? 0;
          if (m >= 3) return [wire];
          mishaps.set(f.seq, m + 1);
          return fate === 1 ? [] : [corrupt(wire)];
        };
        const sent = new Set<number>();
        const answered = new Set<number>();
        let most = 0;
        line.toAppliance = (f, wire) => {
          if (f && isRequest(f.message) && f.message.type !== 'hello' && !sent.has(f.seq)) {
            sent.add(f.seq);
            most = Math.max(most, [...sent].filter((s) => !answered.has(s)).length);
          }
          return fateOf(f, wire);
        };
        line.toAgent = fateOf;
        line.onDeliverToAgent = (f) => {
          if (f && isResponse(f.message)) answered.add(f.seq);
        };
        const offsets = Array.from({ length: n }, (_, i) => 1 + ((i * 7) % count));
        const all = track(Promise.all(offsets.map((o) => transport.request(read(o, 1 + (o % 5))))));
        for (let i = 0; i < 600 && !all.settled; i++) await advance(100);
        expect(all.error).toBeUndefined();
        expect(most).toBeLessThanOrEqual(window);
        expect(sent.size).toBe(n);
        all.value!.forEach((a, i) => {
          const o = offsets[i]!;
          expect(a).toMatchObject({ type: 'readOk', offset: o });
          expect(a.type === 'readOk' && [...a.bytes]).toEqual([...running.subarray(o, o + 1 + (o % 5))]);
        });
        await transport.close();
      }),
      { numRuns: 40 },
    );
  });
});

// After the device closes: nothing but the hello goes out until the same appliance answers it; otherwise everything fails cleanly.
describe('reconnect: the device went away and came back', () => {
  it('nothing goes on the new link before the repeated hello is answered by the same appliance; then what was in flight is sent again, byte for byte', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const reconnect = manualReconnect();
    const { line, transport } = await connect(fake, { window: 4, reconnect: reconnect.fn, verifyAs: 'FL0000000001' });
    line.toAgent = (f, wire) => (f?.message.type === 'readOk' ? [] : [wire]);
    const first = track(transport.request(read(1)));
    await settle();
    const original = line.log.find((w) => w.frame?.message.type === 'read')!;
    line.unplug();
    await settle();
    expect(reconnect.calls).toBe(1);
    // While the device is away, new requests wait.
    const during = track(transport.request(read(2)));
    await advance(5_000);
    expect(line.agentTypes()).toEqual(['read']);

    const line2 = fake.plug();
    const hold = holding((f) => f?.message.type === 'helloOk');
    line2.toAgent = hold.tap;
    reconnect.pending[0]!.resolve(line2.agent);
    await settle();
    // Another request while the peer is being checked: it must wait too.
    const probing = track(transport.request(read(3)));
    await settle();
    expect(line2.agentTypes()).toEqual(['hello']);
    expect(hold.held).toHaveLength(1);

    hold.release(line2, 'toAgent');
    await settle();
    expect(line2.agentTypes().slice(0, 2)).toEqual(['hello', 'read']);
    expect(line2.log.find((w) => w.dir === 'toAppliance' && w.frame?.message.type === 'read')!.wire).toEqual(original.wire);
    expect(first.value).toMatchObject({ type: 'readOk', offset: 1 });
    expect(during.value).toMatchObject({ type: 'readOk', offset: 2 });
    expect(probing.value).toMatchObject({ type: 'readOk', offset: 3 });
    expect(reconnect.calls).toBe(1);
  });

  it('a frame cut off by the unplug does not spoil the first answer on the new link', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const reconnect = manualReconnect();
    const { line, transport } = await connect(fake, { reconnect: reconnect.fn, verifyAs: 'FL0000000001' });
    // The answer is half way through the cable when it is pulled.
    line.toAgent = (f, wire) => (f?.message.type === 'infoOk' ? [wire.subarray(0, wire.length >> 1)] : [wire]);
    const info = track(transport.request({ type: 'info' }));
    await settle();
    line.unplug();
    await settle();
    reconnect.pending[0]!.resolve(fake.plug().agent);
    await advance(500);
    expect(info.value).toMatchObject({ type: 'infoOk' });
    expect(reconnect.calls).toBe(1);
    expect(transport.decoderStats.crcErrors + transport.decoderStats.malformed).toBe(0);
  });

  it('no answer to the hello within a second: the link is closed and reopened, then the same appliance is accepted', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const reconnect = manualReconnect();
    const { line, transport } = await connect(fake, { reconnect: reconnect.fn, verifyAs: 'FL0000000001' });
    line.toAgent = (f, wire) => (f?.message.type === 'infoOk' ? [] : [wire]);
    const info = track(transport.request({ type: 'info' }));
    await settle();
    line.unplug();
    await settle();
    const mute = fake.plug();
    mute.toAgent = () => [];
    reconnect.pending[0]!.resolve(mute.agent);
    await advance(900);
    expect(reconnect.calls).toBe(1);
    await advance(400);
    expect(mute.closedByAgent).toBe(true);
    expect(mute.agentTypes()).toEqual(['hello']);
    expect(reconnect.calls).toBe(2);
    reconnect.pending[1]!.resolve(fake.plug().agent);
    await advance(100);
    expect(info.value).toMatchObject({ type: 'infoOk' });
  });

  it('a different appliance on the new link gets nothing but hellos, every link to it is closed, and the requests fail as unreachable saying why', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const other = await FakeAppliance.boot('FL0000000002');
    let reopened = 0;
    const { line, transport } = await connect(fake, {
      reconnect: async () => (reopened++, other.plug().agent),
      reconnectForMs: 2_000,
      verifyAs: 'FL0000000001',
    });
    line.toAgent = (f, wire) => (f?.message.type === 'readOk' ? [] : [wire]);
    const inFlight = track(transport.request(read(1)));
    await settle();
    line.unplug();
    for (let i = 0; i < 50 && !inFlight.settled; i++) await advance(100);
    expect(inFlight.error).toBeInstanceOf(DriverError);
    expect(inFlight.error).toMatchObject({ code: 'unreachable', message: 'serial device gone: a different appliance (FL0000000002)' });
    expect(reopened).toBeGreaterThan(1);
    expect(other.lines).toHaveLength(reopened);
    for (const l of other.lines) {
      expect(l.agentTypes()).toEqual(['hello']);
      expect(l.closedByAgent).toBe(true);
    }
    // Gone for good: no more reopening, and a later request fails at once instead of waiting forever.
    await advance(5_000);
    expect(reopened).toBe(other.lines.length);
    const later = track(transport.request({ type: 'info' }));
    await settle();
    expect(later.error).toMatchObject({ code: 'unreachable' });
    expect(other.lines.every((l) => l.agentTypes().every((t) => t === 'hello'))).toBe(true);
  });

  it('a request made while the new peer is being checked does not reach it: another appliance never executes it', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const other = await FakeAppliance.boot('FL0000000002');
    let hellos = 0;
    const hold = holding((f) => f?.message.type === 'helloOk' && hellos++ === 0);
    const { line, transport } = await connect(fake, {
      reconnect: async () => {
        const l = other.plug();
        l.toAgent = hold.tap;
        return l.agent;
      },
      reconnectForMs: 0,
      verifyAs: 'FL0000000001',
    });
    line.unplug();
    await settle();
    expect(other.lines[0]!.agentTypes()).toEqual(['hello']);
    const info = track(transport.request({ type: 'info' }));
    await settle();
    expect(other.lines[0]!.agentTypes()).toEqual(['hello']);
    hold.release(other.lines[0]!, 'toAgent');
    for (let i = 0; i < 30 && !info.settled; i++) await advance(100);
    expect(info.error).toMatchObject({ code: 'unreachable', message: 'serial device gone: a different appliance (FL0000000002)' });
    expect(other.lines.every((l) => l.agentTypes().every((t) => t === 'hello'))).toBe(true);
    // All it executed is the handshake, once per link.
    expect(other.count('identity')).toBe(other.lines.length);
  });

  it('the device cannot be reopened: what is in flight and what is queued fail as unreachable with the reason', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const reconnect = manualReconnect();
    const { line, transport } = await connect(fake, { window: 1, reconnect: reconnect.fn, verifyAs: 'FL0000000001' });
    line.toAgent = (f, wire) => (f?.message.type === 'readOk' ? [] : [wire]);
    const inFlight = track(transport.request(read(1)));
    const queued = track(transport.request(read(2)));
    await settle();
    line.unplug();
    await settle();
    reconnect.pending[0]!.reject(new Error('ENOENT: /dev/ttyUSB0'));
    await settle();
    for (const t of [inFlight, queued])
      expect(t.error).toMatchObject({ name: 'DriverError', code: 'unreachable', message: 'serial device gone: ENOENT: /dev/ttyUSB0' });
  });

  it('without a way to reconnect, a device that goes away fails what is in flight at once', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const { line, transport } = await connect(fake);
    line.toAgent = (f, wire) => (f?.message.type === 'readOk' ? [] : [wire]);
    const inFlight = track(transport.request(read(1)));
    await settle();
    line.unplug();
    await settle();
    expect(inFlight.error).toMatchObject({ code: 'unreachable', message: 'serial device closed' });
    const later = track(transport.request(read(2)));
    await settle();
    expect(later.error).toMatchObject({ code: 'unreachable' });
  });

  it('close() rejects what is in flight and queued, closes the link, and does not try to reconnect', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const reconnect = manualReconnect();
    const { line, transport } = await connect(fake, { window: 1, reconnect: reconnect.fn });
    line.toAgent = () => [];
    const inFlight = track(transport.request(read(1)));
    const queued = track(transport.request(read(2)));
    await settle();
    await transport.close();
    await settle();
    for (const t of [inFlight, queued]) expect(t.error).toMatchObject({ code: 'unreachable', message: 'transport closed' });
    expect(line.closedByAgent).toBe(true);
    expect(reconnect.calls).toBe(0);
    await expect(transport.request({ type: 'info' })).rejects.toMatchObject({ message: 'transport closed' });
  });
});

// The driver's hello proposes 4 KiB / 8 and the transport and chunk sender keep to what is granted.
describe('the handshake (SerialDriver over the transport) sets frame size and window', () => {
  /** Largest number of requests the agent had sent and not yet seen answered, over the whole line. */
  function inFlightWatch(line: Line) {
    const sent = new Set<number>();
    const answered = new Set<number>();
    const watch = { most: 0 };
    line.onDeliverToAgent = (f) => void (f && isResponse(f.message) && answered.add(f.seq));
    const before = line.toAppliance;
    line.toAppliance = (f, wire) => {
      if (f && isRequest(f.message) && !sent.has(f.seq)) {
        sent.add(f.seq);
        watch.most = Math.max(watch.most, [...sent].filter((s) => !answered.has(s)).length);
      }
      return before(f, wire);
    };
    return watch;
  }

  it('asks for 4 KiB and a window of 8, and uses what the firmware grants: 8 in flight, pieces up to 4 KiB', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const line = fake.plug();
    const watch = inFlightWatch(line);
    const driver = await SerialDriver.overLink('serial:/dev/fake', line.agent, { baud: 115_200, where: '/dev/fake' });
    cleanup.push(() => driver.close());
    expect(line.frames('toAppliance')[0]!.message).toMatchObject({ type: 'hello', maxPayload: 4096, window: 8 });
    const table = bigTable(800);
    const result = await driver.push(encodeRules(table), { confirmTimeoutMs: 0 });
    expect(result.configId).toBe(configId(table));
    expect(fake.appliance.configId).toBe(configId(table));
    const pieces = line
      .frames('toAppliance')
      .filter((f) => f.message.type === 'putChunk')
      .map((f) => (f.message as { bytes: Uint8Array }).bytes.length);
    expect(Math.max(...pieces)).toBe(4096 - PUT_CHUNK_HEADER_BYTES);
    expect(watch.most).toBe(8);
  });

  it('an appliance that grants less (1 KiB, window 2) is held to it: no larger frame, never more than 2 in flight', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const line = fake.plug();
    line.toAgent = granting({ maxPayload: 1024, window: 2 });
    const watch = inFlightWatch(line);
    const driver = await SerialDriver.overLink('serial:/dev/fake', line.agent, { baud: 115_200, where: '/dev/fake' });
    cleanup.push(() => driver.close());
    const table = bigTable(100);
    await driver.push(encodeRules(table), { confirmTimeoutMs: 0 });
    expect(await driver.readRunning()).toEqual(encodeRules(table));
    const agentWrites = line.log.filter((w) => w.dir === 'toAppliance');
    expect(Math.max(...agentWrites.slice(1).map((w) => w.wire.length))).toBeLessThanOrEqual(frameWireSize(1024));
    const reads = line.frames('toAppliance').filter((f) => f.message.type === 'read');
    expect(reads.every((f) => (f.message as { maxBytes: number }).maxBytes <= 1024 - 16)).toBe(true);
    expect(watch.most).toBe(2);
  });

  it('after a reconnect to another appliance, the driver fails the operation naming both serial numbers', async () => {
    const fake = await FakeAppliance.boot('FL0000000001');
    const other = await FakeAppliance.boot('FL0000000002');
    const line = fake.plug();
    const driver = await SerialDriver.overLink('serial:/dev/fake', line.agent, {
      baud: 115_200,
      where: '/dev/fake',
      reconnect: async () => other.plug().agent,
      reconnectForMs: 1_000,
    });
    cleanup.push(() => driver.close());
    line.toAgent = (f, wire) => (f?.message.type === 'infoOk' ? [] : [wire]);
    const info = track(driver.info());
    await settle();
    line.unplug();
    for (let i = 0; i < 40 && !info.settled; i++) await advance(100);
    expect(info.error).toMatchObject({
      code: 'unreachable',
      message: 'serial device gone: a different appliance (serial number FL0000000002) answers on /dev/fake, not FL0000000001',
    });
    expect(other.lines.every((l) => l.agentTypes().every((t) => t === 'hello'))).toBe(true);
  });
});
