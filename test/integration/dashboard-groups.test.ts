/**
 * The dashboard's failover groups in a real browser (Debian's chromium driven by playwright-core)
 * against the agent polling a real pair of simulators over their consoles: the group shows with
 * its members, their states and config ids, and its active member; a failover asked of the API
 * shows the new active, and the failover events in the event list, without the page reloading.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailoverPair, type MemberEvent } from '../../sim/pair/failover-pair.js';
import { bearer, eventually, startApi, type ApiHarness } from '../support/api.js';

// The page's globals, for the functions that run in the browser: the tests compile without the DOM library.
declare const window: Record<string, unknown>;

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard group tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const isActive = (e: MemberEvent) => e.type === 'failover' && e.to === 'active';
const listening = (e: MemberEvent) => e.type === 'failover-services' && e.listening === true;

describe.skipIf(!haveChromium)('failover groups on the dashboard', () => {
  let pair: FailoverPair;
  let api: ApiHarness;
  let browser: BrowserContext;
  let profile: string;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    pair = await FailoverPair.start({ serialCable: false });
    const [primary, secondary] = pair.members;
    await primary.waitFor(isActive);
    await primary.waitFor(listening);
    api = await startApi({ listen: true, poll: { intervalMs: 1_000 } });
    await api.store.inventory.add({ name: 'pair-1', target: `serial:${primary.ready.serial}` });
    await api.store.inventory.add({ name: 'pair-2', target: `serial:${secondary.ready.serial}` });
    await eventually(async () => (await api.store.applianceState.members('pair')).length === 2, 30_000, 'the first polls of both members');
    profile = mkdtempSync(path.join(tmpdir(), 'fulcrum-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1400, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await api?.close();
    await pair?.stop();
  });

  it('shows the pair: its members by unit, their states and config ids, and the active member', async () => {
    await page.goto(`${api.url}/?token=${api.read}`);
    const group = page.locator('#group-list li.group[data-group="pair"]');
    await group.waitFor();
    await expect.poll(() => group.getAttribute('data-active')).toBe('pair-1');
    expect(await group.locator('[data-field="active"]').textContent()).toBe('active: pair-1');
    const members = group.locator('li.member');
    expect(await members.evaluateAll((items) => items.map((m) => [m.getAttribute('data-appliance'), m.getAttribute('data-state')]))).toEqual([
      ['pair-1', 'active'],
      ['pair-2', 'standby'],
    ]);
    // Both run the pair's table: the config id is the one each member reports.
    const id = (await api.store.applianceState.get('pair-1'))!.configId!;
    for (const name of ['pair-1', 'pair-2'])
      expect(await group.locator(`li.member[data-appliance="${name}"] [data-field="configId"]`).getAttribute('title')).toBe(id);
    expect(pageErrors).toEqual([]);
  });

  it('a failover shows the new active and the failover events live, without a reload', async () => {
    await page.evaluate(() => (window.sameDocument = true));
    await expect.poll(() => page.locator('#live').getAttribute('data-state')).toBe('live');
    const r = await fetch(`${api.url}/api/v1/groups/pair/failover`, {
      method: 'POST',
      headers: { ...bearer(api.admin), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(await r.json()).toEqual({ group: 'pair', from: 'pair-1', to: 'pair-2' });

    const group = page.locator('#group-list li.group[data-group="pair"]');
    await expect.poll(() => group.getAttribute('data-active'), { timeout: 15_000 }).toBe('pair-2');
    expect(await group.locator('li.member[data-appliance="pair-1"]').getAttribute('data-state')).toBe('standby');
    const failovers = page.locator('#event-list li[data-kind="failover"]');
    await expect
      .poll(() => failovers.allTextContents(), { timeout: 15_000 })
      .toEqual(expect.arrayContaining([expect.stringContaining('pair unit 1 active → standby'), expect.stringContaining('pair unit 2 standby → active')]));
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
