import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, createUser, type TestUser } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('administration in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let priya: TestUser;
  beforeAll(async () => {
    app = await startE2eApp();
    browser = await launchBrowser();
    priya = await createUser(app, 'member', { username: 'priya.raman', displayName: 'Priya Raman', side: 'US', agency: 'DOE' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const asAdmin = (method: 'POST' | 'PATCH', url: string, payload: object) => app.app.inject({ method, url: `/api/v1${url}`, headers: { cookie: app.admin }, payload });
  const rows = (page: Page) => page.getByTestId('audit-log').locator('tbody tr');

  it('lets an admin browse the account and token changes: newest first, by type and person, paged, live', async () => {
    // Enough admin events for two pages: tokens of the admin's own.
    for (let i = 1; i <= 52; i++) await asAdmin('POST', '/tokens', { name: `batch script ${i}` });
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'admin', ADMIN_PASSWORD);
    await page.goto('/admin/audit');
    await page.getByRole('heading', { name: 'Account and token changes' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await expect.poll(() => rows(page).count()).toBe(50);
    const seqs = (await rows(page).evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq')))));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(await rows(page).first().textContent()).toContain('Administrator created the API token “batch script 52” of Administrator');
    await page.getByRole('button', { name: 'Load older changes' }).click();
    await expect.poll(() => rows(page).count()).toBeGreaterThan(50);

    // Live: the admin disables Priya elsewhere; the entry comes to the top and is announced.
    await asAdmin('PATCH', `/users/${priya.user.id}`, { disabled: true });
    await rows(page).first().filter({ hasText: 'Administrator changed the account of Priya Raman: disabled it' }).waitFor();
    await page.getByTestId('audit-announcement').filter({ hasText: 'New change: Administrator changed the account of Priya Raman: disabled it' }).waitFor();

    // By person: Priya's account only (created, disabled), whoever did it.
    await page.getByLabel('Person').selectOption({ label: 'Priya Raman (priya.raman)' });
    await expect.poll(async () => (await rows(page).allTextContents()).map((r) => r.replace(/^.*?(Administrator)/, '$1').replace(/#\d+$/, ''))).toEqual([
      'Administrator changed the account of Priya Raman: disabled it',
      'Administrator created the account of Priya Raman (Member, DOE, US)',
    ]);
    // And by type as well: only the change.
    await page.getByLabel('Change', { exact: true }).selectOption({ label: 'Account changed' });
    await expect.poll(() => rows(page).count()).toBe(1);
    // A token change is not an account change: it does not arrive under this filter, the next account change does.
    await asAdmin('POST', '/tokens', { name: 'not shown' });
    await asAdmin('PATCH', `/users/${priya.user.id}`, { disabled: false });
    await rows(page).first().filter({ hasText: 'Priya Raman: enabled it' }).waitFor();
    expect(await rows(page).count()).toBe(2);
    expect(await page.getByTestId('audit-log').textContent()).not.toContain('not shown');

    // In Japanese.
    await page.getByRole('button', { name: '日本語' }).click();
    await rows(page).first().filter({ hasText: 'AdministratorがPriya Ramanのアカウントを変更：有効化' }).waitFor();
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await context.close();
  });

  it('says "no API tokens" about the person whose account is open, not about the admin', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Edit Priya Raman' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Priya Raman has no API tokens.').waitFor();
    expect(await dialog.getByText('You have no API tokens.').count()).toBe(0);
    await context.close();
  });

  it('tells a user whose account is disabled that it is, on the open page and when signing in again', async () => {
    const daniel = await createUser(app, 'liaison', { username: 'daniel.brooks', displayName: 'Daniel Brooks', side: 'US', agency: 'State' });
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'daniel.brooks', daniel.password);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await asAdmin('PATCH', `/users/${daniel.user.id}`, { disabled: true });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByTestId('account-disabled').filter({ hasText: 'Your account has been disabled' }).waitFor();
    expect(await page.getByText('Your session has ended').count()).toBe(0);

    await page.getByLabel('Username').fill('daniel.brooks');
    await page.getByLabel('Password', { exact: true }).fill(daniel.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This account is disabled. Ask an administrator to enable it.' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The username or password is wrong.' }).waitFor();
    await context.close();
  });

  it('takes a new account to choose its password first, then to where it was going', async () => {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('morgan.lee');
    await dialog.getByLabel('Display name').fill('Morgan Lee');
    await dialog.getByLabel('Role').selectOption('staff');
    await dialog.getByLabel('Agency').fill('DOE');
    await dialog.getByLabel('Initial password').fill('given-by-admin');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('row', { name: /Morgan Lee/ }).getByTestId('must-change-password-badge').waitFor();
    await context.close();

    const user = await newUser(browser, app.url);
    await user.page.goto('/incidents');
    await user.page.getByLabel('Username').fill('morgan.lee');
    await user.page.getByLabel('Password', { exact: true }).fill('given-by-admin');
    await user.page.getByRole('button', { name: 'Sign in' }).click();
    await user.page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    expect(new URL(user.page.url()).searchParams.get('next')).toBe('/incidents');
    // Nothing else is reachable meanwhile.
    await user.page.goto('/alerts');
    await user.page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await user.page.getByLabel('Password you were given').fill('given-by-admin');
    await user.page.getByLabel('New password', { exact: true }).fill('morgan-chose-this');
    await user.page.getByLabel('New password again').fill('morgan-chose-that');
    await user.page.getByRole('button', { name: 'Save and continue' }).click();
    await user.page.getByText('The two new passwords differ.').waitFor();
    await user.page.getByLabel('New password again').fill('morgan-chose-this');
    await user.page.getByRole('button', { name: 'Save and continue' }).click();
    await user.page.getByRole('heading', { name: 'Supply alerts' }).waitFor();
    await user.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const stored = await app.app.lodestone.users.rowByUsername('morgan.lee');
    expect(stored?.mustChangePassword).toBe(false);
    await user.context.close();
  });
});
