/** The serial driver's config slots: rollback N, startup and the history with its notes; an older appliance's "unsupported" made clear. */
import { afterEach, describe, expect, it } from 'vitest';
import { DriverError } from '../../../../drivers/driver.js';
import { SerialDriver } from '../../../../drivers/serial/serial-driver.js';
import { configId, encodeRules } from '../../../../src/protocol/rules/index.js';
import { encodeFrame } from '../../../../src/protocol/serial/frame.js';
import { table } from '../../firmware/mgmt/support.js';
import { FakeAppliance, type Line } from './support.js';

const drivers: SerialDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
});

async function connect(line: Line): Promise<SerialDriver> {
  const d = await SerialDriver.overLink('serial:/dev/fake', line.agent, { baud: 115_200, where: '/dev/fake' });
  drivers.push(d);
  return d;
}

/** An appliance from before readSlot and commitNote: its frame decoder does not know them and says so. */
function older(line: Line): void {
  line.toAppliance = (f, wire) => {
    if (f && (f.message.type === 'readSlot' || f.message.type === 'commitNote')) {
      line.injectToAgent(encodeFrame({ seq: f.seq, message: { type: 'error', code: 'unsupported', message: `unknown message type` } }));
      return [];
    }
    return [wire];
  };
}

describe('SerialDriver config slots', () => {
  it('reads rollback N and startup as canonical bytes, and the history with who and why', async () => {
    const fake = await FakeAppliance.boot('FL0000000001', table(0));
    const d = await connect(fake.plug());
    await d.push(encodeRules(table(1)), { confirmTimeoutMs: 0, note: { by: 'ada@ops', comment: 'one' } });
    await d.push(encodeRules(table(2)), { confirmTimeoutMs: 0, note: { by: 'bob@ops', comment: 'two' } });
    expect(await d.readSlot({ slot: 'rollback', steps: 1 })).toEqual(encodeRules(table(1)));
    expect(await d.readSlot({ slot: 'rollback', steps: 2 })).toEqual(encodeRules(table(0)));
    expect(await d.readSlot({ slot: 'startup' })).toEqual(encodeRules(table(2)));
    const history = await d.history();
    expect(history.map(({ steps, configId: id, by, comment }) => ({ steps, id, by, comment }))).toEqual([
      { steps: 1, id: configId(table(1)), by: 'ada@ops', comment: 'one' },
      { steps: 2, id: configId(table(0)), by: '', comment: '' },
    ]);
    expect(history[0]!.at).not.toBeNull();
    expect(history[1]!.at).toBeNull();
    await expect(d.readSlot({ slot: 'rollback', steps: 3 })).rejects.toMatchObject({ remote: 'noSuchRollback' });
    await expect(d.readSlot({ slot: 'candidate' })).rejects.toMatchObject({ remote: 'noCandidate' });
  });

  it('a note is for one commit only: the next push without one leaves none', async () => {
    const fake = await FakeAppliance.boot('FL0000000001', table(0));
    const d = await connect(fake.plug());
    await d.push(encodeRules(table(1)), { confirmTimeoutMs: 0, note: { by: 'ada@ops', comment: 'one' } });
    await d.push(encodeRules(table(2)), { confirmTimeoutMs: 0 });
    await d.push(encodeRules(table(3)), { confirmTimeoutMs: 0 });
    expect((await d.history())[0]).toMatchObject({ configId: configId(table(2)), by: '', comment: '' });
  });

  it('an older appliance: reads are a clear "unsupported", pushes with a note still land', async () => {
    const fake = await FakeAppliance.boot('FL0000000001', table(0));
    const line = fake.plug();
    const d = await connect(line);
    older(line);
    const err = await d.readSlot({ slot: 'rollback', steps: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ code: 'refused', remote: 'unsupported' });
    expect((err as Error).message).toBe("reading rollback 1 is unsupported by this appliance's firmware (it reads only the running table)");
    await expect(d.history()).rejects.toThrow(/reading the history is unsupported/);
    const r = await d.push(encodeRules(table(1)), { confirmTimeoutMs: 0, note: { by: 'ada@ops', comment: 'one' } });
    expect(r.configId).toBe(configId(table(1)));
  });
});
