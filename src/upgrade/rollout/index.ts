/** Staged fleet firmware rollouts: see engine.ts (creating and steering) and runner.ts (running). */
export { RolloutEngine, DEFAULT_DEADLINE_MS, type RolloutEngineOptions, type RolloutSpec } from './engine.js';
export { RolloutError, type RolloutErrorCode } from './errors.js';
export { ROLLOUT_EVENT_KIND, type EventSink, type RolloutEvent, type RolloutEventListener } from './events.js';
export { DEFAULT_LEASE_MS, runnerAlive, type LeaseOptions } from './lease.js';
export { DEFAULT_CONCURRENCY, type Fence, type RunOptions, type UpgradeOne } from './runner.js';
export { rolloutStatus, type RolloutStatus, type WaveStatus } from './status.js';
export { allowedFailures, assignWaves, checkMaxFailures, checkWaves, DEFAULT_WAVES, parseWaves, waveSizes, type WaveStep } from './waves.js';
export { planWaves, plannedWaveSizes, type Membership, type PlannedDevice } from './group-waves.js';
