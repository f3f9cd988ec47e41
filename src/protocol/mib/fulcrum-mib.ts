/**
 * FULCRUM-MIB (docs/FULCRUM-MIB.txt) as TypeScript: the OID of every object, the column
 * numbers of its tables and the codes of its enumerations. The simulator's agent, the firmware's
 * MIB view and the agent's SNMP driver all take OIDs from here, and a unit test holds this file
 * and the MIB text to the same tree (test/unit/protocol/mib/oids.test.ts).
 *
 * Names are the MIB's descriptors, so `grep fulcrumBackendWeight` finds both sides.
 */

import type { Algorithm, BackendState, HashKey, HealthType, Protocol } from '../rules/model.js';
import type { BackendOperState } from '../counters.js';
import { oid, type Oid } from './oid.js';

export { WEIGHT_MAX } from '../rules/limits.js';

/** enterprises.32473: the enterprise number IANA reserves for documentation (RFC 5612). */
export const fulcrumMIB = oid(1, 3, 6, 1, 4, 1, 32473);

export const fulcrumNotifications = oid(fulcrumMIB, 0);
export const fulcrumObjects = oid(fulcrumMIB, 1);
export const fulcrumConformance = oid(fulcrumMIB, 2);
export const fulcrumProducts = oid(fulcrumMIB, 3);
/** sysObjectID of an FL-1000. */
export const fulcrumFL1000 = oid(fulcrumProducts, 1);

// ---- fulcrumSystem: scalars (an instance is the object's OID + .0)

export const fulcrumSystem = oid(fulcrumObjects, 1);
export const SystemScalar = {
  firmwareVersion: 1,
  model: 2,
  serialNumber: 3,
  configId: 4,
  startupConfigId: 5,
  pendingConfirm: 6,
  lastCommitTime: 7,
  serviceCount: 8,
  backendCount: 9,
} as const;
export const fulcrumFirmwareVersion = oid(fulcrumSystem, SystemScalar.firmwareVersion);
export const fulcrumModel = oid(fulcrumSystem, SystemScalar.model);
export const fulcrumSerialNumber = oid(fulcrumSystem, SystemScalar.serialNumber);
export const fulcrumConfigId = oid(fulcrumSystem, SystemScalar.configId);
export const fulcrumStartupConfigId = oid(fulcrumSystem, SystemScalar.startupConfigId);
export const fulcrumPendingConfirm = oid(fulcrumSystem, SystemScalar.pendingConfirm);
export const fulcrumLastCommitTime = oid(fulcrumSystem, SystemScalar.lastCommitTime);
export const fulcrumServiceCount = oid(fulcrumSystem, SystemScalar.serviceCount);
export const fulcrumBackendCount = oid(fulcrumSystem, SystemScalar.backendCount);

// ---- fulcrumServiceTable: INDEX { fulcrumServiceIndex }

export const fulcrumServiceTable = oid(fulcrumObjects, 2);
export const fulcrumServiceEntry = oid(fulcrumServiceTable, 1);
export const ServiceColumn = {
  index: 1,
  name: 2,
  listen: 3,
  protocol: 4,
  connsTotal: 5,
  connsActive: 6,
  bytesIn: 7,
  bytesOut: 8,
  failures: 9,
  fallbackConns: 10,
  backendCount: 11,
} as const;
export const fulcrumServiceIndex = oid(fulcrumServiceEntry, ServiceColumn.index);
export const fulcrumServiceName = oid(fulcrumServiceEntry, ServiceColumn.name);
export const fulcrumServiceListen = oid(fulcrumServiceEntry, ServiceColumn.listen);
export const fulcrumServiceProtocol = oid(fulcrumServiceEntry, ServiceColumn.protocol);
export const fulcrumServiceConnsTotal = oid(fulcrumServiceEntry, ServiceColumn.connsTotal);
export const fulcrumServiceConnsActive = oid(fulcrumServiceEntry, ServiceColumn.connsActive);
export const fulcrumServiceBytesIn = oid(fulcrumServiceEntry, ServiceColumn.bytesIn);
export const fulcrumServiceBytesOut = oid(fulcrumServiceEntry, ServiceColumn.bytesOut);
export const fulcrumServiceFailures = oid(fulcrumServiceEntry, ServiceColumn.failures);
export const fulcrumServiceFallbackConns = oid(fulcrumServiceEntry, ServiceColumn.fallbackConns);
export const fulcrumServiceBackendCount = oid(fulcrumServiceEntry, ServiceColumn.backendCount);

