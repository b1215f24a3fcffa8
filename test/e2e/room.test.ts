import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';
import { actorOf } from '../../server/src/features/users/users.service.ts';
import { toAuthUser } from '../../server/src/features/users/users.service.ts';

describe.runIf(runBrowserTests)('incident room in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let jpLead: TestUser;
  let kenji: TestUser;
  let priya: TestUser;
  beforeAll(async () => {
    app = await startE2eApp({ rateLimitPerMinute: 1_000_000 });
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
    jpLead = await createUser(app, 'lead', { username: 'misaki', displayName: 'Misaki Sato', side: 'JP', agency: 'METI' });
    kenji = await createUser(app, 'member', { username: 'kenji', displayName: 'Kenji Takahashi', side: 'JP', agency: 'METI' });
    priya = await createUser(app, 'member', { username: 'priya', displayName: 'Priya Raman', side: 'US', agency: 'DOE' });
  });
  afterEach(() => app.network.restore());
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function enter(user: TestUser, incidentId: string): Promise<{ context: BrowserContext; page: Page }> {
    const session = await newUser(browser, app.url);
    await signInThroughPage(session.page, user.user.username, user.password);
    await session.page.goto(`/incidents/${incidentId}`);
    await session.page.getByTestId('timeline').waitFor();
    await session.page.getByRole('status').filter({ hasText: /Live|ライブ/ }).waitFor();
    return session;
  }
  const entries = (page: Page, text: string) => page.getByTestId('timeline').locator('article', { hasText: text });

  it('shows a Japanese note to the other member live, and exactly the entries missed while offline', async () => {
    const incident = await openIncident(app, lead, { members: [kenji, priya] });
    const a = await enter(kenji, incident.id);
    const b = await enter(priya, incident.id);
    await b.page.getByTestId('presence').getByText('Kenji Takahashi').waitFor();

    const composer = a.page.getByRole('textbox', { name: /Write to the room|ルームに書き込む/ });
    await composer.fill('天津港でジスプロシウムの出荷保留を確認');
    await composer.press('Enter');
    await entries(b.page, '天津港でジスプロシウムの出荷保留を確認').waitFor({ timeout: 10_000 });

    // Priya loses the network; three entries are posted meanwhile.
    app.network.cut();
    await b.context.setOffline(true);
    await b.page.getByRole('status').filter({ hasText: /Offline|Reconnecting/ }).waitFor();
    for (const text of ['一件目：JOGMEC在庫確認', 'Second: OEM call at 11:00 EDT', '三件目：METI大臣レク']) {
      const res = await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: kenji.cookie }, payload: { body: text } });
      expect(res.statusCode).toBe(201);
    }
    app.network.restore();
    await b.context.setOffline(false);
    await b.page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 20_000 });
    for (const text of ['一件目：JOGMEC在庫確認', 'Second: OEM call at 11:00 EDT', '三件目：METI大臣レク']) {
      await entries(b.page, text).waitFor({ timeout: 10_000 });
      expect(await entries(b.page, text).count(), text).toBe(1);
    }
    // In order, newest first, with nothing doubled.
    const seqs = await b.page.getByTestId('timeline').locator('article').evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute('data-seq'))));
    expect(seqs).toEqual([...seqs].sort((x, y) => y - x));
    expect(new Set(seqs).size).toBe(seqs.length);
    await a.context.close();
    await b.context.close();
  });

  it('explains a stale edit: who changed the incident when, the current values, and nothing is overwritten', async () => {
    const incident = await openIncident(app, lead, { members: [jpLead] });
    const { context, page } = await newUser(browser, app.url);
    // Hold back what the server pushes over the socket, so this page keeps showing version 1.
    let hold = false;
    await context.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        if (!hold) ws.send(message);
      });
      ws.onMessage((message) => server.send(message));
    });
    await signInThroughPage(page, 'jordan', lead.password);
    await page.goto(`/incidents/${incident.id}`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    hold = true;
    const theirs = await app.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: jpLead.cookie }, payload: { version: 1, severity: 'critical' } });
    expect(theirs.statusCode).toBe(200);

    await page.getByLabel('Severity').selectOption('low');
    const dialog = page.getByRole('dialog', { name: 'Changed by someone else' });
    await dialog.waitFor();
    expect(await dialog.getByText(/Misaki Sato \(METI\) changed it at/).isVisible()).toBe(true);
    const row = dialog.getByRole('row', { name: /severity/ });
    expect(await row.getByRole('cell').allTextContents()).toEqual(['Critical', 'Low']);
    await dialog.getByRole('button', { name: 'Keep the current values' }).click();
    await expect.poll(() => page.getByLabel('Severity').inputValue()).toBe('critical');
    // Focus is back on the control the change came from.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('room-severity');
    const stored = (await app.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: lead.cookie } })).json();
    expect(stored).toMatchObject({ severity: 'critical', version: 2 });

    // Applying the change on top is a deliberate second step, against the version now shown.
    await page.getByLabel('Severity').selectOption('low');
    await expect.poll(async () => (await app.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: lead.cookie } })).json().severity).toBe('low');
    await context.close();
  });

  it('opens a room of 10,000 entries at the newest, keeps only what is on screen in the DOM, and loads older pages on scroll', async () => {
    const incident = await openIncident(app, lead, { members: [priya] });
    const row = await app.app.lodestone.users.row(priya.user.id);
    if (!row) throw new Error('no user');
    const author = toAuthUser(row);
    // Sent 500 at a time, as concurrent requests would be: they share group commits.
    for (let from = 0; from < 10_000; from += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, k) => {
          const i = from + k;
          return app.app.lodestone.timeline.post({ actor: actorOf(author) }, author, incident.id, { body: `Entry ${i}: ${i % 3 === 0 ? '在庫確認の続報' : 'shipment tracking update'} #${i}` });
        }),
      );
    }
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'priya', priya.password);
    // The time this takes is measured by `npm run bench -- client`, not here.
    await page.goto(`/incidents/${incident.id}`);
    await entries(page, 'Entry 9999:').waitFor();
    const timeline = page.getByTestId('timeline');
    expect(await timeline.locator('article').count()).toBeLessThan(60); // virtualized: only what is on screen
    // Scroll down through history: older pages load as the end nears.
    for (let i = 0; i < 12; i++) {
      await timeline.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.waitForTimeout(120);
    }
    await expect.poll(async () => Number(await timeline.locator('article').last().getAttribute('data-seq')), { timeout: 15_000 }).toBeLessThan(9000);
    await context.close();
  });
});
