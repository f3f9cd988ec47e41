/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against the
 * agent polling a simulated appliance that carries real HTTP traffic: the fleet table shows the
 * appliance and its config id, the appliance's charts are drawn from the polled values (the
 * connections in the chart add up to those sent), a push made meanwhile shows up live, and a
 * firmware rollout started through the API appears in the rollouts panel as it goes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpBackends, type HttpBackend } from '../../sim/backends/http-backend.js';
import { freePort } from '../../sim/free-port.js';
import { SimulatedAppliance } from '../../sim/simulated-appliance.js';
import { httpLoad } from '../../sim/traffic/http-load.js';
import { sha256, toHex } from '../../src/protocol/digest.js';
import { buildImage, generateSigningKey, parseVersion, simulatorPayload } from '../../src/protocol/image/image.js';
import { configId } from '../../src/protocol/rules/index.js';
import { loadRules } from '../../src/rules/index.js';
import { bearer, eventually, startApi, type ApiHarness } from '../support/api.js';

// The page's globals, for the functions that run in the browser: the tests compile without the DOM library.
declare const localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void };
declare const window: unknown;
declare const document: { querySelector<T>(selector: string): T | null };
type HTMLElement = { dataset: Record<string, string | undefined> };

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const SENT = 30;

describe.skipIf(!haveChromium)('dashboard in a real browser', () => {
  let api: ApiHarness;
  let sim: SimulatedAppliance;
  let backends: HttpBackend[];
  let vip: number;
  let rulesText: (weight: number) => string;
  let browser: BrowserContext;
  let profile: string;
  let page: Page;
  const pageErrors: string[] = [];
  // The firmware catalog lives under $FULCRUM_HOME: a temporary one for this test.
  const home = process.env.FULCRUM_HOME;
  const fulcrumHome = mkdtempSync(path.join(tmpdir(), 'fulcrum-dash-home-'));

  beforeAll(async () => {
    backends = await startHttpBackends(2);
    vip = await freePort();
    rulesText = (weight) =>
      `services:\n  - name: web\n    listen: 127.0.0.1:${vip}\n    backends:\n${backends.map((b) => `      - { address: ${b.address}, weight: ${weight} }`).join('\n')}\n`;
    sim = await SimulatedAppliance.start({
      name: 'dash-1',
      rules: loadRules(rulesText(1), 'dash.yaml'),
      snmp: { host: '127.0.0.1', port: 0, community: 'public', writeCommunity: 'private' },
    });
    process.env.FULCRUM_HOME = fulcrumHome;
    // Polls a little over a second apart: the store keeps one sample per appliance per second.
    api = await startApi({ listen: true, poll: { intervalMs: 1_100 } });
    await api.store.inventory.add({ name: 'edge-1', target: `snmp://${sim.readyInfo().snmp}`, credentials: { community: 'private' } });
    await eventually(() => api.app.fulcrum.fleet.get('edge-1')?.reachable === true, 15_000, 'the first poll');
    profile = mkdtempSync(path.join(tmpdir(), 'fulcrum-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1400, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await api?.close();
    await sim?.stop();
    await Promise.all((backends ?? []).map((b) => b.kill()));
    if (home === undefined) delete process.env.FULCRUM_HOME;
    else process.env.FULCRUM_HOME = home;
    rmSync(fulcrumHome, { recursive: true, force: true });
  });

  it('shows the fleet table with the running config id, live', async () => {
    await page.goto(`${api.url}/?token=${api.read}`);
    const row = page.locator('#fleet-table tr[data-appliance="edge-1"]');
    await row.waitFor();
    const id = sim.appliance.configId;
    await expect.poll(() => row.locator('[data-field="configId"]').getAttribute('title')).toBe(id);
    expect(await row.locator('[data-field="configId"]').textContent()).toBe(id.slice(0, 12));
    expect(await row.locator('[data-field="state"]').textContent()).toBe('up');
    expect(await row.locator('[data-field="firmware"]').textContent()).toBe('1.0.0');
    // The token left the address bar and stayed in the browser.
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    expect(await page.evaluate(() => localStorage.getItem('fulcrum.token'))).toBe(api.read);
    await expect.poll(() => page.locator('#live').getAttribute('data-state')).toBe('live');
  });

  it('charts the connections sent through the appliance, as polled', async () => {
    await page.locator('#fleet-table tr[data-appliance="edge-1"]').click();
    await page.waitForFunction(() => (window as unknown as { fulcrum: { view: unknown } }).fulcrum.view !== null);
    expect(page.url()).toMatch(/#\/appliances\/edge-1$/);

    const load = await httpLoad('127.0.0.1', vip, SENT, 4);
    expect(load.failed).toBe(0);
    // Every poll after the traffic extends the chart: wait until it has all of it.
    await page.waitForFunction((sent) => document.querySelector<HTMLElement>('#chart-connections')?.dataset.newConnections === String(sent), SENT, {
      timeout: 20_000,
    });

    const chart = await page.evaluate(() => {
      const { charts, view } = (window as unknown as { fulcrum: { charts: Record<string, { data: (number | null)[][] }>; view: { services: string[] } } })
        .fulcrum;
      return { connections: charts.connections!.data, bytes: charts.bytes!.data, services: view.services };
    });
    expect(chart.services).toEqual(['web']);
    const [x, web] = chart.connections as [number[], (number | null)[]];
    expect(x.length).toBeGreaterThanOrEqual(2);
    // The chart plots connections per second; over each interval they add up to what was sent.
    let connections = 0;
    for (let i = 1; i < x.length; i++) connections += (web[i] ?? 0) * (x[i]! - x[i - 1]!);
    expect(Math.round(connections)).toBe(SENT);
    expect(Math.max(...web.map((v) => v ?? 0))).toBeGreaterThan(0);
    const [, bytesIn, bytesOut] = chart.bytes as [number[], (number | null)[], (number | null)[]];
    expect(Math.max(...bytesIn.map((v) => v ?? 0))).toBeGreaterThan(0);
    expect(Math.max(...bytesOut.map((v) => v ?? 0))).toBeGreaterThan(0);
    const traffic = await page.locator('#chart-bytes').getAttribute('data-bytes-in');
    expect(Number(traffic)).toBeGreaterThan(0);
  });

  it('shows every backend with its state and the connections it got', async () => {
    const rows = page.locator('#backend-table tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => rows.locator('[data-field="connsTotal"]').allTextContents()).toEqual([String(SENT / 2), String(SENT / 2)]);
    expect(await rows.locator('[data-field="state"]').allTextContents()).toEqual(['up', 'up']);
    // A read token is offered nothing that would change the appliance.
    expect(await page.evaluate(() => (window as unknown as { fulcrum: { role: string } }).fulcrum.role)).toBe('read');
    expect(await page.locator('#appliance-view button[data-action]').count()).toBe(0);
  });

  it('follows a push made through the API: new config id, commit and audit entries in the event log', async () => {
    const next = loadRules(rulesText(3), 'next.yaml');
    const r = await api.app.inject({
      method: 'POST',
      url: '/api/v1/appliances/edge-1/rules/push',
      headers: bearer(api.admin),
      payload: { rules: rulesText(3) },
    });
    expect(r.statusCode, r.body).toBe(200);
    await expect.poll(() => page.locator('#appliance-facts [data-field="configId"]').getAttribute('title'), { timeout: 10_000 }).toBe(configId(next));
    await expect.poll(() => page.locator('#event-list li[data-kind="commit"]').count()).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('#event-list li[data-kind="audit"]').first().textContent())
      .toContain('ops: POST /appliances/:name/rules/push — ok 200');
  });

  it('shows a rollout started through the API in the rollouts panel: state, counts per wave, the failed appliance', async () => {
    const image = buildImage(
      { version: parseVersion('2.0.0'), securityCounter: 1, payload: simulatorPayload({ simulate: [], size: 4096 }) },
      generateSigningKey(),
    );
    const added = await api.app.inject({
      method: 'POST',
      url: '/api/v1/firmware',
      headers: { ...bearer(api.admin), 'content-type': 'application/octet-stream' },
      payload: Buffer.from(image),
    });
    expect(added.statusCode, added.body).toBe(201);
    const r = await api.app.inject({
      method: 'POST',
      url: '/api/v1/rollouts',
      headers: bearer(api.admin),
      payload: { image: toHex(sha256(image)), targets: ['edge-1'] },
    });
    expect(r.statusCode, r.body).toBe(201);
    const id = r.json().id as number;
    // edge-1 fetches the image from the agent but does not trust the key it was signed with: its
    // upgrade fails and the rollout halts.
    const item = page.locator(`#rollout-list li[data-rollout="${id}"]`);
    await expect.poll(() => item.getAttribute('data-state'), { timeout: 15_000 }).toBe('halted');
    expect(await item.locator('[data-field="state"]').textContent()).toBe('halted');
    expect(await item.locator('[data-field="version"]').textContent()).toBe('firmware 2.0.0');
    expect(await item.locator('[data-field="counts"]').textContent()).toBe('0/1 succeeded, 1 failed');
    expect(await item.locator('.wave').count()).toBe(1);
    expect(await item.locator('.wave .wave-count').textContent()).toBe('1/1');
    expect(await item.locator('.wave .seg-failed').count()).toBe(1);
    expect(await item.locator('.wave .seg-succeeded').count()).toBe(0);
    const failed = item.locator('[data-field="failed"] li[data-appliance="edge-1"]');
    expect(await failed.textContent()).toMatch(/^edge-1: .*untrustedKey/);
    await expect.poll(() => page.locator('#event-list li[data-kind="rollout"]').count()).toBeGreaterThan(0);
  });

  it('lets an admin drain, weigh and enable a backend, confirm a commit and resume a rollout: planned first, audited as the CLI', async () => {
    await page.evaluate((t) => localStorage.setItem('fulcrum.token', t), api.admin);
    await page.goto(`${api.url}/#/appliances/edge-1`);
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { fulcrum: { ready: boolean; role: string } }).fulcrum.role === 'admin');
    const [first] = backends.map((b) => b.address);
    const row = page.locator(`#backend-table tr[data-backend="${first}"]`);
    const dialog = page.locator('#action-dialog');
    const backendOf = () => sim.appliance.rules.services[0]!.backends.find((b) => b.address === first)!;

    // Drain: the plan is shown, nothing is sent until it is applied.
    const before = sim.appliance.configId;
    await row.locator('button[data-action="drain"]').click();
    await dialog.waitFor({ state: 'visible' });
    expect(await page.locator('#action-body').textContent()).toContain(`~ backends[${first}].state: enabled → drain`);
    expect(sim.appliance.configId).toBe(before);
    await page.click('#action-dialog button[value="apply"]');
    await expect.poll(() => backendOf().state, { timeout: 10_000 }).toBe('drain');
    await expect.poll(() => row.locator('[data-field="state"]').textContent(), { timeout: 10_000 }).toBe('drain');

    // A weight, asked for, then planned.
    await row.locator('button[data-action="weight"]').click();
    await page.fill('#action-input', '5');
    await page.click('#action-dialog button[value="apply"]');
    await expect.poll(() => page.locator('#action-body').textContent()).toContain(`~ backends[${first}].weight: 3 → 5`);
    await page.click('#action-dialog button[value="apply"]');
    await expect.poll(() => backendOf().weight, { timeout: 10_000 }).toBe(5);

    // Cancelled: nothing changes.
    const drained = sim.appliance.configId;
    await row.locator('button[data-action="enable"]').click();
    await page.click('#action-dialog button[value="cancel"]');
    expect(await dialog.isVisible()).toBe(false);
    expect(sim.appliance.configId).toBe(drained);
    await row.locator('button[data-action="enable"]').click();
    await page.click('#action-dialog button[value="apply"]');
    await expect.poll(() => backendOf().state, { timeout: 10_000 }).toBe('enabled');

    // A commit confirmed made elsewhere, confirmed from the page.
    const pushed = await api.app.inject({
      method: 'POST',
      url: '/api/v1/appliances/edge-1/rules/push',
      headers: bearer(api.admin),
      payload: { rules: rulesText(4), confirmTimeout: '5m' },
    });
    expect(pushed.statusCode, pushed.body).toBe(200);
    const confirm = page.locator('#appliance-facts button[data-action="confirm"]');
    await confirm.waitFor({ timeout: 10_000 });
    await confirm.click();
    await page.click('#action-dialog button[value="apply"]');
    await expect.poll(() => sim.appliance.configManager.status().pendingConfirmMs, { timeout: 10_000 }).toBe(0);

    // The halted rollout of the test before, resumed.
    const resume = page.locator('#rollout-list button[data-action="resume"]').first();
    await resume.waitFor({ timeout: 10_000 });
    await resume.click();

    await expect
      .poll(async () => (await api.store.audit.list({ limit: 50 })).filter((e) => /\/rollouts\/:id\/resume/.test(e.action)).length, { timeout: 10_000 })
      .toBeGreaterThan(0);
    const audit = (await api.store.audit.list({ limit: 50 })).map((e) => `${e.actor.name} ${e.action} ${e.outcome}`);
    expect(audit.filter((a) => a === 'ops POST /api/v1/appliances/:name/backends/edit ok')).toHaveLength(3);
    expect(audit).toContain('ops POST /api/v1/appliances/:name/rules/confirm ok');
    // Three edits applied: the dry runs that showed their plans changed nothing and are not logged.
    const notices = await page.locator('[data-notice="error"]').count();
    expect(notices).toBe(0);
    await page.evaluate((t) => localStorage.setItem('fulcrum.token', t), api.read);
  });

  it('charts the whole fleet from the live stream, keeps times on a 24-hour clock and has an icon', async () => {
    await page.goto(`${api.url}/#/`);
    await page.reload();
    await expect.poll(() => page.locator('#chart-fleet-connections').getAttribute('data-points'), { timeout: 10_000 }).not.toBeNull();
    await expect.poll(async () => Number(await page.locator('#chart-fleet-connections').getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThan(1);
    const times = await page.locator('#event-list time').allTextContents();
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    const icon = await fetch(`${api.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');
  });

  it('looks right', async () => {
    await page.screenshot({ path: '/tmp/dashboard.png', fullPage: true });
    await page.goto(`${api.url}/#/`);
    await page.locator('#fleet-table tr[data-appliance="edge-1"]').waitFor();
    await page.screenshot({ path: '/tmp/dashboard-fleet.png', fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('asks for a token when it has none, and says why one was refused', async () => {
    const fresh = await browser.browser()?.newContext();
    const other = fresh ? await fresh.newPage() : await browser.newPage();
    try {
      await other.evaluate(() => localStorage.removeItem('fulcrum.token')).catch(() => undefined);
      await other.goto(`${api.url}/`);
      await other.evaluate(() => localStorage.removeItem('fulcrum.token'));
      await other.reload();
      const dialog = other.locator('#token-dialog');
      await dialog.waitFor({ state: 'visible' });
      await other.fill('#token-input', 'fulcrum_wrong');
      await other.click('#token-form button[type="submit"]');
      await expect.poll(() => other.locator('#token-error').textContent()).toContain('not valid');
      await other.fill('#token-input', api.read);
      await other.click('#token-form button[type="submit"]');
      await other.locator('#fleet-table tr[data-appliance="edge-1"]').waitFor();
      expect(await dialog.isVisible()).toBe(false);
    } finally {
      await other.close();
      // Leave the shared profile as the other tests expect it.
      await page.evaluate((t) => localStorage.setItem('fulcrum.token', t), api.read);
    }
  });
});
