import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { TIME_ZONES, type Incident } from '@lodestone/shared';
import en from '../../client/src/i18n/en.ts';
import { ADMIN_PASSWORD, signIn } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { demoIncident, startE2eApp } from '../helpers/e2e-app.ts';
import { DEMO_PASSWORD } from '../../server/src/demo/demo.ts';

/**
 * Every page of the demo, as each role that can open it, in English and in Japanese: what a
 * person reads never contains a raw message key or a bare id, and every date from another year
 * says which year.
 */

/** A message key left untranslated: "statuses.open", "room.entry.fromTo". */
const RAW_KEY = new RegExp(`\\b(?:${Object.keys(en).join('|')})\\.[A-Za-z_]+\\b`);
/** An id shown instead of a name: a ULID (whole or cut short) or a UUID. */
const BARE_ID = /\b(?=[0-9A-Z]*\d)(?=[0-9A-Z]*[A-Z])[0-9A-Z]{16,}\b|\b01[0-9A-Z]{6,}…|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/;

const yearIn = (date: Date, timeZone: string) => new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(date);

interface Visit {
  path: string;
  /** What shows the page has its data. */
  ready: string;
}

describe.runIf(runBrowserTests)('every page of the demo, every role, both languages', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let incident: Incident;
  beforeAll(async () => {
    app = await startE2eApp({ demo: true, rateLimitPerMinute: 1_000_000 });
    browser = await launchBrowser();
    const lead = await signIn(app.app, 'doe.lead', DEMO_PASSWORD);
    incident = await demoIncident(app, lead);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const room = () => `/incidents/${incident.id}`;
  const pagesOf = (role: string): Visit[] => {
    if (role === 'admin')
      return [
        { path: '/admin/users', ready: '[data-testid="users-table"] tbody tr' },
        { path: '/admin/audit', ready: 'h1' },
        { path: '/profile', ready: 'h1' },
      ];
    const visits: Visit[] = [
      { path: '/alerts', ready: '[data-testid="alert-feed"] article' },
      { path: '/incidents', ready: `a[href="${room()}"]` },
      { path: room(), ready: '[data-testid="timeline"] article' },
      { path: `${room()}?tab=actions`, ready: '[data-testid="action-board"] [data-action-id]' },
      { path: '/actions', ready: 'h1' },
      { path: '/profile', ready: 'h1' },
    ];
    if (role !== 'liaison') visits.push({ path: `${room()}/after-action`, ready: '[data-testid="chain-status"]' });
    return visits;
  };

  /** Reads a page as a person would once it has loaded: its visible text and its dates. */
  async function read(page: Page, visit: Visit) {
    await page.goto(visit.path);
    await page.locator(visit.ready).first().waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => !/Loading…|読み込み中/.test(document.body.innerText));
    return page.evaluate(() => ({
      text: document.body.innerText,
      times: Array.from(document.querySelectorAll('time.time-both[datetime]')).map((el) => ({
        at: el.getAttribute('datetime') ?? '',
        parts: Array.from(el.querySelectorAll(':scope > span:not(.sep)')).map((s) => s.textContent ?? ''),
      })),
    }));
  }

  const cast = [
    { username: 'doe.lead', role: 'lead' },
    { username: 'meti.member', role: 'member' },
    { username: 'jogmec.liaison', role: 'liaison' },
    { username: 'doe.staff', role: 'staff' },
    { username: 'admin', role: 'admin' },
  ];

  for (const { username, role } of cast) {
    it(`shows ${username} (${role}) no raw key, no bare id, and the year of every date from another year`, async () => {
      const { context, page } = await newUser(browser, app.url);
      await signInThroughPage(page, username, username === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD);
      const now = new Date();
      const problems: string[] = [];
      let datesOfOtherYears = 0;
      for (const language of ['EN', '日本語']) {
        await page.getByRole('button', { name: language, exact: true }).click();
        await page.waitForFunction((lang) => document.documentElement.lang === lang, language === 'EN' ? 'en' : 'ja');
        for (const visit of pagesOf(role)) {
          const { text, times } = await read(page, visit);
          const where = `${language} ${visit.path}`;
          const key = RAW_KEY.exec(text);
          if (key) problems.push(`${where}: raw key "${key[0]}"`);
          const id = BARE_ID.exec(text);
          if (id) problems.push(`${where}: bare id "${id[0]}"`);
          for (const { at, parts } of times) {
            const date = new Date(at);
            [TIME_ZONES.washington, TIME_ZONES.tokyo].forEach((zone, i) => {
              const year = yearIn(date, zone);
              if (year === yearIn(now, zone)) return;
              datesOfOtherYears++;
              if (!parts[i]?.includes(year)) problems.push(`${where}: "${parts[i]}" (${at}) does not say ${year}`);
            });
          }
        }
      }
      expect(problems).toEqual([]);
      // The demo's history is in past years: the year check above had dates to look at.
      if (role !== 'admin') expect(datesOfOtherYears).toBeGreaterThan(0);
      await context.close();
    });
  }
});
