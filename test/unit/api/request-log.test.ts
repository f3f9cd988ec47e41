import { describe, expect, it } from 'vitest';
import { urlForLog } from '../../../src/api/request-log.js';

describe('request URLs in the logs', () => {
  it('never logs the query of the stream, however it is spelled', () => {
    expect(urlForLog('/api/v1/stream?token=fulcrum_secret')).toBe('/api/v1/stream');
    expect(urlForLog('/api/v1/stream?tok%65n=fulcrum_secret')).toBe('/api/v1/stream');
    expect(urlForLog('/api/v1/%73tream?x=1&token=fulcrum_secret')).toBe('/api/v1/%73tream');
    expect(urlForLog('/api/v1/stream/?token=fulcrum_secret')).toBe('/api/v1/stream/');
  });

  it('redacts a token elsewhere once the key is decoded', () => {
    expect(urlForLog('/api/v1/appliances?token=abc&x=1')).toBe('/api/v1/appliances?token=[redacted]&x=1');
    expect(urlForLog('/api/v1/appliances?tok%65n=abc')).toBe('/api/v1/appliances?token=[redacted]');
    expect(urlForLog('/api/v1/appliances?%74%6f%6b%65%6e=abc&TOKEN=def')).toBe('/api/v1/appliances?token=[redacted]&TOKEN=[redacted]');
    expect(urlForLog('/?a=%E0%A4%A&token=x')).toBe('/?a=%E0%A4%A&token=[redacted]');
  });

  it('leaves URLs without a query alone', () => {
    expect(urlForLog('/api/v1/appliances')).toBe('/api/v1/appliances');
  });
});
