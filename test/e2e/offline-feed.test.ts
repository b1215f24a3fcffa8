import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { alertInput, createUser, type TestUser } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('the alert feed without a network, in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let liaison: TestUser;
  let lead: TestUser;
  beforeAll(async () => {
    app = await startE2eApp();
    browser = await launchBrowser();
    liaison = await createUser(app, 'liaison', { username: 'aya', displayName: 'Aya Nakamura', side: 'JP', agency: 'JOGMEC' });
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
  });
  afterEach(() => app.network.restore());
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const post = async (title: string) => {
    const res = await app.app.inject({ method: 'POST', url: '/api/v1/alerts', headers: { cookie: liaison.cookie }, payload: alertInput({ title }) });
    expect(res.statusCode).toBe(201);
  };

  it('shows the last alerts seen after a reload without a network, marked as not live, and the live feed once the server answers', async () => {
    await post('Tb oxide licences delayed at Baotou');
    await post('Ga exporters told to hold shipments');
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'jordan', lead.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    const feed = page.getByTestId('alert-feed');
    await feed.locator('article', { hasText: 'Ga exporters told to hold shipments' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 10_000 });
    // The feed is kept on the device once it settles.
    await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('lodestone.alerts.feed.') && (localStorage.getItem(k) ?? '').includes('Ga exporters')));

    app.network.cut();
    await context.setOffline(true);
    await page.reload();
    const stale = page.getByTestId('stale-feed');
    await stale.waitFor();
    expect(await stale.textContent()).toMatch(/Shown as of .*\d\d:\d\d — not live\./);
    await feed.locator('article', { hasText: 'Tb oxide licences delayed at Baotou' }).waitFor();
    expect(await feed.locator('article', { hasText: 'Ga exporters told to hold shipments' }).count()).toBe(1);
    expect(await page.getByText('The server could not be reached').count()).toBe(0);

    // Posted while this browser is cut off: it arrives with the live feed, and the mark goes.
    await post('Nd magnet plant outage in Ningbo');
    app.network.restore();
    await context.setOffline(false);
    await feed.locator('article', { hasText: 'Nd magnet plant outage in Ningbo' }).waitFor({ timeout: 20_000 });
    await stale.waitFor({ state: 'detached' });

    // Signing out forgets the copy kept on the device.
    await page.getByRole('banner').locator('button[aria-haspopup="menu"]').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL((url) => url.pathname.startsWith('/sign-in'));
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('lodestone.alerts.feed.')))).toEqual([]);
    await context.close();
  });
});
