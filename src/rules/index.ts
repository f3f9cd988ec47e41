/**
 * What only the agent needs of the rule table: loading YAML or JSON with positioned errors, the
 * JSON Schema published for editors, the document → canonical table step and its inverse (render.ts). The contract itself
 * (model, codec, config id) is src/protocol/rules/.
 */

export { RulesError, formatRuleError, type RuleError } from './errors.js';
export { loadRules, loadRulesFile } from './load.js';
export {
  checkRuleText,
  limitError,
  MAX_LINES,
  MAX_NESTING_DEPTH,
  MAX_VALUES,
  positionOf,
  MAX_RULE_TEXT_BYTES,
  RULE_TEXT_LIMITS,
  RulesLimitError,
  scanRuleText,
  type TextLimit,
  type TextLimitProblem,
} from './text-limits.js';
export { toCanonical } from './document.js';
export { renderRules, ruleDocument, RULE_FORMATS, type RenderOptions, type RuleFormat } from './render.js';
export { RulesDocument, ruleTableJsonSchema, SCHEMA_ID } from './schema.js';
