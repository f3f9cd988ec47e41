/**
 * fulcrumFailover (FULCRUM-MIB, fulcrumObjects 8): the OIDs, columns and codes of the failover
 * group objects, the peer table and the state-change notification. fulcrum-mib.ts re-exports
 * this file, so every name here is a FULCRUM-MIB descriptor held to docs/FULCRUM-MIB.txt by
 * test/unit/protocol/mib/oids.test.ts like the rest.
 *
 * Invariant: the codes are the MIB's enumerations (starting at 1); `none` is a lone appliance.
 */

import { oid } from './oid.js';

// The module's arcs as fulcrum-mib.ts defines them (importing them from it would be a cycle).
const objects = oid(1, 3, 6, 1, 4, 1, 32473, 1);
const notifications = oid(1, 3, 6, 1, 4, 1, 32473, 0);
const groups = oid(1, 3, 6, 1, 4, 1, 32473, 2, 2);

export const fulcrumFailover = oid(objects, 8);
export const FailoverScalar = {
  groupName: 1,
  unit: 2,
  state: 3,
  priority: 4,
  lastChange: 5,
  lastReason: 6,
  lastDetail: 7,
  failovers: 8,
  action: 9,
  actionMessage: 10,
} as const;
export const fulcrumFoGroupName = oid(fulcrumFailover, FailoverScalar.groupName);
export const fulcrumFoUnit = oid(fulcrumFailover, FailoverScalar.unit);
export const fulcrumFoState = oid(fulcrumFailover, FailoverScalar.state);
export const fulcrumFoPriority = oid(fulcrumFailover, FailoverScalar.priority);
export const fulcrumFoLastChange = oid(fulcrumFailover, FailoverScalar.lastChange);
export const fulcrumFoLastReason = oid(fulcrumFailover, FailoverScalar.lastReason);
export const fulcrumFoLastDetail = oid(fulcrumFailover, FailoverScalar.lastDetail);
export const fulcrumFoFailovers = oid(fulcrumFailover, FailoverScalar.failovers);
export const fulcrumFoAction = oid(fulcrumFailover, FailoverScalar.action);
export const fulcrumFoActionMessage = oid(fulcrumFailover, FailoverScalar.actionMessage);

// ---- fulcrumFoPeerTable: INDEX { fulcrumFoPeerUnit }, one row per peer heard since joining

export const fulcrumFoPeerTable = oid(fulcrumFailover, 11);
export const fulcrumFoPeerEntry = oid(fulcrumFoPeerTable, 1);
export const FoPeerColumn = { unit: 1, state: 2, priority: 3, canServe: 4, sameConfig: 5, lastHeard: 6 } as const;
export const fulcrumFoPeerUnit = oid(fulcrumFoPeerEntry, FoPeerColumn.unit);
export const fulcrumFoPeerState = oid(fulcrumFoPeerEntry, FoPeerColumn.state);
export const fulcrumFoPeerPriority = oid(fulcrumFoPeerEntry, FoPeerColumn.priority);
export const fulcrumFoPeerCanServe = oid(fulcrumFoPeerEntry, FoPeerColumn.canServe);
export const fulcrumFoPeerSameConfig = oid(fulcrumFoPeerEntry, FoPeerColumn.sameConfig);
export const fulcrumFoPeerLastHeard = oid(fulcrumFoPeerEntry, FoPeerColumn.lastHeard);

export const fulcrumFailoverStateChange = oid(notifications, 5);

export const fulcrumFailoverGroup = oid(groups, 9);
export const fulcrumFailoverNotifyGroup = oid(groups, 10);

export const FoStateCode = { none: 1, active: 2, standby: 3, offline: 4 } as const;
/** Why the last transition happened: the election's reasons (firmware/failover/election.ts), kebab-case as there. */
export const FoReasonCode = {
  none: 1,
  startup: 2,
  'master-down': 3,
  'peer-resigned': 4,
  preempt: 5,
  'peer-outranks': 6,
  'operator-standby': 7,
  'operator-offline': 8,
  'operator-online': 9,
} as const;
export const FoActionCode = { idle: 1, goStandby: 2, goOffline: 3, goOnline: 4 } as const;
/** The operator actions as drivers and commands name them (`fulcrum group failover`, `tmsh run sys failover standby`). */
export type FailoverAction = 'standby' | 'offline' | 'online';
export const FO_ACTION_OF: Record<FailoverAction, number> = { standby: FoActionCode.goStandby, offline: FoActionCode.goOffline, online: FoActionCode.goOnline };
export const MAX_FO_TEXT = 255;
