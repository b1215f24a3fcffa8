import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { copyDatabase } from '../../server/src/cli/db-copy.ts';
import { DEMO_PASSWORD } from '../../server/src/demo/demo.ts';
import { TEST_SECRET, buildTestApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp, type E2eApp } from '../helpers/e2e-app.ts';
import { freshPostgresDatabase, runPostgresTests, type TestDatabase } from '../helpers/postgres.ts';

/** Issue 15: `db:copy` of the demo database into PostgreSQL, and the copy served to a browser. */
describe.runIf(runBrowserTests && runPostgresTests)('the demo moved up to PostgreSQL with db:copy, in Chromium', () => {
  let source: TestApp;
  let target: TestDatabase;
  let app: E2eApp;
  let browser: Browser;
  beforeAll(async () => {
    source = await buildTestApp({ demo: true });
    await source.app.close();
    target = await freshPostgresDatabase();
    const report = await copyDatabase({ from: `file:${source.dbPath}`, to: target.url });
    expect(report, report.error).toMatchObject({ ok: true });
    expect(report.events).toBeGreaterThan(50);
    app = await startE2eApp({ databaseUrl: target.url, secret: TEST_SECRET });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await target?.drop();
    await source?.close();
  });

  it('serves the copied demo: the lead signs in with the demo password, opens RRG-2025-001 and reads its latest entries; the chain verifies', async () => {
    expect(app.app.lodestone.store.dialect).toBe('postgres');
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'doe.lead', DEMO_PASSWORD);
    await page.goto('/incidents');
    await page.getByRole('link', { name: /RRG-2025-001/ }).first().click();
    await page.getByRole('heading', { name: /MOFCOM No\. 18: export licensing of seven medium and heavy rare earths/ }).first().waitFor();
    // The room opens at its newest entries: the licences granted on 12 May 2025.
    await page.getByText('MOFCOM has granted the first licences to some exporters').first().waitFor();
    const audit = await app.app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: { cookie: app.admin } });
    expect(audit.json()).toMatchObject({ ok: true });
    expect(audit.json().events).toBeGreaterThan(50);
    await context.close();
  });
});
