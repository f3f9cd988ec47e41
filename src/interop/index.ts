/**
 * Interoperability with the configurations operators already have: import HAProxy, keepalived
 * and nginx configuration as a rule table (with a report of what did not carry over), export a
 * rule table to each of them (the YAML operators write comes from src/rules/render.ts).
 */

export { importConfig, type ImportOptions, type ImportResult } from './import.js';
export { exportConfig, type ExportOptions, type ExportResult } from './export.js';
export { guessFormat } from './guess.js';
export { ImportError, ExportError } from './errors.js';
export { FORMATS, isFormat, type Format } from './formats.js';
export { formatExportOmission, formatOmission, type ExportOmission, type Omission } from './report.js';
export { DEBIAN_STREAM_MODULE } from './nginx/render.js';
