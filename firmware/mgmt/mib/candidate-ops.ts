/**
 * Runs the config operation a SET of fulcrumCommit, fulcrumConfirm or fulcrumRollback asked
 * for, against the same ConfigManager the serial console uses, so SNMP and the console share
 * one running config, one history and one confirm timer.
 */

import { encodeRules } from '../../../src/protocol/rules/index.js';
import type { ConfigManager } from '../config-manager.js';
import type { ConfigAction } from './candidate.js';

/** Resolves to the running config id afterwards; rejects (MgmtError) with nothing changed. */
export async function runConfigAction(config: ConfigManager, action: ConfigAction): Promise<string> {
  switch (action.kind) {
    case 'commit': {
      // The manager has one candidate slot, shared with the serial console: stage the SNMP
      // candidate, take it with commit() (which reads it synchronously), then put back whatever
      // the console had staged.
      await config.whenIdle();
      const staged = config.candidate;
      config.setCandidate(encodeRules(action.table));
      const result = config.commit({ confirmTimeoutMs: action.confirmTimeoutMs });
      if (staged) config.setCandidate(staged.encoding);
      return (await result).configId;
    }
    case 'confirm':
      return (await config.confirm()).configId;
    case 'rollback':
      return (await config.rollback(action.steps)).configId;
  }
}
