import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createUser, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('after-action page in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let staff: TestUser;
  beforeAll(async () => {
    app = await startE2eApp();
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
    staff = await createUser(app, 'staff', { username: 'morgan', displayName: 'Morgan Lee', side: 'US', agency: 'DOE' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('previews the record, verifies its chain, lets a lead write the lessons, and offers every format', async () => {
    const incident = await openIncident(app, lead);
    await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: lead.cookie }, payload: { body: 'Stockpile release agreed / 備蓄放出で合意', kind: 'decision' } });
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'jordan', lead.password);
    await page.goto(`/incidents/${incident.id}`);
    await page.getByRole('link', { name: 'After-action record' }).click();
    await page.getByTestId('chain-status').getByText(/Hash chain verified: \d+ events/).waitFor();
    expect(await page.getByTestId('chain-status').textContent()).toContain('It matches the live audit log.');
    expect(await page.getByText('Stockpile release agreed / 備蓄放出で合意').first().isVisible()).toBe(true);
    await page.getByLabel('Strengths').fill('Same-day inventory exchange / 当日中の在庫共有');
    await page.getByRole('button', { name: 'Save lessons learned' }).click();
    await page.getByText('Lessons learned saved.').waitFor();
    const stored = (await app.app.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: lead.cookie } })).json();
    expect(stored.lessons.strengths).toBe('Same-day inventory exchange / 当日中の在庫共有');
    for (const format of ['PDF', 'Markdown', 'CSV (timeline)', 'JSON (verifiable)']) {
      const href = await page.getByRole('link', { name: format }).getAttribute('href');
      const status = await page.evaluate(async (url) => (await fetch(url ?? '')).status, href);
      expect(status, format).toBe(200);
    }
    await context.close();

    // Staff read and download, but the lessons are not theirs to write.
    const other = await newUser(browser, app.url);
    await signInThroughPage(other.page, 'morgan', staff.password);
    await other.page.goto(`/incidents/${incident.id}/after-action`);
    await other.page.getByTestId('chain-status').waitFor();
    expect(await other.page.getByRole('button', { name: 'Save lessons learned' }).count()).toBe(0);
    expect(await other.page.getByText('Same-day inventory exchange / 当日中の在庫共有').isVisible()).toBe(true);
    await other.context.close();
  });
});