// ---- fulcrumBackendTable: INDEX { fulcrumServiceIndex, fulcrumBackendIndex }

export const fulcrumBackendTable = oid(fulcrumObjects, 3);
export const fulcrumBackendEntry = oid(fulcrumBackendTable, 1);
export const BackendColumn = {
  index: 1,
  address: 2,
  state: 3,
  weight: 4,
  backup: 5,
  connsTotal: 6,
  connsActive: 7,
  bytesIn: 8,
  bytesOut: 9,
  connectFailures: 10,
  lastChange: 11,
} as const;
export const fulcrumBackendIndex = oid(fulcrumBackendEntry, BackendColumn.index);
export const fulcrumBackendAddress = oid(fulcrumBackendEntry, BackendColumn.address);
export const fulcrumBackendState = oid(fulcrumBackendEntry, BackendColumn.state);
export const fulcrumBackendWeight = oid(fulcrumBackendEntry, BackendColumn.weight);
export const fulcrumBackendBackup = oid(fulcrumBackendEntry, BackendColumn.backup);
export const fulcrumBackendConnsTotal = oid(fulcrumBackendEntry, BackendColumn.connsTotal);
export const fulcrumBackendConnsActive = oid(fulcrumBackendEntry, BackendColumn.connsActive);
export const fulcrumBackendBytesIn = oid(fulcrumBackendEntry, BackendColumn.bytesIn);
export const fulcrumBackendBytesOut = oid(fulcrumBackendEntry, BackendColumn.bytesOut);
export const fulcrumBackendConnectFailures = oid(fulcrumBackendEntry, BackendColumn.connectFailures);
export const fulcrumBackendLastChange = oid(fulcrumBackendEntry, BackendColumn.lastChange);

// ---- fulcrumConfig: configuration over SNMP (candidate rows, commit, confirm, rollback)

export const fulcrumConfig = oid(fulcrumObjects, 4);
export const ConfigScalar = {
  candidateSpinLock: 1,
  candidateLoad: 2,
  candidateConfigId: 5,
  candidateError: 6,
  commit: 7,
  confirm: 8,
  rollback: 9,
  lastOperation: 10,
  lastOperationStatus: 11,
  lastOperationMessage: 12,
  lastOperationConfigId: 13,
} as const;
export const fulcrumCandidateSpinLock = oid(fulcrumConfig, ConfigScalar.candidateSpinLock);
export const fulcrumCandidateLoad = oid(fulcrumConfig, ConfigScalar.candidateLoad);
export const fulcrumCandidateConfigId = oid(fulcrumConfig, ConfigScalar.candidateConfigId);
export const fulcrumCandidateError = oid(fulcrumConfig, ConfigScalar.candidateError);
export const fulcrumCommit = oid(fulcrumConfig, ConfigScalar.commit);
export const fulcrumConfirm = oid(fulcrumConfig, ConfigScalar.confirm);
export const fulcrumRollback = oid(fulcrumConfig, ConfigScalar.rollback);
export const fulcrumLastOperation = oid(fulcrumConfig, ConfigScalar.lastOperation);
export const fulcrumLastOperationStatus = oid(fulcrumConfig, ConfigScalar.lastOperationStatus);
export const fulcrumLastOperationMessage = oid(fulcrumConfig, ConfigScalar.lastOperationMessage);
export const fulcrumLastOperationConfigId = oid(fulcrumConfig, ConfigScalar.lastOperationConfigId);

