import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ADMIN_PASSWORD } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('client shell in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  beforeAll(async () => {
    app = await startE2eApp();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('admin creates a user and signs out; the user signs in, switches to Japanese and goes live', async () => {
    const { context, page } = await newUser(browser, app.url);
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });

    await signInThroughPage(page, 'admin', ADMIN_PASSWORD);
    await expect.poll(() => page.url()).toContain('/admin/users');
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('kenji.tanaka');
    await dialog.getByLabel('Display name').fill('田中 健二');
    await dialog.getByLabel('Role').selectOption('member');
    await dialog.getByLabel('Agency').fill('METI');
    await dialog.getByLabel('Side').selectOption('JP');
    await dialog.getByLabel('Initial password').fill('meti-member-pw');
    // A new account chooses its own password at first sign-in unless the admin says otherwise.
    expect(await dialog.getByLabel('Must choose a new password at first sign-in').isChecked()).toBe(true);
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await page.getByRole('cell', { name: '田中 健二', exact: true }).waitFor();

    await page.getByRole('banner').locator('button[aria-haspopup="menu"]').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // The new account's language is Japanese (its side); switch to English first to see the switch work.
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await signInThroughPage(page, 'kenji.tanaka', 'meti-member-pw');
    await page.getByRole('heading', { name: 'パスワードの設定' }).waitFor();
    await page.getByLabel('受け取ったパスワード').fill('meti-member-pw');
    await page.getByLabel('新しいパスワード', { exact: true }).fill('kenji-own-password');
    await page.getByLabel('新しいパスワード（確認）').fill('kenji-own-password');
    await page.getByRole('button', { name: '保存して続ける' }).click();
    await page.getByRole('navigation').first().waitFor();
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.getByRole('button', { name: '日本語' }).click();
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('ja');
    const indicator = page.getByRole('status').filter({ hasText: 'ライブ' });
    await indicator.waitFor();
    expect(await page.getByRole('heading', { name: '供給アラート' }).isVisible()).toBe(true);
    expect(await page.getByRole('navigation', { name: 'メインナビゲーション' }).getByRole('link', { name: 'アラート' }).isVisible()).toBe(true);
    expect(await page.getByText('東京').first().isVisible()).toBe(true);
    expect(cspViolations).toEqual([]);

    // The choice is kept on the account.
    const profile = await app.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: app.admin } });
    expect(profile.json().find((u: { username: string }) => u.username === 'kenji.tanaka').locale).toBe('ja');
    await context.close();
  });

  it('shows the indicator reconnecting while the server is unreachable and live again after', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await context.setOffline(true);
    await page.getByRole('status').filter({ hasText: /Offline|Reconnecting/ }).waitFor();
    await context.setOffline(false);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await context.close();
  });

  it('sends a signed-out visitor to the sign-in page and back to where they were going', async () => {
    const { context, page } = await newUser(browser, app.url);
    await page.goto('/admin/audit');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/admin/audit');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Audit chain' }).waitFor();
    await page.getByRole('button', { name: 'Verify now' }).click();
    await page.getByText('The chain verifies').waitFor();
    await context.close();
  });
});
