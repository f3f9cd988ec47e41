import { describe, expect, it } from 'vitest';
import { ForwardingCore } from '../../../../firmware/forwarding/forwarding-core.js';
import { OUTBOX_CAPACITY, StateMirror } from '../../../../firmware/failover/state-mirror.js';
import { DNS, STICKY_TABLE, WEB } from './member-harness.js';

const core = () => new ForwardingCore(STICKY_TABLE, { random: () => 0.5, maxFlows: 16_384, nowEpochMs: 0 });

describe('state mirror', () => {
  it('records nothing unless this member is active', () => {
    const c = core();
    const m = new StateMirror(c);
    c.attachMirror(m);
    c.close(c.open(WEB, '10.0.0.1', 1, 0));
    expect(m.pending).toBe(0);
    m.recording = true;
    c.close(c.open(WEB, '10.0.0.1', 2, 0));
    expect(m.take(10)).toEqual([{ kind: 'persistence', service: WEB, words: Uint32Array.of(0x0a000001), backend: expect.any(Number) }]);
  });

  it('folds duplicates of one batch, and a full ring drops (counted) and asks for a resync that covers everything', () => {
    const c = core();
    const m = new StateMirror(c);
    c.attachMirror(m);
    m.recording = true;
    for (let i = 0; i < 5; i++) c.close(c.open(WEB, '10.0.0.9', 100 + i, 0));
    expect(m.take(48)).toHaveLength(1);
    const clients = OUTBOX_CAPACITY + 100;
    for (let i = 0; i < clients; i++) c.close(c.open(WEB, `10.1${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`, 1, 0));
    expect(m.stats.dropped).toBe(100);
    expect(m.resyncWanted).toBe(true);
    m.resync();
    let sent = 0;
    for (let batch = m.take(48); batch.length > 0; batch = m.take(48)) sent += batch.length;
    // The ring's records, then a copy of every remembered client (10.0.0.9 included).
    expect(sent).toBe(OUTBOX_CAPACITY + clients + 1);
  });

  it('a client re-picked to another backend within one batch is sent with its last backend', () => {
    const m = new StateMirror(core());
    m.recording = true;
    const client = Uint32Array.of(0x0a000007);
    m.persisted(WEB, client, 0, 1, 0);
    m.persisted(WEB, client, 0, 1, 1);
    expect(m.take(48)).toEqual([{ kind: 'persistence', service: WEB, words: client, backend: 1 }]);
  });

  it('applies only indexes the running table has, and UDP sessions only to UDP services', () => {
    const m = new StateMirror(core());
    m.apply(
      [
        { kind: 'persistence', service: WEB, words: Uint32Array.of(1), backend: 2 },
        { kind: 'persistence', service: WEB, words: Uint32Array.of(1), backend: 3 },
        { kind: 'persistence', service: 7, words: Uint32Array.of(1), backend: 0 },
        { kind: 'persistence', service: DNS, words: Uint32Array.of(1), backend: 0 },
        { kind: 'udp-session', service: WEB, words: Uint32Array.of(1), port: 5, backend: 0 },
        { kind: 'udp-session', service: DNS, words: Uint32Array.of(1), port: 5, backend: 1 },
      ],
      0,
    );
    expect(m.stats).toMatchObject({ applied: 2, refused: 4 });
    expect(m.recall(Uint32Array.of(DNS, 1, 5), 10)).toBe(1);
    expect(m.recall(Uint32Array.of(DNS, 1, 6), 10)).toBe(-1);
  });
});