export const fulcrumCandServiceTable = oid(fulcrumConfig, 3);
export const fulcrumCandServiceEntry = oid(fulcrumCandServiceTable, 1);
export const CandServiceColumn = {
  index: 1,
  name: 2,
  listen: 3,
  protocol: 4,
  algorithm: 5,
  fallback: 6,
  rowStatus: 7,
  // The service settings (service-settings.ts), optional in createAndGo; the run table's SETTING_FIELDS in the same order.
  hashKey: 8,
  maglevTableSize: 9,
  persistenceType: 10,
  persistenceTimeout: 11,
  idleTimeout: 12,
  healthType: 13,
  healthInterval: 14,
  healthTimeout: 15,
  healthRise: 16,
  healthFall: 17,
  healthPath: 18,
  healthExpectLow: 19,
  healthExpectHigh: 20,
} as const;
export const fulcrumCandServiceIndex = oid(fulcrumCandServiceEntry, CandServiceColumn.index);
export const fulcrumCandServiceName = oid(fulcrumCandServiceEntry, CandServiceColumn.name);
export const fulcrumCandServiceListen = oid(fulcrumCandServiceEntry, CandServiceColumn.listen);
export const fulcrumCandServiceProtocol = oid(fulcrumCandServiceEntry, CandServiceColumn.protocol);
export const fulcrumCandServiceAlgorithm = oid(fulcrumCandServiceEntry, CandServiceColumn.algorithm);
export const fulcrumCandServiceFallback = oid(fulcrumCandServiceEntry, CandServiceColumn.fallback);
export const fulcrumCandServiceRowStatus = oid(fulcrumCandServiceEntry, CandServiceColumn.rowStatus);
export const fulcrumCandServiceHashKey = oid(fulcrumCandServiceEntry, CandServiceColumn.hashKey);
export const fulcrumCandServiceMaglevSize = oid(fulcrumCandServiceEntry, CandServiceColumn.maglevTableSize);
export const fulcrumCandServicePersistType = oid(fulcrumCandServiceEntry, CandServiceColumn.persistenceType);
export const fulcrumCandServicePersistTimeout = oid(fulcrumCandServiceEntry, CandServiceColumn.persistenceTimeout);
export const fulcrumCandServiceIdleTimeout = oid(fulcrumCandServiceEntry, CandServiceColumn.idleTimeout);
export const fulcrumCandServiceHealthType = oid(fulcrumCandServiceEntry, CandServiceColumn.healthType);
export const fulcrumCandServiceHealthInterval = oid(fulcrumCandServiceEntry, CandServiceColumn.healthInterval);
export const fulcrumCandServiceHealthTimeout = oid(fulcrumCandServiceEntry, CandServiceColumn.healthTimeout);
export const fulcrumCandServiceHealthRise = oid(fulcrumCandServiceEntry, CandServiceColumn.healthRise);
export const fulcrumCandServiceHealthFall = oid(fulcrumCandServiceEntry, CandServiceColumn.healthFall);
export const fulcrumCandServiceHealthPath = oid(fulcrumCandServiceEntry, CandServiceColumn.healthPath);
export const fulcrumCandServiceHealthExpectLo = oid(fulcrumCandServiceEntry, CandServiceColumn.healthExpectLow);
export const fulcrumCandServiceHealthExpectHi = oid(fulcrumCandServiceEntry, CandServiceColumn.healthExpectHigh);

export const fulcrumCandBackendTable = oid(fulcrumConfig, 4);
export const fulcrumCandBackendEntry = oid(fulcrumCandBackendTable, 1);
export const CandBackendColumn = { index: 1, address: 2, weight: 3, maxConns: 4, backup: 5, adminState: 6, rowStatus: 7 } as const;
export const fulcrumCandBackendIndex = oid(fulcrumCandBackendEntry, CandBackendColumn.index);
export const fulcrumCandBackendAddress = oid(fulcrumCandBackendEntry, CandBackendColumn.address);
export const fulcrumCandBackendWeight = oid(fulcrumCandBackendEntry, CandBackendColumn.weight);
export const fulcrumCandBackendMaxConns = oid(fulcrumCandBackendEntry, CandBackendColumn.maxConns);
export const fulcrumCandBackendBackup = oid(fulcrumCandBackendEntry, CandBackendColumn.backup);
export const fulcrumCandBackendAdminState = oid(fulcrumCandBackendEntry, CandBackendColumn.adminState);
export const fulcrumCandBackendRowStatus = oid(fulcrumCandBackendEntry, CandBackendColumn.rowStatus);

// ---- objects carried only in notifications (accessible-for-notify scalars: instance .0)

export const fulcrumNotifyObjects = oid(fulcrumObjects, 5);
export const fulcrumNotifyRollbackReason = oid(fulcrumNotifyObjects, 1);
export const fulcrumNotifyDetail = oid(fulcrumNotifyObjects, 2);

// ---- notifications (snmpTrapOID values)

export const fulcrumBackendStateChange = oid(fulcrumNotifications, 1);
export const fulcrumConfigCommitted = oid(fulcrumNotifications, 2);
export const fulcrumConfigConfirmed = oid(fulcrumNotifications, 3);
export const fulcrumConfigRolledBack = oid(fulcrumNotifications, 4);

// ---- conformance

