/**
 * The history answer written by JSON.stringify (src/api/history-body.ts) is byte for byte what
 * the route's response schema serializes for the same history: nulls, gaps, fractions, odd
 * strings, empty series.
 */
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { historyBody } from '../../../src/api/history-body.js';
import { HistoryResponse, SteppedHistoryResponse } from '../../../src/api/schemas.js';
import type { History } from '../../../src/store/history.js';

async function schemaSerialized(history: History): Promise<string> {
  const app = Fastify();
  app.get('/h', { schema: { response: { 200: Type.Union([HistoryResponse, SteppedHistoryResponse]) } } }, async () => history);
  try {
    return (await app.inject({ method: 'GET', url: '/h' })).body;
  } finally {
    await app.close();
  }
}

const histories: History[] = [
  { appliance: 'lb1', from: 1_700_000_000_000, to: 1_700_000_300_000, resolution: 'raw', unit: 'increase per step', series: [] },
  {
    appliance: 'edge "a"\\b\u00e9\u2028',
    from: 1_700_000_000_000,
    to: 1_700_000_300_000,
    resolution: '1m',
    unit: 'per second',
    series: [
      {
        service: 'web',
        backend: null,
        counter: 'connsTotal',
        kind: 'counter',
        points: [
          [1_700_000_000_000, null],
          [1_700_000_010_000, 12],
          [1_700_000_020_000, 0.125],
          [1_700_000_030_000, -0],
          [1_700_000_040_000, 2 ** 53 + 2],
        ],
      },
      { service: null, backend: '10.0.0.1:80', counter: 'bytes\tIn', kind: 'gauge', points: [] },
      { service: 'svc/ü', backend: '[2001:db8::1]:443', counter: 'latency', kind: 'gauge', points: [[1e21, 1e-7]] },
    ],
  },
];

describe('the history answer', () => {
  it.each(histories.map((h, i) => [i, h] as const))('%i: is what the schema serializes', async (_i, history) => {
    expect(historyBody(history)).toBe(await schemaSerialized(history));
  });

  it('leaves out what the schema has no field for', async () => {
    const history = { ...histories[1]!, extra: 1, series: histories[1]!.series.map((s) => ({ ...s, id: 7 })) } as History;
    const body = historyBody(history);
    expect(body).toBe(await schemaSerialized(history));
    expect(body).not.toContain('extra');
  });
});
