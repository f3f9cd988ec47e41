import { describe, expect, it } from 'vitest';
import { SnmpDriver } from '../../drivers/snmp/snmp-driver.js';
import { SerialDriver } from '../../drivers/serial/serial-driver.js';
import { exited, fulcrumReady } from '../support/cli.js';

describe('fulcrum sim fleet', () => {
  it('runs N appliances in one process, each answering on its own SNMP port and console', async () => {
    const run = await fulcrumReady<{ appliances: { name: string; configId: string; snmp: string; serial: string }[] }>([
      'sim',
      'fleet',
      '--count',
      '5',
      '--snmp',
      '0',
      '--community',
      'public',
      '--serial',
      '--baud',
      '921600',
      '--json',
    ]);
    try {
      const fleet = run.ready.appliances;
      expect(fleet.map((a) => a.name)).toEqual(['sim-1', 'sim-2', 'sim-3', 'sim-4', 'sim-5']);
      expect(new Set(fleet.map((a) => a.snmp)).size).toBe(5);
      const serials = new Set<string>();
      for (const a of fleet) {
        const snmp = SnmpDriver.connect(`snmp://${a.snmp}`, { version: '2c', community: 'public' });
        const info = await snmp.info();
        await snmp.close();
        expect(info.configId).toBe(a.configId);
        serials.add(info.serialNumber);
      }
      // Five appliances, five identities; the console reaches the same box as SNMP.
      expect(serials.size).toBe(5);
      const console3 = await SerialDriver.connect(`serial:${fleet[2]!.serial}?baud=921600`);
      const viaConsole = await console3.info();
      await console3.close();
      const snmp3 = SnmpDriver.connect(`snmp://${fleet[2]!.snmp}`, { version: '2c', community: 'public' });
      expect((await snmp3.info()).serialNumber).toBe(viaConsole.serialNumber);
      await snmp3.close();
    } finally {
      run.child.kill('SIGTERM');
      expect((await exited(run.child)).code).toBe(0);
    }
  });
});