export const fulcrumCompliances = oid(fulcrumConformance, 1);
export const fulcrumGroups = oid(fulcrumConformance, 2);
export const fulcrumCompliance = oid(fulcrumCompliances, 1);
export const fulcrumSystemGroup = oid(fulcrumGroups, 1);
export const fulcrumServiceGroup = oid(fulcrumGroups, 2);
export const fulcrumBackendGroup = oid(fulcrumGroups, 3);
export const fulcrumConfigGroup = oid(fulcrumGroups, 4);
export const fulcrumNotifyObjectGroup = oid(fulcrumGroups, 5);
export const fulcrumNotificationGroup = oid(fulcrumGroups, 6);
export const fulcrumFirmwareGroup = oid(fulcrumGroups, 7);
export const fulcrumRunningGroup = oid(fulcrumGroups, 8);

// ---- enumerations. SNMP enumerations start at 1 (0 is often read as "unset"), so these are
// not the codes of the serial counters encoding (src/protocol/counters.ts, which starts at 0).

export const BackendStateCode = { up: 1, down: 2, drain: 3, disabled: 4 } as const satisfies Record<BackendOperState, number>;
export const ProtocolCode = { tcp: 1, udp: 2 } as const satisfies Record<Protocol, number>;
export const AlgorithmCode = {
  'round-robin': 1,
  'weighted-round-robin': 2,
  'least-connections': 3,
  'weighted-least-connections': 4,
  'two-choices': 5,
  'least-response-time': 6,
  maglev: 7,
} as const satisfies Record<Algorithm, number>;
export const AdminStateCode = { enabled: 1, drain: 2, disabled: 3 } as const satisfies Record<BackendState, number>;
export const HashKeyCode = { 'source-ip': 1, '5-tuple': 2 } as const satisfies Record<HashKey, number>;
export const PersistenceTypeCode = { none: 1, 'source-ip': 2 } as const;
export const HealthTypeCode = { none: 1, tcp: 2, http: 3 } as const satisfies Record<HealthType | 'none', number>;
export const RollbackReasonCode = { 'confirm-timeout': 1, operator: 2 } as const;
export const CandidateLoadCode = { none: 1, running: 2, empty: 3 } as const;
export const ConfirmCode = { idle: 1, confirm: 2 } as const;
export const LastOperationCode = { none: 1, commit: 2, confirm: 3, rollback: 4, weight: 5 } as const;
export const LastOperationStatusCode = { none: 1, inProgress: 2, succeeded: 3, failed: 4 } as const;

/** Limits the MIB states in SYNTAX clauses (fulcrumBackendWeight's is the rule table's WEIGHT_MAX). */
export const MAX_COMMIT_SECONDS = 2_147_483;
export { MAX_ROLLBACK_STEPS } from '../rules/limits.js';

/** An OID in the table of `entry`: entry.column.index… */
export function columnInstance(entry: Oid, column: number, ...index: number[]): Oid {
  return oid(entry, column, ...index);
}

/** The instance of a scalar: OID.0. */
export function scalarInstance(object: Oid): Oid {
  return oid(object, 0);
}

// ---- fulcrumFirmware: slots and network upgrades (scalars)

export const fulcrumFirmware = oid(fulcrumObjects, 6);
export const FirmwareScalar = {
  activeSlot: 1,
  activeConfirmed: 2,
  minSecurityCounter: 3,
  downloadUrl: 4,
  downloadSha256: 5,
  action: 6,
  downloadStatus: 7,
  downloadBytes: 8,
  downloadSize: 9,
  downloadMessage: 10,
} as const;
export const fulcrumFwActiveSlot = oid(fulcrumFirmware, FirmwareScalar.activeSlot);
export const fulcrumFwActiveConfirmed = oid(fulcrumFirmware, FirmwareScalar.activeConfirmed);
export const fulcrumFwMinSecurityCounter = oid(fulcrumFirmware, FirmwareScalar.minSecurityCounter);
export const fulcrumFwDownloadUrl = oid(fulcrumFirmware, FirmwareScalar.downloadUrl);
export const fulcrumFwDownloadSha256 = oid(fulcrumFirmware, FirmwareScalar.downloadSha256);
export const fulcrumFwAction = oid(fulcrumFirmware, FirmwareScalar.action);
export const fulcrumFwDownloadStatus = oid(fulcrumFirmware, FirmwareScalar.downloadStatus);
export const fulcrumFwDownloadBytes = oid(fulcrumFirmware, FirmwareScalar.downloadBytes);
export const fulcrumFwDownloadSize = oid(fulcrumFirmware, FirmwareScalar.downloadSize);
export const fulcrumFwDownloadMessage = oid(fulcrumFirmware, FirmwareScalar.downloadMessage);
export const FwSlotCode = { slotA: 1, slotB: 2 } as const;
export const FwActionCode = { idle: 1, download: 2, activate: 3, reboot: 4, confirm: 5, rollback: 6 } as const;
export const FwDownloadStatusCode = { idle: 1, downloading: 2, ready: 3, failed: 4 } as const;
export const MAX_FW_URL_LENGTH = 255;

