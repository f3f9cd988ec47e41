import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoragePort } from '../../../../firmware/ports.js';
import { MemoryStorage, StateDir } from '../../../../sim/ports/state-dir.js';
import { ENGINE_FILE, SnmpEngine, SnmpEngineStateError, engineIdFor } from '../../../../sim/snmp/snmp-engine.js';
import { ENGINE_MAX } from '../../../../sim/snmp/timeliness.js';
import { FakeClock } from '../../../support/fake-clock.js';

const SERIAL = 'FL0000000042';
const start = (storage: StoragePort, clock = new FakeClock(), onProblem?: (m: string) => void) =>
  SnmpEngine.start({ storage, clock, serialNumber: SERIAL, ...(onProblem ? { onProblem } : {}) });
const stored = async (storage: StoragePort) => JSON.parse(new TextDecoder().decode(await storage.read(ENGINE_FILE))) as unknown;

describe('the simulated appliance’s SNMP engine', () => {
  it('a new appliance: engine id from its serial number (RFC 3411, enterprise 32473, text), boots 1, stored', async () => {
    const storage = new MemoryStorage();
    const engine = await start(storage);
    expect(engine.engineId).toBe(engineIdFor(SERIAL));
    expect(engine.engineId.slice(0, 10)).toBe('80007ed904');
    expect(engine.boots).toBe(1);
    expect(await stored(storage)).toEqual({ engineId: engineIdFor(SERIAL), engineBoots: 1 });
  });

  it('every start increments snmpEngineBoots in the state directory, replaced whole; the engine id stays', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-engine-'));
    for (let n = 1; n <= 3; n++) {
      const engine = await start(new StateDir(dir));
      expect(engine.boots).toBe(n);
      expect(engine.engineId).toBe(engineIdFor(SERIAL));
    }
    expect(JSON.parse(readFileSync(path.join(dir, ENGINE_FILE), 'utf8'))).toEqual({ engineId: engineIdFor(SERIAL), engineBoots: 3 });
    expect(readdirSync(dir)).toEqual([ENGINE_FILE]);
  });

  it('the stored engine id wins over the serial number (it is the engine’s identity from its first start)', async () => {
    const storage = new MemoryStorage();
    await storage.writeAtomic(ENGINE_FILE, new TextEncoder().encode(JSON.stringify({ engineId: '80007ed9050102030405060708090a0b0c', engineBoots: 41 })));
    const engine = await start(storage);
    expect(engine).toMatchObject({ engineId: '80007ed9050102030405060708090a0b0c', boots: 42 });
  });

  it('an unreadable state: a new random engine id (old messages name the old one), boots 1, and a problem logged', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fulcrum-engine-'));
    writeFileSync(path.join(dir, ENGINE_FILE), '{"engineBoots": "many"');
    const problems: string[] = [];
    const engine = await start(new StateDir(dir), new FakeClock(), (m) => problems.push(m));
    expect(engine.engineId).not.toBe(engineIdFor(SERIAL));
    expect(engine.engineId).toMatch(/^80007ed905[0-9a-f]{24}$/);
    expect(engine.boots).toBe(1);
    expect(problems).toEqual([expect.stringContaining(ENGINE_FILE)]);
    const again = await start(new StateDir(dir));
    expect(again).toMatchObject({ engineId: engine.engineId, boots: 2 });
  });

  it('boots latch at 2^31-1', async () => {
    const storage = new MemoryStorage();
    await storage.writeAtomic(ENGINE_FILE, new TextEncoder().encode(JSON.stringify({ engineId: engineIdFor(SERIAL), engineBoots: ENGINE_MAX })));
    expect((await start(storage)).boots).toBe(ENGINE_MAX);
  });

  it('boots that cannot be made durable: no engine (SnmpEngineStateError), rather than one that could reuse them', async () => {
    const failing: StoragePort = { read: async () => null, writeAtomic: async () => Promise.reject(new Error('EROFS: read-only file system')) };
    await expect(start(failing)).rejects.toThrow(SnmpEngineStateError);
    await expect(start(failing)).rejects.toThrow(/EROFS/);
  });

  it('snmpEngineTime counts whole seconds since the start on the injected clock', async () => {
    const clock = new FakeClock();
    await clock.advance(5_000);
    const engine = await start(new MemoryStorage(), clock);
    expect(engine.time).toBe(0);
    await clock.advance(999);
    expect(engine.time).toBe(0);
    await clock.advance(1);
    expect(engine.time).toBe(1);
    await clock.advance(401_000);
    expect(engine.time).toBe(402);
  });

  it('check decides and counts refusals; refused() counts one made elsewhere', async () => {
    const clock = new FakeClock();
    const engine = await start(new MemoryStorage(), clock);
    const ok = { engineId: engine.engineId, boots: 1, time: 0, authenticated: true };
    expect(engine.check(ok)).toBe('ok');
    await clock.advance(151_000);
    expect(engine.check(ok)).toBe('notInTimeWindow');
    expect(engine.check({ ...ok, engineId: '', authenticated: false })).toBe('unknownEngineId');
    expect(engine.refused('unknownEngineId')).toBe(2);
    expect(engine.stats).toEqual({ unknownEngineIds: 2, notInTimeWindows: 1 });
  });
});
