import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Alert } from '@lodestone/shared';
import { createUser, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('unsent drafts in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let kenji: TestUser;
  let priya: TestUser;
  beforeAll(async () => {
    app = await startE2eApp({ rateLimitPerMinute: 1_000_000 });
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
    kenji = await createUser(app, 'member', { username: 'kenji', displayName: 'Kenji Takahashi', side: 'JP', agency: 'METI' });
    priya = await createUser(app, 'member', { username: 'priya', displayName: 'Priya Raman', side: 'US', agency: 'DOE' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const composer = (page: Page) => page.getByRole('textbox', { name: 'Write to the room' });
  async function signOut(page: Page) {
    await page.getByRole('banner').locator('button[aria-haspopup="menu"]').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL((url) => url.pathname.startsWith('/sign-in'));
  }
  async function signInTo(page: Page, user: TestUser, path: string) {
    await signInThroughPage(page, user.user.username, user.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.goto(path);
  }

  it('keeps a half-written note across Back, a reload and sign-out/in, hides it from another user, and clears it on send', async () => {
    const incident = await openIncident(app, lead, { members: [kenji, priya] });
    const room = `/incidents/${incident.id}`;
    const { context, page } = await newUser(browser, app.url);
    await signInTo(page, kenji, room);
    const draft = 'Tianjin port: Dy oxide held since Monday,\nawaiting licence numbers';
    await composer(page).fill(draft);

    // Away and back.
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Supply alerts' }).waitFor();
    await page.goBack();
    await expect.poll(() => composer(page).inputValue()).toBe(draft);
    expect(await page.getByTestId('draft-restored').isVisible()).toBe(true);

    // A reload.
    await page.reload();
    await expect.poll(() => composer(page).inputValue()).toBe(draft);

    // The session ends and Kenji signs in again.
    await signOut(page);
    await signInTo(page, kenji, room);
    await expect.poll(() => composer(page).inputValue()).toBe(draft);

    // Priya, on the same browser, sees her own empty composer in the same room.
    await signOut(page);
    await signInTo(page, priya, room);
    await page.getByTestId('timeline').waitFor();
    expect(await composer(page).inputValue()).toBe('');
    expect(await page.getByTestId('draft-restored').count()).toBe(0);

    // Kenji again: he sends it, and it is gone from the device.
    await signOut(page);
    await signInTo(page, kenji, room);
    await expect.poll(() => composer(page).inputValue()).toBe(draft);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('timeline').locator('article', { hasText: 'awaiting licence numbers' }).waitFor();
    expect(await composer(page).inputValue()).toBe('');
    await page.reload();
    await page.getByTestId('timeline').locator('article', { hasText: 'awaiting licence numbers' }).waitFor();
    expect(await composer(page).inputValue()).toBe('');
    await context.close();
  });

  it('keeps a half-written alert across sign-out/in and opens the composer on it; posting clears it', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInTo(page, lead, '/alerts');
    // A lead's composer starts closed: open it and write.
    await page.getByRole('button', { name: 'Post an alert' }).click();
    const form = page.getByRole('form', { name: 'Post an alert' });
    await form.getByRole('combobox', { name: 'Mineral' }).fill('Gallium');
    await page.getByRole('option', { name: 'Gallium ガリウム', exact: true }).click();
    await form.getByLabel('Headline').fill('Gallium export permits paused');
    await form.getByLabel(/^Details/).fill('Two exporters told to stop shipping.');

    await signOut(page);
    await signInTo(page, lead, '/alerts');
    await expect.poll(() => form.getByLabel('Headline').inputValue()).toBe('Gallium export permits paused');
    expect(await form.getByLabel(/^Details/).inputValue()).toBe('Two exporters told to stop shipping.');

    expect(await form.getByRole('combobox', { name: 'Mineral' }).inputValue()).toContain('Gallium');
    await page.getByRole('button', { name: 'Post alert' }).click();
    await page.locator('article', { hasText: 'Gallium export permits paused' }).waitFor();
    const stored = (await app.app.inject({ method: 'GET', url: '/api/v1/alerts?limit=1000', headers: { cookie: lead.cookie } })).json() as Alert[];
    expect(stored.filter((a) => a.title === 'Gallium export permits paused')).toHaveLength(1);
    await page.reload();
    await page.locator('article', { hasText: 'Gallium export permits paused' }).waitFor();
    // No draft left: the composer of a lead starts closed again.
    expect(await page.getByRole('form', { name: 'Post an alert' }).count()).toBe(0);
    await context.close();
  });
});
