/**
 * The `expect` of an http health check: `200`, `"2xx"` or `"200-399"`, always an inclusive range
 * in canonical form.
 */

export const EXPECT_PATTERN = '^(?:[1-5][xX][xX]|[1-5][0-9][0-9](?:-[1-5][0-9][0-9])?)$';

/** Assumes `expect` matched the schema (an integer, or a string matching EXPECT_PATTERN). */
export function parseExpect(expect: number | string): [number, number] {
  if (typeof expect === 'number') return [expect, expect];
  if (/^[1-5][xX][xX]$/.test(expect)) {
    const base = Number(expect[0]) * 100;
    return [base, base + 99];
  }
  const [low = '', high = low] = expect.split('-');
  return [Number(low), Number(high)];
}
