import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Incident } from '@lodestone/shared';
import { signIn } from '../helpers/app.ts';
import { launchBrowser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { demoIncident, startE2eApp } from '../helpers/e2e-app.ts';
import { DEMO_PASSWORD } from '../../server/src/demo/demo.ts';

describe.runIf(runBrowserTests)('layout on a laptop and on a phone, in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let incident: Incident;
  beforeAll(async () => {
    app = await startE2eApp({ demo: true });
    browser = await launchBrowser();
    const lead = await signIn(app.app, 'doe.lead', DEMO_PASSWORD);
    incident = await demoIncident(app, lead);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('fits the improvement plan of the record in a 1366 px window', async () => {
    const context = await browser.newContext({ baseURL: app.url, viewport: { width: 1366, height: 768 }, timezoneId: 'America/New_York' });
    const page = await context.newPage();
    await signInThroughPage(page, 'doe.lead', DEMO_PASSWORD);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.goto(`/incidents/${incident.id}/after-action`);
    const plan = page.getByRole('region', { name: 'Improvement plan' });
    await plan.locator('tbody tr').first().waitFor();
    const { scrollWidth, clientWidth } = await plan.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    await context.close();
  });

  it('keeps the phone header to one row with a menu, and lets Enter break the line of a note on a touch screen', async () => {
    const context = await browser.newContext({ baseURL: app.url, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: 'Asia/Tokyo' });
    const page = await context.newPage();
    await signInThroughPage(page, 'meti.member', DEMO_PASSWORD);
    await page.goto(`/incidents/${incident.id}`);
    const composer = page.locator('#room-message');
    await composer.waitFor();
    const header = page.getByRole('banner');
    expect(await header.evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(60);
    // Everything else is one tap away.
    const nav = page.getByRole('navigation');
    expect(await nav.isVisible()).toBe(false);
    await page.getByTestId('header-menu').click();
    await nav.getByRole('link').first().waitFor();
    await page.keyboard.press('Escape');
    await nav.waitFor({ state: 'hidden' });

    await composer.fill('天津港で出荷保留');
    await composer.press('Enter');
    await composer.pressSequentially('JOGMEC在庫を確認中');
    expect(await composer.inputValue()).toBe('天津港で出荷保留\nJOGMEC在庫を確認中');
    await page.locator('form.composer button.send').click();
    await page.getByTestId('timeline').locator('article', { hasText: 'JOGMEC在庫を確認中' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await context.close();
  });
});
