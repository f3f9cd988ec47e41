import { describe, expect, it } from 'vitest';
import { toJson } from '../../../src/cli/output.js';

describe('toJson', () => {
  it('writes 64-bit counters as exact JSON integers', () => {
    const text = toJson({ a: 18446744073709551615n, b: [0n, 1], c: 'x' });
    expect(text).toBe('{"a":18446744073709551615,"b":[0,1],"c":"x"}');
  });
});
