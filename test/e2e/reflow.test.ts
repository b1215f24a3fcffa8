import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Incident } from '@lodestone/shared';
import { ADMIN_PASSWORD, signIn } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { demoIncident, startE2eApp } from '../helpers/e2e-app.ts';
import { axeViolations } from '../helpers/a11y.ts';
import { DEMO_PASSWORD } from '../../server/src/demo/demo.ts';

/**
 * Zoom and reflow (WCAG 1.4.4, 1.4.10): at 640 CSS px wide (a 1280 px window at 200 %) and at
 * 320 CSS px (at 400 %), the main pages of the demo never scroll sideways and cut nothing off.
 * Content that is two-dimensional by nature (the action board, wide tables) may scroll inside
 * its own box, which must then be reachable by keyboard: axe runs at these widths too.
 */

interface Visit {
  path: string;
  ready: string;
}

/** What does not fit: the page scrolls sideways, or an element sticks out of the window or is clipped by its own box. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width + 1) found.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
    const name = (el: Element) => `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${Array.from(el.classList).join('.')}` : ''}> "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    /** Inside a box that scrolls sideways (reachable by scrolling that box), or inside text hidden for screen readers (1 px, clipped). */
    const exempt = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (style.overflowX === 'auto' || style.overflowX === 'scroll' || style.clip !== 'auto') return true;
      }
      return false;
    };
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (!el.checkVisibility()) continue;
      const box = el.getBoundingClientRect();
      // Visually hidden text (1 px, clipped) is meant for screen readers only.
      if (box.width <= 1 || box.height <= 1) continue;
      if (exempt(el)) continue;
      // Placed wholly off screen until focused, like the skip link: not content cut off.
      const style = getComputedStyle(el);
      if (box.right <= 0 && (style.position === 'absolute' || style.position === 'fixed')) continue;
      if (box.right > width + 1 || box.left < -1) found.push(`${name(el)} spans ${Math.round(box.left)}–${Math.round(box.right)}px`);
      if ((style.overflowX === 'hidden' || style.overflowX === 'clip') && el.scrollWidth > el.clientWidth + 1 && style.textOverflow !== 'ellipsis') found.push(`${name(el)} clips ${el.scrollWidth - el.clientWidth}px of its content`);
    }
    return [...new Set(found)].slice(0, 10);
  });

describe.runIf(runBrowserTests)('zoom and reflow: 640 and 320 CSS px wide', () => {
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
  const leadPages = (): Visit[] => [
    { path: '/alerts', ready: '[data-testid="alert-feed"] article' },
    { path: '/incidents', ready: `a[href="${room()}"]` },
    { path: room(), ready: '[data-testid="timeline"] article' },
    { path: `${room()}?tab=actions`, ready: '[data-testid="action-board"] [data-action-id]' },
    { path: `${room()}/after-action`, ready: '[data-testid="chain-status"]' },
    { path: '/actions', ready: 'h1' },
    { path: '/profile', ready: 'h1' },
  ];
  const adminPages: Visit[] = [
    { path: '/admin/users', ready: '[data-testid="users-table"] tbody tr' },
    { path: '/admin/audit', ready: 'h1' },
  ];

  async function walk(username: string, password: string, visits: Visit[], languages: ('EN' | '日本語')[]) {
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, username, password);
    const problems: string[] = [];
    for (const language of languages) {
      // The switch is in the header's row at full width.
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.getByRole('button', { name: language, exact: true }).click();
      await page.waitForFunction((lang) => document.documentElement.lang === lang, language === 'EN' ? 'en' : 'ja');
      for (const width of [640, 320]) {
        await page.setViewportSize({ width, height: width === 640 ? 400 : 256 });
        for (const visit of visits) {
          await page.goto(visit.path);
          await page.locator(visit.ready).first().waitFor({ timeout: 20_000 });
          await page.waitForFunction(() => !/Loading…|読み込み中/.test(document.body.innerText));
          const where = `${language} ${width}px ${visit.path}`;
          for (const line of await overflow(page)) problems.push(`${where}: ${line}`);
          for (const v of await axeViolations(page)) problems.push(`${where}: ${v.id} ${v.help} ${v.nodes.join(' | ')}`);
        }
      }
    }
    await context.close();
    return problems;
  }

  it('shows a lead every page without sideways scrolling or anything cut off, in English and Japanese', async () => {
    expect(await walk('doe.lead', DEMO_PASSWORD, leadPages(), ['EN', '日本語'])).toEqual([]);
  });

  it('shows the admin pages without sideways scrolling or anything cut off', async () => {
    expect(await walk('admin', ADMIN_PASSWORD, adminPages, ['EN', '日本語'])).toEqual([]);
  });
});
