/**
 * The rule-table contract shared by the agent and the appliance firmware: the model, its canonical
 * form, the binary codec and the config id. Pure: no I/O, no parser; what only the agent needs
 * (YAML loading, the JSON Schema, positioned errors) is in src/rules/.
 */

export * from './model.js';
export { formatPath, ROOT_PATH, type PathSegment, type Problem, type Target } from './problems.js';
export { canonicalize, compareNames } from './canonical.js';
export { canonicalProblems } from './invariants.js';
export { parseEndpoint, formatEndpoint, canonicalEndpoint, compareEndpoints, isUnspecified, type Endpoint, type AddressFamily } from './endpoint.js';
export { parseDuration, formatDuration } from './duration.js';
export { encodeRules, decodeRules, CodecError, RULES_MAGIC, RULES_FORMAT_VERSION } from './codec.js';
export { configId } from './config-id.js';
