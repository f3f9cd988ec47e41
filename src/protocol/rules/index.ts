/** The rule-table contract shared by the agent and the appliance firmware. */

export * from './model.js';
export { RulesError, formatRuleError, formatPath, type RuleError, type PathSegment } from './errors.js';
export { loadRules, loadRulesFile } from './load.js';
export { toCanonical, canonicalize, compareNames } from './canonical.js';
export { canonicalProblems } from './invariants.js';
export {
  parseEndpoint,
  formatEndpoint,
  canonicalEndpoint,
  compareEndpoints,
  isUnspecified,
  type Endpoint,
  type AddressFamily,
} from './endpoint.js';
export { parseDuration, formatDuration } from './duration.js';
export { RulesDocument, ruleTableJsonSchema, SCHEMA_ID } from './schema.js';
export { encodeRules, decodeRules, CodecError, RULES_MAGIC, RULES_FORMAT_VERSION } from './codec.js';
export { configId } from './config-id.js';
