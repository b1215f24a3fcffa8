import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Alert } from '@lodestone/shared';
import { alertInput, createUser, type TestUser } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('alerts in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let liaison: TestUser;
  let lead: TestUser;
  /** How far the server's clock runs ahead of real time: moved forward to let an offline alert wait. */
  let serverAhead = 0;
  beforeAll(async () => {
    // Sessions outlive the server's clock moving ahead by weeks.
    app = await startE2eApp({ clock: () => new Date(Date.now() + serverAhead), sessionIdleMinutes: 60 * 24 * 365, sessionMaxHours: 24 * 365 });
    browser = await launchBrowser();
    liaison = await createUser(app, 'liaison', { username: 'aya.nakamura', displayName: 'Aya Nakamura', side: 'JP', agency: 'JOGMEC' });
    lead = await createUser(app, 'lead', { username: 'jordan.hayes', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const storedAlerts = async () =>
    (await app.app.inject({ method: 'GET', url: '/api/v1/alerts?limit=1000', headers: { cookie: lead.cookie } })).json() as Alert[];

  async function compose(page: Page, title: string, severity = 'high') {
    const form = page.getByRole('form', { name: 'Post an alert' });
    await form.getByRole('combobox', { name: 'Mineral' }).fill('ジスプロ');
    await page.getByRole('option', { name: 'Dysprosium ジスプロシウム', exact: true }).click();
    await form.getByLabel('Severity').selectOption(severity);
    await form.getByLabel('Headline').fill(title);
    await form.getByLabel(/^Details/).fill('Licences for Dy oxide held at Tianjin.');
  }
  // setOffline tells the page it is offline; cutting the relay makes sure nothing reaches the
  // server meanwhile (setOffline misses service-worker and early-navigation requests).
  async function goOffline(context: BrowserContext) {
    app.network.cut();
    await context.setOffline(true);
  }
  async function goOnline(context: BrowserContext) {
    app.network.restore();
    await context.setOffline(false);
  }
  const filterBar = (page: Page) => page.getByRole('region', { name: 'Filters' });

  it('a liaison posts; the lead sees it live and acknowledges; the liaison sees US ✓ appear live', async () => {
    const a = await newUser(browser, app.url);
    const b = await newUser(browser, app.url);
    await signInThroughPage(a.page, 'aya.nakamura', liaison.password);
    await a.page.getByRole('button', { name: 'EN', exact: true }).click();
    await signInThroughPage(b.page, 'jordan.hayes', lead.password);
    await a.page.getByRole('heading', { name: 'Supply alerts' }).waitFor();
    await b.page.getByRole('heading', { name: 'Supply alerts' }).waitFor();
    await b.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    await compose(a.page, 'Dy oxide export licences frozen at Tianjin', 'critical');
    await a.page.getByLabel('Headline').press('Control+Enter');

    const card = b.page.locator('article', { hasText: 'Dy oxide export licences frozen at Tianjin' });
    await card.waitFor({ timeout: 10_000 });
    expect(await card.getByText('Dysprosium').isVisible()).toBe(true);
    expect(await card.getByText('ジスプロシウム').isVisible()).toBe(true);
    expect(await card.getByText('TLP:AMBER').isVisible()).toBe(true);
    // A critical alert raises a toast for the lead, who has the feed open.
    await b.page.locator('.toast', { hasText: 'New Critical alert' }).waitFor();

    const liaisonCard = a.page.locator('article', { hasText: 'Dy oxide export licences frozen at Tianjin' });
    await liaisonCard.waitFor();
    expect(await liaisonCard.locator('[data-side="US"]').textContent()).toContain('US awaiting');
    await card.getByRole('button', { name: 'Acknowledge' }).click();
    await liaisonCard.locator('[data-side="US"]').getByText('US ✓').waitFor({ timeout: 10_000 });
    // One side has acknowledged: the status says which, not a bare "Acknowledged".
    expect(await liaisonCard.getByTestId('alert-status').textContent()).toBe('US ✓ · JP awaiting');
    expect(await liaisonCard.locator('[data-side="US"]').textContent()).toContain('Jordan Hayes (DOE)');
    expect(await card.getByRole('button', { name: /Acknowledged/ }).isDisabled()).toBe(true);

    const stored = (await storedAlerts()).filter((x) => x.title === 'Dy oxide export licences frozen at Tianjin');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.acknowledgements.map((x) => x.side)).toEqual(['US']);
    await a.context.close();
    await b.context.close();
  });

  it('keeps an alert posted offline across a reload and sends it once when the connection returns', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'aya.nakamura', liaison.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('heading', { name: 'Supply alerts' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    // The service worker has cached the app shell once it controls the page.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });

    await goOffline(context);
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    await compose(page, 'Port strike delays Ga shipments');
    await page.getByRole('button', { name: 'Post alert' }).click();
    await page.getByText('You are offline: the alert is kept').waitFor();
    await page.locator('.pending-item', { hasText: 'Port strike delays Ga shipments' }).waitFor();

    await page.reload();
    await page.locator('.pending-item', { hasText: 'Port strike delays Ga shipments' }).waitFor();
    expect((await storedAlerts()).filter((x) => x.title === 'Port strike delays Ga shipments')).toHaveLength(0);

    await goOnline(context);
    await page.locator('article', { hasText: 'Port strike delays Ga shipments' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('.pending-item').count()).toBe(0);
    expect((await storedAlerts()).filter((x) => x.title === 'Port strike delays Ga shipments')).toHaveLength(1);
    await context.close();
  });

  it('keeps the time an alert was written offline: sent later, it shows written · sent', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'aya.nakamura', liaison.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });

    await goOffline(context);
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    const writtenFrom = Date.now();
    await compose(page, 'Written on the quay, sent from the office');
    await page.getByRole('button', { name: 'Post alert' }).click();
    await page.locator('.pending-item', { hasText: 'Written on the quay' }).waitFor();
    const writtenTo = Date.now();
    // Ten minutes pass (on the server's clock) before the network returns.
    serverAhead += 10 * 60_000;
    await goOnline(context);
    const card = page.locator('article', { hasText: 'Written on the quay, sent from the office' });
    await card.waitFor({ timeout: 20_000 });

    const stored = (await storedAlerts()).find((x) => x.title === 'Written on the quay, sent from the office');
    const observed = Date.parse(stored?.observedAt ?? '');
    expect(observed).toBeGreaterThanOrEqual(writtenFrom - 1000);
    expect(observed).toBeLessThanOrEqual(writtenTo + 1000);
    expect(Date.parse(stored?.postedAt ?? '') - observed).toBeGreaterThanOrEqual(10 * 60_000 - 1000);
    const shows = async () => {
      await card.getByTestId('alert-written').waitFor();
      expect(await card.getByTestId('alert-written').textContent()).toMatch(/^written /);
      expect(await card.getByTestId('alert-written').locator('time').getAttribute('datetime')).toBe(stored?.observedAt);
      expect(await card.getByTestId('alert-sent').textContent()).toMatch(/^sent /);
      expect(await card.getByTestId('alert-sent').locator('time').getAttribute('datetime')).toBe(stored?.postedAt);
      // Both in Washington and Tokyo time, as every time is shown.
      expect(await card.getByTestId('alert-written').textContent()).toMatch(/E[SD]T · .*JST/);
    };
    await shows();
    // Others see it too, in their language (a JP account reads Japanese).
    const reader = await createUser(app, 'member', { username: 'ken.takahashi', displayName: '高橋 健', side: 'JP', agency: 'METI' });
    const other = await newUser(browser, app.url, 'ja-JP');
    await signInThroughPage(other.page, 'ken.takahashi', reader.password);
    const theirs = other.page.locator('article', { hasText: 'Written on the quay, sent from the office' });
    await theirs.getByTestId('alert-written').waitFor();
    expect(await theirs.getByTestId('alert-written').textContent()).toMatch(/^作成 /);
    expect(await theirs.getByTestId('alert-sent').textContent()).toMatch(/^送信 /);
    // An alert posted at once shows one time only.
    const now = page.locator('article', { hasText: 'Dy oxide export licences frozen at Tianjin' });
    expect(await now.getByTestId('alert-written').count()).toBe(0);
    await other.context.close();
    await context.close();
  });

  it('still sends an offline alert whose written time the server refuses (a device clock far off), without that time', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'aya.nakamura', liaison.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });
    await goOffline(context);
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    await compose(page, 'Sent from a device six weeks behind');
    await page.getByRole('button', { name: 'Post alert' }).click();
    await page.locator('.pending-item', { hasText: 'Sent from a device six weeks behind' }).waitFor();
    // To the server, this device's clock is six weeks behind: its written time is refused as too old.
    serverAhead += 42 * 24 * 3_600_000;
    await goOnline(context);
    await page.locator('article', { hasText: 'Sent from a device six weeks behind' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('.pending-item').count()).toBe(0);
    const stored = (await storedAlerts()).filter((x) => x.title === 'Sent from a device six weeks behind');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.observedAt).toBeNull();
    await context.close();
  });

  it('renders stored markup as text: no script runs', async () => {
    const payload = '<img src=x onerror=alert(1)>';
    const res = await app.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ title: payload, body: `<script>alert(2)</script>${payload}`, source: payload }) });
    expect(res.statusCode).toBe(201);
    const { context, page } = await newUser(browser, app.url);
    const dialogs: string[] = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    await signInThroughPage(page, 'jordan.hayes', lead.password);
    const card = page.locator('article', { hasText: payload }).first();
    await card.waitFor();
    expect(await card.locator('h3').textContent()).toBe(payload);
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.locator('script').count()).toBe(0);
    // The marker: the same broken image, put there by the test after the page rendered. Had the
    // stored markup run, its alert would have come first.
    await page.evaluate(() => {
      const marker = new Image();
      marker.onerror = () => alert('marker');
      marker.src = 'x';
      document.body.append(marker);
    });
    await expect.poll(() => dialogs.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(dialogs).toEqual(['marker']);
    await context.close();
  });

  it('keeps the filters in the URL', async () => {
    await app.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ severity: 'critical', title: 'A critical one' }) });
    await app.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ severity: 'low', title: 'A low one' }) });
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'jordan.hayes', lead.password);
    await filterBar(page).getByLabel('Severity').selectOption('critical');
    await expect.poll(() => new URL(page.url()).searchParams.get('severity')).toBe('critical');
    await page.reload();
    await page.locator('article').first().waitFor();
    expect(await filterBar(page).getByLabel('Severity').inputValue()).toBe('critical');
    const severities = await page.locator('article .badge.sev-critical, article .badge.sev-high, article .badge.sev-moderate, article .badge.sev-low').allTextContents();
    expect(new Set(severities)).toEqual(new Set(['Critical']));
    await context.close();
  });
});
