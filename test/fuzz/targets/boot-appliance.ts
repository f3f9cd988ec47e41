/**
 * A firmware booted for the SNMP fuzz targets: in memory, on the target's fake clock, with no
 * health probe allowed to run (a probe would reach out of the harness) and a small flow table.
 */

import { Appliance } from '../../../firmware/appliance.js';
import type { Clock, HealthProbePort } from '../../../firmware/ports.js';
import type { RuleTable } from '../../../src/protocol/rules/model.js';
import { MemoryStorage } from '../../../sim/ports/state-dir.js';

const NO_PROBES: HealthProbePort = { probe: () => Promise.reject(new Error('no probe may run in the fuzz harness')) };

export function bootAppliance(clock: Clock, seedRules: RuleTable, storage = new MemoryStorage()): Promise<Appliance> {
  return Appliance.boot({ clock, storage, probe: NO_PROBES, random: Math.random, firmwareVersion: '1.0.0', seedRules, maxFlows: 64 });
}
