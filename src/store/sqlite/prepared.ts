/**
 * Statements prepared once per SQL text and connection. better-sqlite3 compiles the SQL on every
 * `prepare()`; on the paths run per request (a token checked) or per poll (an appliance's state
 * written) that compilation was a good part of the work. Only for statements used as they are
 * prepared: one that is `pluck()`ed, `raw()`ed or iterated would change, or hold, the statement
 * every other caller of the same text shares.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';

export type Prepare = (sql: string) => Statement;

export function preparedOnce(db: Db): Prepare {
  const kept = new Map<string, Statement>();
  return (sql) => {
    let statement = kept.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      kept.set(sql, statement);
    }
    return statement;
  };
}
