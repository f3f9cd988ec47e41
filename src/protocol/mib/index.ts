export * from './oid.js';
export * from './smi.js';
export * from './mib2.js';
export * as FulcrumMib from './fulcrum-mib.js';
export * as IfMib from './if-mib.js';
