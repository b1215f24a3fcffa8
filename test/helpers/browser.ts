import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Chromium from CHROMIUM_PATH or Debian's package. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumFound = existsSync(chromiumPath);
const ci = process.env.CI === 'true';

/**
 * Browser tests run when Chromium is there. Without it they do not run and say so loudly,
 * except under CI=true, where they run anyway and fail on the missing browser.
 */
export const runBrowserTests = chromiumFound || ci;
if (!chromiumFound) {
  const line = '!'.repeat(78);
  console.error(
    `\n${line}\n! Chromium not found at ${chromiumPath}: browser tests ${ci ? 'will FAIL (CI=true)' : 'are NOT RUN'}.\n` +
      `! Install it (apt-get install -y chromium) or set CHROMIUM_PATH.\n${line}\n`,
  );
}

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumFound) throw new Error(`Chromium is required for browser tests under CI=true but is missing at ${chromiumPath}`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A fresh browser profile (its own cookies) pointed at the app. */
export async function newUser(browser: Browser, baseURL: string, locale = 'en-US'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, locale, timezoneId: 'America/New_York' });
  const page = await context.newPage();
  return { context, page };
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'lodestone-e2e-'));
}

/** Signs in through the sign-in page and waits for the app shell (or the page where a new account chooses its password). */
export async function signInThroughPage(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel(/Username|ユーザー名/).fill(username);
  await page.getByLabel(/^(Password|パスワード)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|サインイン)$/ }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  await page.getByRole('banner').or(page.locator('#choose-password-title')).first().waitFor();
}
