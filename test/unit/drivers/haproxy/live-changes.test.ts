/**
 * Which pushes need no reload (drivers/haproxy/live-changes.ts): weight and state changes of
 * servers that run become runtime commands with their undo; anything else is a full push.
 */
import { describe, expect, it } from 'vitest';
import { drainCommands, fileWeights, liveChange, type RunningServer } from '../../../../drivers/haproxy/live-changes.js';
import type { Backend } from '../../../../src/protocol/rules/model.js';
import { service, table } from '../../../support/rules.js';

const servers: RunningServer[] = [
  { proxy: 'web', name: 's1', address: '127.0.0.1:9001' },
  { proxy: 'web', name: 's2', address: '127.0.0.1:9002' },
  { proxy: 'web', name: 's3', address: '127.0.0.1:9003' },
];

const web = (backends: Partial<Backend>[], algorithm: 'weighted-round-robin' | 'round-robin' = 'weighted-round-robin') =>
  table(service({ name: 'web', algorithm, backends }));

describe('live changes', () => {
  it('turns weight and state changes into set server commands, with the undo in reverse order', () => {
    const before = web([{ weight: 3 }, { weight: 2 }, { weight: 1 }]);
    const after = web([{ weight: 3 }, { weight: 5, state: 'disabled' }, { weight: 4, state: 'drain' }]);
    expect(liveChange(before, after, servers)).toEqual({
      apply: ['set server web/s2 weight 5', 'set server web/s2 state maint', 'set server web/s3 weight 0', 'set server web/s3 state drain'],
      undo: ['set server web/s3 state ready', 'set server web/s3 weight 1', 'set server web/s2 state ready', 'set server web/s2 weight 2'],
    });
    // Back from drain: the file's weight again, and ready.
    expect(liveChange(after, before, servers)?.apply).toEqual([
      'set server web/s2 weight 2',
      'set server web/s2 state ready',
      'set server web/s3 weight 1',
      'set server web/s3 state ready',
    ]);
  });

  it('sends nothing for a weight change the file does not show (a plain algorithm weighs 0 or 1)', () => {
    const before = web([{ weight: 1 }, { weight: 1 }, { weight: 1 }], 'round-robin');
    const after = web([{ weight: 7 }, { weight: 1 }, { weight: 0 }], 'round-robin');
    expect(fileWeights(after.services[0]!)).toEqual([1, 1, 0]);
    expect(liveChange(before, after, servers)).toEqual({ apply: ['set server web/s3 weight 0'], undo: ['set server web/s3 weight 1'] });
  });

  it('needs a reload for anything else: a new backend, another address, a limit, a service setting, a server HAProxy does not have', () => {
    const base = web([{ weight: 3 }, { weight: 2 }, { weight: 1 }]);
    expect(liveChange(base, web([{ weight: 3 }, { weight: 2 }]), servers)).toBeNull();
    expect(liveChange(base, web([{ weight: 3 }, { weight: 2 }, { weight: 1, maxConnections: 10 }]), servers)).toBeNull();
    expect(liveChange(base, web([{ weight: 3 }, { weight: 2 }, { weight: 1, backup: true }]), servers)).toBeNull();
    expect(
      liveChange(
        base,
        table(service({ name: 'web', algorithm: 'weighted-round-robin', idleTimeoutMs: 60_000, backends: [{ weight: 3 }, { weight: 2 }, { weight: 1 }] })),
        servers,
      ),
    ).toBeNull();
    expect(liveChange(base, table(), servers)).toBeNull();
    expect(liveChange(base, web([{ weight: 3 }, { weight: 2 }, { weight: 9 }]), servers.slice(0, 2))).toBeNull();
  });

  it('names the drained servers to set after a reload (the file can only say weight 0)', () => {
    expect(drainCommands(web([{ state: 'drain' }, {}, { state: 'drain' }]), servers)).toEqual([
      'set server web/s1 state drain',
      'set server web/s3 state drain',
    ]);
  });
});
