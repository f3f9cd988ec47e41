/**
 * FULCRUM-MIB notifications from appliance events: the varbinds of each NOTIFICATION-TYPE
 * (after the sysUpTime.0 and snmpTrapOID.0 every SNMPv2 notification starts with).
 */

import type { ApplianceEvent } from '../../firmware/appliance.js';
import type { RuleTable } from '../../src/protocol/rules/model.js';
import { fromHex } from '../../src/protocol/digest.js';
import {
  BackendStateCode,
  FoReasonCode,
  FoStateCode,
  MAX_FO_TEXT,
  fulcrumFailoverStateChange,
  fulcrumFoGroupName,
  fulcrumFoLastDetail,
  fulcrumFoLastReason,
  fulcrumFoState,
  fulcrumFoUnit,
  RollbackReasonCode,
  fulcrumBackendAddress,
  fulcrumBackendState,
  fulcrumBackendStateChange,
  fulcrumConfigCommitted,
  fulcrumConfigConfirmed,
  fulcrumConfigId,
  fulcrumConfigRolledBack,
  fulcrumNotifyDetail,
  fulcrumNotifyRollbackReason,
  fulcrumPendingConfirm,
  fulcrumServiceName,
} from '../../src/protocol/mib/fulcrum-mib.js';
import { formatOid, type Oid } from '../../src/protocol/mib/oid.js';
import { SmiType } from '../../src/protocol/mib/smi.js';
import type { WireVarbind } from './wire-view.js';

export interface Notification {
  /** snmpTrapOID.0's value. */
  trapOid: string;
  varbinds: WireVarbind[];
}

const at = (o: Oid, ...index: number[]): string => formatOid([...o, ...index]);
const configIdVarbind = (hex: string): WireVarbind => ({ oid: at(fulcrumConfigId, 0), type: SmiType.OctetString, value: Buffer.from(fromHex(hex)) });

/**
 * The notification for `e`, or null for events the MIB has none for. `running` is the table
 * running when the event is sent (it names the backend's row); `pendingConfirmMs` the confirm
 * time left after a commit.
 */
export function notificationFor(e: ApplianceEvent, running: RuleTable, pendingConfirmMs: number): Notification | null {
  switch (e.type) {
    case 'backend-state': {
      const s = running.services.findIndex((x) => x.name === e.service);
      const b = s < 0 ? -1 : running.services[s]!.backends.findIndex((x) => x.address === e.address);
      // The event was about a table that no longer runs: there is no row to name.
      if (b < 0) return null;
      return {
        trapOid: formatOid(fulcrumBackendStateChange),
        varbinds: [
          { oid: at(fulcrumServiceName, s + 1), type: SmiType.OctetString, value: e.service },
          { oid: at(fulcrumBackendAddress, s + 1, b + 1), type: SmiType.OctetString, value: e.address },
          { oid: at(fulcrumBackendState, s + 1, b + 1), type: SmiType.Integer, value: e.up ? BackendStateCode.up : BackendStateCode.down },
          { oid: at(fulcrumNotifyDetail, 0), type: SmiType.OctetString, value: e.detail.slice(0, 255) },
        ],
      };
    }
    case 'commit':
      return {
        trapOid: formatOid(fulcrumConfigCommitted),
        varbinds: [
          configIdVarbind(e.configId),
          { oid: at(fulcrumPendingConfirm, 0), type: SmiType.Gauge32, value: e.pendingConfirm ? Math.ceil(pendingConfirmMs / 1000) : 0 },
        ],
      };
    case 'confirm':
      return { trapOid: formatOid(fulcrumConfigConfirmed), varbinds: [configIdVarbind(e.configId)] };
    case 'rollback':
      return {
        trapOid: formatOid(fulcrumConfigRolledBack),
        varbinds: [configIdVarbind(e.configId), { oid: at(fulcrumNotifyRollbackReason, 0), type: SmiType.Integer, value: RollbackReasonCode[e.reason] }],
      };
    case 'failover':
      // Every state change of a failover group member, with the state it is in now and why.
      return {
        trapOid: formatOid(fulcrumFailoverStateChange),
        varbinds: [
          { oid: at(fulcrumFoGroupName, 0), type: SmiType.OctetString, value: e.group },
          { oid: at(fulcrumFoUnit, 0), type: SmiType.Gauge32, value: e.unit },
          { oid: at(fulcrumFoState, 0), type: SmiType.Integer, value: FoStateCode[e.to] },
          { oid: at(fulcrumFoLastReason, 0), type: SmiType.Integer, value: FoReasonCode[e.reason] },
          { oid: at(fulcrumFoLastDetail, 0), type: SmiType.OctetString, value: e.detail.slice(0, MAX_FO_TEXT) },
        ],
      };
    default:
      return null;
  }
}
