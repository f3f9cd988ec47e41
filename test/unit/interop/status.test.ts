import { describe, expect, it } from 'vitest';
import { statusRange } from '../../../src/interop/status.js';

describe('statusRange', () => {
  it('reads codes and ranges and merges contiguous parts', () => {
    expect(statusRange(['200'])).toEqual({ value: [200, 200], partial: false });
    expect(statusRange(['200-299'])).toEqual({ value: [200, 299], partial: false });
    expect(statusRange(['300-399', '200-299'])).toEqual({ value: [200, 399], partial: false });
    expect(statusRange(['200', '201', '202'])).toEqual({ value: [200, 202], partial: false });
  });

  it('keeps the first part of a list with gaps, and says so', () => {
    expect(statusRange(['200', '404'])).toEqual({ value: [200, 200], partial: true });
  });

  it('refuses what is not a code', () => {
    expect(statusRange(['2xx'])).toBeNull();
    expect(statusRange([])).toBeNull();
  });
});
