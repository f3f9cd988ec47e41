/** docs/FULCRUM-MIB.txt as the tools operators use see it: smilint finds nothing, Net-SNMP loads it. */

import { describe, expect, it } from 'vitest';
import * as Mib from '../../src/protocol/mib/fulcrum-mib.js';
import { formatOid } from '../../src/protocol/mib/oid.js';
import { MIB_ARGS, has, run } from '../support/debian-snmp.js';

describe('FULCRUM-MIB with Debian tools', () => {
  it.skipIf(!has('smilint'))("smilint -l 9 reports nothing (SMIPATH: net-snmp's bundled IETF MIBs)", async () => {
    // Level 9 includes the advice of RFC 2578 (descriptors of at most 32 characters among it).
    const r = await run('smilint', ['-l', '9', 'docs/FULCRUM-MIB.txt']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.skipIf(!has('snmptranslate'))('loads into Net-SNMP: names translate to the OIDs the TypeScript uses, and back', async () => {
    const names = [
      'fulcrumBackendConnsTotal',
      'fulcrumCandBackendRowStatus',
      'fulcrumConfigRolledBack',
      'fulcrumCommit',
      'fulcrumFL1000',
      'fulcrumCandServiceHealthPath',
      'fulcrumRunning',
      'fulcrumRunServicePersistTimeout',
      'fulcrumRunBackendAdminState',
      'fulcrumRunningGroup',
      'fulcrumFoState',
      'fulcrumFoAction',
      'fulcrumFoPeerLastHeard',
      'fulcrumFailoverStateChange',
      'fulcrumFailoverGroup',
      'fulcrumFailoverNotifyGroup',
    ] as const;
    const r = await run('snmptranslate', [...MIB_ARGS, '-On', ...names.map((n) => `FULCRUM-MIB::${n}`)]);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toEqual(names.map((n) => `.${formatOid(Mib[n])}`));
    const back = await run('snmptranslate', [...MIB_ARGS, `.${formatOid(Mib.fulcrumBackendWeight)}.1.2`]);
    expect(back.stdout.trim()).toBe('FULCRUM-MIB::fulcrumBackendWeight.1.2');
    const peer = await run('snmptranslate', [...MIB_ARGS, `.${formatOid(Mib.fulcrumFoPeerState)}.2`]);
    expect(peer.stdout.trim()).toBe('FULCRUM-MIB::fulcrumFoPeerState.2');
  });
});
