import { describe, expect, it } from 'vitest';
import { formatHaproxyDuration, formatSeconds, haproxyDuration, keepalivedSeconds, nginxDuration } from '../../../src/interop/durations.js';

describe('HAProxy times', () => {
  it('are milliseconds without a unit and take us, ms, s, m, h, d', () => {
    expect(haproxyDuration('2000')).toEqual({ ms: 2_000 });
    expect(haproxyDuration('5s')).toEqual({ ms: 5_000 });
    expect(haproxyDuration('30m')).toEqual({ ms: 1_800_000 });
    expect(haproxyDuration('1d')).toEqual({ ms: 86_400_000 });
    expect(haproxyDuration('1500us')).toEqual({ ms: 2 });
  });

  it('refuse what HAProxy refuses', () => {
    expect(haproxyDuration('5x')).toHaveProperty('problem');
    expect(haproxyDuration('1m30s')).toHaveProperty('problem');
    expect(haproxyDuration('')).toHaveProperty('problem');
  });

  it('are written with one unit, the largest that is exact', () => {
    expect(formatHaproxyDuration(300_000)).toBe('5m');
    expect(formatHaproxyDuration(90_000)).toBe('90s');
    expect(formatHaproxyDuration(1_500)).toBe('1500ms');
    expect(formatHaproxyDuration(604_800_000)).toBe('7d');
  });
});

describe('nginx times', () => {
  it('are seconds without a unit and may combine units', () => {
    expect(nginxDuration('30')).toEqual({ ms: 30_000 });
    expect(nginxDuration('1m30s')).toEqual({ ms: 90_000 });
    expect(nginxDuration('500ms')).toEqual({ ms: 500 });
    expect(nginxDuration('1h')).toEqual({ ms: 3_600_000 });
    expect(nginxDuration('30 s')).toHaveProperty('problem');
    expect(nginxDuration('1q')).toHaveProperty('problem');
  });
});

describe('keepalived timers', () => {
  it('are decimal seconds, read exactly and rounded up to whole milliseconds', () => {
    expect(keepalivedSeconds('3')).toEqual({ ms: 3_000 });
    expect(keepalivedSeconds('0.5')).toEqual({ ms: 500 });
    expect(keepalivedSeconds('2.3')).toEqual({ ms: 2_300 });
    expect(keepalivedSeconds('1.0001')).toEqual({ ms: 1_001 });
    expect(keepalivedSeconds('.25')).toEqual({ ms: 250 });
    expect(keepalivedSeconds('3s')).toHaveProperty('problem');
  });

  it('are written with as few decimals as needed', () => {
    expect(formatSeconds(2_000)).toBe('2');
    expect(formatSeconds(500)).toBe('0.5');
    expect(formatSeconds(10)).toBe('0.01');
    expect(formatSeconds(1_250)).toBe('1.25');
  });
});
