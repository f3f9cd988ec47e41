/**
 * The floating data plane against real sockets: whatever order opens, closes and commits come
 * in, a close leaves nothing bound and an open ends listening on the table that runs.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ForwardingCore } from '../../../../firmware/forwarding/forwarding-core.js';
import type { RuleTable } from '../../../../src/protocol/rules/model.js';
import { freePort } from '../../../../sim/free-port.js';
import { FloatingDataPlane } from '../../../../sim/failover/floating-data-plane.js';
import { service, table } from '../../../support/rules.js';

const planes: FloatingDataPlane[] = [];
afterEach(async () => {
  await Promise.all(planes.splice(0).map((p) => p.close()));
});

function tcp(name: string, port: number) {
  return service({ name, listen: `127.0.0.1:${port}`, backends: [{}] });
}

function make(rules: () => RuleTable, first: RuleTable): FloatingDataPlane {
  const core = new ForwardingCore(first, { random: () => 0.5, maxFlows: 256, nowEpochMs: 0 });
  const plane = new FloatingDataPlane(core, rules);
  planes.push(plane);
  return plane;
}

/** Whether something in this process (or another) holds 127.0.0.1:port: a listen there fails with EADDRINUSE. */
async function bound(port: number): Promise<boolean> {
  const probe = net.createServer();
  const taken = await new Promise<boolean>((resolve, reject) => {
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(true) : reject(err)));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(false));
  });
  if (!taken) await new Promise<void>((resolve) => probe.close(() => resolve()));
  return taken;
}

describe('FloatingDataPlane', () => {
  it('a close asked for while the open is still binding leaves nothing bound once it resolves', async () => {
    const vip = await freePort();
    const t = table(tcp('web', vip));
    const plane = make(() => t, t);
    const opening = plane.open();
    // The member steps down (or the box powers off) before the listener is up.
    const closed = await plane.close();
    await opening.catch(() => undefined);
    expect(closed).toBe(0);
    expect(plane.listening).toBe(false);
    expect(await bound(vip)).toBe(false);
    // And the address is there for the next open (the peer's, or this member's next takeover).
    await plane.open();
    expect(await bound(vip)).toBe(true);
    await plane.close();
    expect(await bound(vip)).toBe(false);
  });

  it('two opens at once bind once, and one close releases it', async () => {
    const vip = await freePort();
    const t = table(tcp('web', vip));
    const plane = make(() => t, t);
    await Promise.all([plane.open(), plane.open()]);
    expect(plane.listening).toBe(true);
    await plane.close();
    expect(await bound(vip)).toBe(false);
  });

  it("a close asked for while a commit's prepare binds a new service releases that listener too", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const t1 = table(tcp('a', a));
    const plane = make(() => t1, t1);
    await plane.open();
    const preparing = plane.prepare(table(tcp('a', a), tcp('b', b)));
    await plane.close();
    await preparing;
    expect([await bound(a), await bound(b)]).toEqual([false, false]);
  });

  it('commits that land while the listeners start end with the listeners of the table that runs, and no other', async () => {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const t1 = table(tcp('a', a));
    const t2 = table(tcp('a', a), tcp('b', b));
    const t3 = table(tcp('a', a), tcp('c', c));
    let running = t1;
    let reads = 0;
    let commit: Promise<void> = Promise.resolve();
    const plane = make(() => {
      reads++;
      const now = running;
      // t2 was committed while `a` was binding; t3 right after the plane read t2, as the
      // appliance applies a commit: prepare, switch the running table, then switched.
      if (reads === 1) running = t2;
      if (reads === 2)
        commit = plane.prepare(t3).then(() => {
          running = t3;
          plane.switched(t3, []);
        });
      return now;
    }, t1);
    await plane.open();
    await commit;
    // The plane may have had to look again: what counts is the end state.
    await plane.open();
    expect(running).toBe(t3);
    expect(plane.listening).toBe(true);
    expect([await bound(a), await bound(b), await bound(c)]).toEqual([true, false, true]);
    await plane.close();
    expect([await bound(a), await bound(b), await bound(c)]).toEqual([false, false, false]);
  });
});
