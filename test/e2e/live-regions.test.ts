import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { alertInput, createUser, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

/**
 * What arrives live is announced to screen readers (a polite status region whose text changes)
 * without taking focus from what the user is doing: typing a note or an alert goes on.
 */
describe.runIf(runBrowserTests)('live announcements in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let kenji: TestUser;
  let priya: TestUser;
  let liaison: TestUser;
  beforeAll(async () => {
    app = await startE2eApp({ rateLimitPerMinute: 1_000_000 });
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
    kenji = await createUser(app, 'member', { username: 'kenji', displayName: '高橋 健', side: 'JP', agency: 'METI' });
    priya = await createUser(app, 'member', { username: 'priya', displayName: 'Priya Raman', side: 'US', agency: 'DOE' });
    liaison = await createUser(app, 'liaison', { username: 'aya', displayName: 'Aya Nakamura', side: 'JP', agency: 'JOGMEC' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function enter(user: TestUser, path: string): Promise<{ page: Page; close: () => Promise<void> }> {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, user.user.username, user.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.goto(path);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    return { page, close: () => context.close() };
  }
  const focused = (page: Page) => page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);

  it('announces a new alert in the feed while the user goes on typing an alert of their own', async () => {
    // A liaison: posting is their job, the composer is open.
    const { page, close } = await enter(liaison, '/alerts');
    const region = page.getByTestId('feed-announcement');
    expect(await region.getAttribute('aria-live')).toBe('polite');
    expect(await region.getAttribute('role')).toBe('status');
    const before = (await region.textContent()) ?? '';

    const title = page.locator('#alert-title');
    await title.click();
    await page.keyboard.type('Half-written: Ningbo plant');
    const posted = await app.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: lead.cookie }, payload: alertInput({ title: 'JOGMEC reports Dy stock drawdown', severity: 'moderate' }) });
    expect(posted.statusCode).toBe(201);

    await page.getByTestId('alert-feed').getByText('JOGMEC reports Dy stock drawdown').waitFor({ timeout: 10_000 });
    await expect.poll(() => region.textContent()).toBe('New Moderate alert: JOGMEC reports Dy stock drawdown');
    expect(before).not.toContain('JOGMEC');
    // Focus never left the field, and the next keys still go into it.
    expect(await focused(page)).toBe('alert-title');
    await page.keyboard.type(' outage');
    expect(await title.inputValue()).toBe('Half-written: Ningbo plant outage');
    await close();
  });

  it('announces a new entry in the room, in the language it is written in, while the user goes on typing a note', async () => {
    const incident = await openIncident(app, lead, { members: [kenji, priya] });
    const { page, close } = await enter(priya, `/incidents/${incident.id}`);
    const region = page.getByTestId('timeline-announcement');
    expect(await region.getAttribute('aria-live')).toBe('polite');

    const composer = page.getByRole('textbox', { name: 'Write to the room' });
    await composer.click();
    await page.keyboard.type('Drafting the readout');
    const focusBefore = await focused(page);
    const note = await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: kenji.cookie }, payload: { body: '天津港で出荷保留を確認' } });
    expect(note.statusCode).toBe(201);

    await page.getByTestId('timeline').locator('article', { hasText: '天津港で出荷保留を確認' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => region.textContent()).toBe('Note: 高橋 健: 天津港で出荷保留を確認');
    // The Japanese in the English announcement is marked as such.
    expect((await region.locator('[lang="ja"]').allTextContents()).join('')).toBe('高橋 健: 天津港で出荷保留を確認');
    expect(await region.locator(':scope > :not([lang])').count()).toBe(0);
    expect(await focused(page)).toBe(focusBefore);
    await page.keyboard.type(' for METI');
    expect(await composer.inputValue()).toBe('Drafting the readout for METI');

    // A change made by someone else is announced as its timeline line.
    const renamed = await app.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: lead.cookie }, payload: { version: incident.version, severity: 'critical' } });
    expect(renamed.statusCode).toBe(200);
    await expect.poll(() => region.textContent()).toMatch(/^Jordan Hayes .*severity .*Critical/);
    expect(await focused(page)).toBe(focusBefore);
    await close();
  });
});
