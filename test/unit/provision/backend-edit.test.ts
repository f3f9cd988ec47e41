/**
 * One backend edited in the running table (src/provision/backend-edit.ts): what the edit may
 * change, how a wrong name or value is refused before anything is sent, and that an edit made on
 * a table the appliance no longer runs is refused rather than undoing the change made meanwhile.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configId, type RuleTable } from '../../../src/protocol/rules/index.js';
import { applyBackendEdit, editBackend } from '../../../src/provision/backend-edit.js';
import { PushRefused } from '../../../src/provision/push-preflight.js';
import { ProvisionError } from '../../../src/provision/push.js';
import { ConfigCache } from '../../../src/store/config-cache.js';
import { FakeAppliance } from '../../support/fake-appliance.js';
import { service, table } from '../../support/rules.js';

const running: RuleTable = table(
  service({ name: 'api', listen: '127.0.0.1:8001', algorithm: 'weighted-round-robin', backends: [{ weight: 3 }, { weight: 2 }] }),
  service({ name: 'web', listen: '127.0.0.1:8000', backends: [{}] }),
);
const newCache = () => new ConfigCache(mkdtempSync(path.join(tmpdir(), 'fulcrum-edit-')));

describe('applyBackendEdit', () => {
  it("changes that backend's weight or state and nothing else", () => {
    const edited = applyBackendEdit(running, { service: 'api', backend: '127.0.0.1:9002', weight: 7 });
    expect(edited.services[0]!.backends.map((b) => b.weight)).toEqual([3, 7]);
    expect(edited.services[1]).toEqual(running.services[1]);
    const drained = applyBackendEdit(running, { service: 'api', backend: '127.0.0.1:9001', state: 'drain' });
    expect(drained.services[0]!.backends.map((b) => b.state)).toEqual(['drain', 'enabled']);
    expect(drained.services[0]!.backends[0]!.weight).toBe(3);
    // The running table is left as it was.
    expect(running.services[0]!.backends[0]!.state).toBe('enabled');
  });

  it('finds the backend by any spelling of its address', () => {
    const v6 = table(service({ name: 'six', listen: '[::1]:80', backends: [{ address: '[2001:db8::1]:80' }] }));
    const edited = applyBackendEdit(v6, { service: 'six', backend: '[2001:DB8:0::1]:80', weight: 4 });
    expect(edited.services[0]!.backends[0]!.weight).toBe(4);
  });

  it('refuses, naming what is wrong: an unknown service or backend, a bad value, nothing to change', () => {
    const refusal = (edit: Parameters<typeof applyBackendEdit>[1]) => {
      try {
        applyBackendEdit(running, edit);
      } catch (err) {
        expect(err).toBeInstanceOf(ProvisionError);
        return (err as ProvisionError).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ service: 'nope', backend: '127.0.0.1:9001', weight: 1 })).toBe('service "nope" is not in the running table (api, web)');
    expect(refusal({ service: 'api', backend: '127.0.0.1:9009', weight: 1 })).toBe(
      'service "api" has no backend 127.0.0.1:9009 (it has 127.0.0.1:9001, 127.0.0.1:9002)',
    );
    expect(refusal({ service: 'api', backend: 'nowhere', weight: 1 })).toMatch(/^backend "nowhere": /);
    expect(refusal({ service: 'api', backend: '127.0.0.1:9001', weight: 70_000 })).toBe('weight: must be an integer 0..65535, got 70000');
    expect(refusal({ service: 'api', backend: '127.0.0.1:9001', weight: 1.5 })).toMatch(/^weight: /);
    expect(refusal({ service: 'api', backend: '127.0.0.1:9001', state: 'off' as never })).toBe('state: must be one of enabled, drain, disabled, got "off"');
    expect(refusal({ service: 'api', backend: '127.0.0.1:9001' })).toBe('nothing to change: give a weight or a state');
  });
});

describe('editBackend', () => {
  it('pushes the edited table as a patch against the running one, and plans it first on a dry run', async () => {
    const appliance = new FakeAppliance(running);
    const cache = newCache();
    const dry = await editBackend(appliance, { edit: { service: 'web', backend: '127.0.0.1:9001', state: 'disabled' }, cache, dryRun: true });
    expect(dry.outcome).toBe('dryRun');
    expect(dry.preflight.plan?.changed.map((c) => c.name)).toEqual(['web']);
    expect(appliance.pushes).toHaveLength(0);

    const done = await editBackend(appliance, { edit: { service: 'web', backend: '127.0.0.1:9001', state: 'disabled' }, cache });
    expect(done.outcome).toBe('pushed');
    expect(configId(appliance.running)).toBe(configId(done.rules));
    expect(appliance.running.services[1]!.backends[0]!.state).toBe('disabled');
    // The same edit again: the appliance runs it already, nothing is sent.
    const again = await editBackend(appliance, { edit: { service: 'web', backend: '127.0.0.1:9001', state: 'disabled' }, cache });
    expect(again.outcome).toBe('unchanged');
    expect(appliance.pushes).toHaveLength(1);
  });

  it('refuses to push an edit of a table the appliance stopped running in between', async () => {
    const appliance = new FakeAppliance(running);
    const other = table(service({ name: 'web', listen: '127.0.0.1:8000', backends: [{ weight: 9 }] }));
    // Someone else's push lands after the edit read the running table.
    const info = appliance.info.bind(appliance);
    let calls = 0;
    appliance.info = async () => {
      if (++calls === 2) appliance.running = other;
      return info();
    };
    const err = await editBackend(appliance, { edit: { service: 'web', backend: '127.0.0.1:9001', weight: 5 }, cache: newCache() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushRefused);
    expect((err as PushRefused).code).toBe('runningChanged');
    expect((err as PushRefused).message).toContain(`the appliance runs ${configId(other)} now, not ${configId(running)}`);
    expect(appliance.pushes).toHaveLength(0);
    expect(appliance.running).toBe(other);
  });
});
