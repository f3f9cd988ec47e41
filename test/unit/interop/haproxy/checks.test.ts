import { describe, expect, it } from 'vitest';
import { regexRange } from '../../../../src/interop/haproxy/checks.js';

describe('rstatus patterns', () => {
  it('read status classes by their first digit', () => {
    expect(regexRange('^2')).toEqual({ value: [200, 299], partial: false });
    expect(regexRange('^[23]')).toEqual({ value: [200, 399], partial: false });
    expect(regexRange('^[2-4]')).toEqual({ value: [200, 499], partial: false });
    expect(regexRange('^(2|3)')).toEqual({ value: [200, 399], partial: false });
    expect(regexRange('^2[0-9][0-9]$')).toEqual({ value: [200, 299], partial: false });
    expect(regexRange('^2\\d\\d$')).toEqual({ value: [200, 299], partial: false });
  });

  it('refuse what is not one range of classes', () => {
    expect(regexRange('^[24]')).toBeNull();
    expect(regexRange('2')).toBeNull();
    expect(regexRange('^20[04]$')).toBeNull();
  });
});