// ---- fulcrumRunning: the running rule table, every setting (read-only). Rows are numbered as
// fulcrumServiceTable's and fulcrumBackendTable's (INDEX fulcrumServiceIndex, fulcrumBackendIndex):
// the running table's order, services by name and backends by address.

export const fulcrumRunning = oid(fulcrumObjects, 7);
export const fulcrumRunServiceTable = oid(fulcrumRunning, 1);
export const fulcrumRunServiceEntry = oid(fulcrumRunServiceTable, 1);
export const RunServiceColumn = {
  name: 1,
  listen: 2,
  protocol: 3,
  algorithm: 4,
  fallback: 5,
  hashKey: 6,
  maglevTableSize: 7,
  persistenceType: 8,
  persistenceTimeout: 9,
  idleTimeout: 10,
  healthType: 11,
  healthInterval: 12,
  healthTimeout: 13,
  healthRise: 14,
  healthFall: 15,
  healthPath: 16,
  healthExpectLow: 17,
  healthExpectHigh: 18,
} as const;
export const fulcrumRunServiceName = oid(fulcrumRunServiceEntry, RunServiceColumn.name);
export const fulcrumRunServiceListen = oid(fulcrumRunServiceEntry, RunServiceColumn.listen);
export const fulcrumRunServiceProtocol = oid(fulcrumRunServiceEntry, RunServiceColumn.protocol);
export const fulcrumRunServiceAlgorithm = oid(fulcrumRunServiceEntry, RunServiceColumn.algorithm);
export const fulcrumRunServiceFallback = oid(fulcrumRunServiceEntry, RunServiceColumn.fallback);
export const fulcrumRunServiceHashKey = oid(fulcrumRunServiceEntry, RunServiceColumn.hashKey);
export const fulcrumRunServiceMaglevSize = oid(fulcrumRunServiceEntry, RunServiceColumn.maglevTableSize);
export const fulcrumRunServicePersistType = oid(fulcrumRunServiceEntry, RunServiceColumn.persistenceType);
export const fulcrumRunServicePersistTimeout = oid(fulcrumRunServiceEntry, RunServiceColumn.persistenceTimeout);
export const fulcrumRunServiceIdleTimeout = oid(fulcrumRunServiceEntry, RunServiceColumn.idleTimeout);
export const fulcrumRunServiceHealthType = oid(fulcrumRunServiceEntry, RunServiceColumn.healthType);
export const fulcrumRunServiceHealthInterval = oid(fulcrumRunServiceEntry, RunServiceColumn.healthInterval);
export const fulcrumRunServiceHealthTimeout = oid(fulcrumRunServiceEntry, RunServiceColumn.healthTimeout);
export const fulcrumRunServiceHealthRise = oid(fulcrumRunServiceEntry, RunServiceColumn.healthRise);
export const fulcrumRunServiceHealthFall = oid(fulcrumRunServiceEntry, RunServiceColumn.healthFall);
export const fulcrumRunServiceHealthPath = oid(fulcrumRunServiceEntry, RunServiceColumn.healthPath);
export const fulcrumRunServiceHealthExpectLo = oid(fulcrumRunServiceEntry, RunServiceColumn.healthExpectLow);
export const fulcrumRunServiceHealthExpectHi = oid(fulcrumRunServiceEntry, RunServiceColumn.healthExpectHigh);

export const fulcrumRunBackendTable = oid(fulcrumRunning, 2);
export const fulcrumRunBackendEntry = oid(fulcrumRunBackendTable, 1);
export const RunBackendColumn = { address: 1, weight: 2, maxConns: 3, backup: 4, adminState: 5 } as const;
export const fulcrumRunBackendAddress = oid(fulcrumRunBackendEntry, RunBackendColumn.address);
export const fulcrumRunBackendWeight = oid(fulcrumRunBackendEntry, RunBackendColumn.weight);
export const fulcrumRunBackendMaxConns = oid(fulcrumRunBackendEntry, RunBackendColumn.maxConns);
export const fulcrumRunBackendBackup = oid(fulcrumRunBackendEntry, RunBackendColumn.backup);
export const fulcrumRunBackendAdminState = oid(fulcrumRunBackendEntry, RunBackendColumn.adminState);

// ---- fulcrumFailover: failover group membership, peers, the operator's action (failover-mib.ts)

export * from './failover-mib.js';
