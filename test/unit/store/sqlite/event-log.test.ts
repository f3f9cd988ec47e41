/**
 * The event log's cursor for followers (src/store/sqlite/event-log.ts): the last id appended,
 * whatever the events' times — what `fulcrum events --follow` counts from.
 */
import { describe, expect, it } from 'vitest';
import { T0, tempStores } from '../support.js';

const newStore = tempStores();

describe('the event log', () => {
  it('gives the last id appended, not the id of the newest event by time', async () => {
    const store = await newStore();
    expect(await store.events.lastId()).toBe(0);
    const first = await store.events.append({ ts: T0, appliance: 'a', kind: 'k', detail: null });
    // Appended later with an earlier time (a trap that travelled slowly, an event recorded after the fact).
    const late = await store.events.append({ ts: T0 - 60_000, appliance: 'a', kind: 'k', detail: null });
    expect(late).toBeGreaterThan(first);
    expect((await store.events.query({ order: 'desc', limit: 1 }))[0]!.id).toBe(first);
    expect(await store.events.lastId()).toBe(late);
  });
});
