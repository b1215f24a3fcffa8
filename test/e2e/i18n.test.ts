import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_PASSWORD, createUser, type TestUser } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

/** The Japanese messages' chunk of the built client. */
const JA_CHUNK = /\/assets\/ja-[\w-]+\.js$/;

describe.runIf(runBrowserTests)('English and Japanese in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let usMember: TestUser;
  let jpMember: TestUser;
  beforeAll(async () => {
    app = await startE2eApp();
    browser = await launchBrowser();
    usMember = await createUser(app, 'member', { username: 'priya.raman', side: 'US', agency: 'DOE' });
    jpMember = await createUser(app, 'member', { username: 'ken.takahashi', side: 'JP', agency: 'METI' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Collects the CSP violations the page reports, and every URL it requests. */
  function watch(page: Page) {
    const seen = { csp: [] as string[], requests: [] as string[] };
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) seen.csp.push(m.text());
    });
    page.on('request', (r) => seen.requests.push(r.url()));
    return seen;
  }
  async function goOffline(context: BrowserContext) {
    app.network.cut();
    await context.setOffline(true);
  }
  async function goOnline(context: BrowserContext) {
    app.network.restore();
    await context.setOffline(false);
  }
  const serviceWorkerControls = (page: Page) => page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });

  it('fetches Japanese only when it is chosen; without a network the service worker has it', async () => {
    const { context, page } = await newUser(browser, app.url);
    const seen = watch(page);
    await signInThroughPage(page, 'priya.raman', usMember.password);
    await page.getByRole('heading', { name: 'Supply alerts' }).waitFor();
    await serviceWorkerControls(page);
    expect(seen.requests.filter((url) => JA_CHUNK.test(url))).toEqual([]);

    // The page has never asked for the chunk; only the service worker's install can have kept it.
    await goOffline(context);
    await page.getByRole('button', { name: '日本語' }).click();
    await page.getByRole('heading', { name: '供給アラート' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(seen.requests.filter((url) => JA_CHUNK.test(url))).toHaveLength(1);
    expect(seen.csp).toEqual([]);
    await goOnline(context);
    await context.close();
  });

  it('reloads in Japanese without a network', async () => {
    const { context, page } = await newUser(browser, app.url);
    const seen = watch(page);
    await signInThroughPage(page, 'ken.takahashi', jpMember.password);
    await page.getByRole('heading', { name: '供給アラート' }).waitFor();
    await serviceWorkerControls(page);

    await goOffline(context);
    await page.reload();
    await page.getByRole('heading', { name: '供給アラート' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'メインナビゲーション' }).getByRole('link', { name: 'アラート' }).isVisible()).toBe(true);
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(seen.csp).toEqual([]);
    await goOnline(context);
    await context.close();
  });

  it('opens in Japanese for a browser in Japanese, from the first page', async () => {
    const { context, page } = await newUser(browser, app.url, 'ja-JP');
    const seen = watch(page);
    await page.goto('/sign-in');
    await page.getByRole('heading', { name: 'サインイン' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(seen.csp).toEqual([]);
    await context.close();
  });

  it('shows the server’s refusal of a field in Japanese', async () => {
    const { context, page } = await newUser(browser, app.url, 'ja-JP');
    await signInThroughPage(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: '日本語' }).click();
    await page.getByRole('button', { name: '新規ユーザー' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('ユーザー名').fill('priya.raman');
    await dialog.getByLabel('表示名').fill('Priya Raman');
    await dialog.getByLabel('所属機関').fill('DOE');
    await dialog.getByLabel('初期パスワード').fill('long-enough-pw');
    await dialog.getByRole('button', { name: '作成' }).click();
    await dialog.getByText('このユーザー名はすでに使われています。').first().waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('次の点を確認してください');
    expect(await dialog.getByText('is taken').count()).toBe(0);
    await context.close();
  });
});
