/**
 * The environment variables an SNMP secret may come from (src/cli/secret-input.ts reads them).
 * Apart from the reading so that the option help, built at every start, does not load node:fs:
 * its ESM namespace pulls the fs streams in, a few ms of `fulcrum --help`.
 */
export const SECRET_ENV = {
  community: 'FULCRUM_SNMP_COMMUNITY',
  v3Auth: 'FULCRUM_SNMP_V3_AUTH',
  v3Priv: 'FULCRUM_SNMP_V3_PRIV',
} as const;
