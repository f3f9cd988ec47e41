/** PostgreSQL for the tests: the private server of bench/lib/postgres-server.ts (the benchmarks start the same one). */
export { hasPostgres, PG_BIN, PostgresStartError, startPostgres, type PostgresServer } from '../../bench/lib/postgres-server.js';
