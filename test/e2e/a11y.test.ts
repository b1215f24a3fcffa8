import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Roles, type Action, type Incident, type Role, type User } from '@lodestone/shared';
import en from '../../client/src/i18n/en.ts';
import ja from '../../client/src/i18n/ja.ts';
import { ADMIN_PASSWORD, signIn } from '../helpers/app.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { demoIncident, startE2eApp } from '../helpers/e2e-app.ts';
import { axeViolations, dialogComponents, routesOfRouter } from '../helpers/a11y.ts';
import { DEMO_PASSWORD } from '../../server/src/demo/demo.ts';

/**
 * Section 508 (WCAG 2.1 AA), as far as a machine can tell: axe-core's wcag2a/wcag2aa/wcag21a/
 * wcag21aa rules on every page of the router, as each role that can open it, in English and in
 * Japanese, and again with each dialog open. Zero violations. The list of pages comes from
 * client/src/router.ts and the list of dialogs from the components: a page or a dialog added
 * without a visit here fails the coverage check at the end.
 */

type Language = 'en' | 'ja';
type Opener = Role | 'anonymous';
const LANGUAGES: Language[] = ['en', 'ja'];
const catalogues = { en, ja } as const;

/** The text of a message, in a language (labels of buttons to press). */
function msg(language: Language, key: string): string {
  let node: unknown = catalogues[language];
  for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'string') throw new Error(`no message ${key}`);
  return node;
}

interface Visit {
  path: string;
  /** What shows the page has its data. */
  ready: string;
}

interface DialogOpener {
  page: string;
  /** Opens the dialog; false when the control is not there for this role. */
  open: (page: Page, language: Language) => Promise<boolean>;
}

describe.runIf(runBrowserTests)('accessibility: axe-core WCAG 2.1 AA on every page, role, language and dialog', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let incident: Incident;
  let leadCookie: string;
  let item: Action;
  const problems: string[] = [];
  /** `route|opener|language` of every page checked, `dialog|opener|language` of every dialog. */
  const visited = new Set<string>();
  const dialogsVisited = new Set<string>();
  /** How many times axe ran: on a page, and on a page with a dialog open. */
  const checks = { pages: 0, dialogs: 0 };

  beforeAll(async () => {
    app = await startE2eApp({ demo: true, rateLimitPerMinute: 1_000_000 });
    browser = await launchBrowser();
    leadCookie = await signIn(app.app, 'doe.lead', DEMO_PASSWORD);
    incident = await demoIncident(app, leadCookie);
    // An item of our own to edit into a conflict (the demo's items are due in the past, which an edit must fix first).
    const created = await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/actions`, headers: { cookie: leadCookie }, payload: { title: 'Check the board with a screen reader', priority: 'p3' } });
    expect(created.statusCode).toBe(201);
    item = created.json() as Action;
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const room = () => `/incidents/${incident.id}`;
  const visitsOf = (route: string): Visit[] => {
    switch (route) {
      case 'sign-in':
        return [{ path: '/sign-in', ready: 'form' }];
      case 'choose-password':
        return [{ path: '/choose-password', ready: '#choose-password-title' }];
      case 'alerts':
        return [{ path: '/alerts', ready: '[data-testid="alert-feed"] article' }];
      case 'incidents':
        return [{ path: '/incidents', ready: `a[href="${room()}"]` }];
      case 'incident':
        return [
          { path: room(), ready: '[data-testid="timeline"] article' },
          { path: `${room()}?tab=actions`, ready: '[data-testid="action-board"] [data-action-id]' },
        ];
      case 'after-action':
        return [{ path: `${room()}/after-action`, ready: '[data-testid="chain-status"]' }];
      case 'my-actions':
        return [{ path: '/actions', ready: 'h1' }];
      case 'profile':
        return [{ path: '/profile', ready: 'h1' }];
      case 'admin-users':
        return [{ path: '/admin/users', ready: '[data-testid="users-table"] tbody tr' }];
      case 'admin-audit':
        return [{ path: '/admin/audit', ready: 'h1' }];
      case 'not-found':
        return [{ path: '/no-such-page', ready: 'h1' }];
      default:
        return [];
    }
  };

  const clickButton = (key: string) => async (page: Page, language: Language) => {
    const button = page.getByRole('button', { name: msg(language, key), exact: true }).first();
    if ((await button.count()) === 0 || !(await button.isEnabled())) return false;
    await button.click();
    return true;
  };
  const dialogOpeners: Record<string, DialogOpener> = {
    EscalateDialog: { page: '/alerts', open: clickButton('alerts.escalate') },
    DismissDialog: { page: '/alerts', open: clickButton('alerts.dismiss') },
    IncidentCreateDialog: { page: '/incidents', open: clickButton('incidents.create') },
    EditDetailsDialog: {
      page: 'room',
      open: async (page) => {
        const button = page.locator('.room-header button.edit');
        if ((await button.count()) === 0) return false;
        await button.click();
        return true;
      },
    },
    CloseIncidentDialog: {
      page: 'room',
      open: async (page) => {
        const status = page.locator('#room-status');
        if (!(await status.isEnabled()) || (await status.locator('option[value="closed"]').count()) === 0) return false;
        await status.selectOption('closed');
        return true;
      },
    },
    // A save refused because someone else saved the item first.
    ConflictDialog: {
      page: 'board',
      open: async (page) => {
        const editing = page.locator(`[data-testid="action-board"] [data-action-id="${item.id}"]`);
        const edit = editing.locator('.card-actions button');
        if ((await edit.count()) === 0) return false;
        const id = item.id;
        await edit.click();
        // A change of one's own, to save on top of a version that is no longer the current one.
        const priority = editing.locator(`[id="act-${id}-priority"]`);
        await priority.selectOption((await priority.inputValue()) === 'p1' ? 'p2' : 'p1');
        const current = (await app.app.inject({ method: 'GET', url: `/api/v1/actions/${id}`, headers: { cookie: leadCookie } })).json() as Action;
        const theirs = await app.app.inject({ method: 'PATCH', url: `/api/v1/actions/${id}`, headers: { cookie: leadCookie }, payload: { version: current.version, agency: current.agency === 'JBIC' ? 'NEXI' : 'JBIC' } });
        expect(theirs.statusCode).toBe(200);
        await editing.getByTestId('editor-moved').waitFor({ timeout: 10_000 });
        await editing.locator('form.editor button[type="submit"]').click();
        return true;
      },
    },
    UserDialog: {
      page: '/admin/users',
      open: async (page) => {
        await page.locator('[data-testid="users-table"] tbody tr button').first().click();
        return true;
      },
    },
  };

  /** Waits until nothing moves: axe measures colours, which a fading dialog would get wrong. */
  const settled = (page: Page) => page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));

  async function check(page: Page, where: string) {
    await settled(page);
    for (const v of await axeViolations(page)) problems.push(`${where}: ${v.id} (${v.impact}) ${v.help}\n    ${v.nodes.join('\n    ')}`);
  }

  /**
   * Text in the other language than the page's, without a `lang` saying so (WCAG 3.1.2): any
   * Japanese on an English page; on a Japanese page, Latin-only text of two words or more
   * (a name, a title, a note), since codes and symbols alone are read the same either way.
   */
  const unmarkedLanguage = (page: Page, language: Language) =>
    page.evaluate((pageLang) => {
      const japanese = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;
      const latinWords = /\p{Script=Latin}{2,}[\s,.'’-]+\p{Script=Latin}{2,}/u;
      const found: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = (node.textContent ?? '').trim();
        const element = node.parentElement;
        if (!text || !element || element.closest('script, style, [aria-hidden="true"]')) continue;
        if (!element.checkVisibility() && !element.closest('.visually-hidden, option')) continue;
        const declared = element.closest('[lang]')?.getAttribute('lang');
        if (pageLang === 'en' && japanese.test(text) && declared !== 'ja') found.push(text);
        if (pageLang === 'ja' && !japanese.test(text) && latinWords.test(text) && declared !== 'en') found.push(text);
      }
      return [...new Set(found)].slice(0, 12);
    }, language);

  async function checkPage(page: Page, opener: Opener, language: Language, visit: Visit, theme = 'light') {
    await page.goto(visit.path);
    await page.locator(visit.ready).first().waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => !/Loading…|読み込み中/.test(document.body.innerText));
    await page.waitForFunction((lang) => document.documentElement.lang === lang, language);
    const route = (await page.locator('main#main').getAttribute('data-route')) ?? '?';
    visited.add(`${route}|${opener}|${language}`);
    checks.pages++;
    const where = `${language} ${opener}${theme === 'light' ? '' : ` ${theme}`} ${visit.path}`;
    await check(page, where);
    const unmarked = await unmarkedLanguage(page, language);
    if (unmarked.length > 0) problems.push(`${where}: text in the other language without lang: ${JSON.stringify(unmarked)}`);

    const here = visit.path === room() ? 'room' : visit.path === `${room()}?tab=actions` ? 'board' : visit.path;
    for (const [name, dialog] of Object.entries(dialogOpeners)) {
      if (dialog.page !== here) continue;
      if (!(await dialog.open(page, language))) continue;
      const open = page.locator('[role="dialog"][data-dialog]');
      await open.waitFor({ timeout: 10_000 });
      const kind = await open.getAttribute('data-dialog');
      expect(kind).toBe(name);
      dialogsVisited.add(`${kind}|${opener}|${language}`);
      checks.dialogs++;
      await check(page, `${where} with ${name} open`);
      await page.keyboard.press('Escape');
      await open.waitFor({ state: 'detached' });
      if (here === 'board') await page.reload();
    }
  }

  async function chooseLanguage(page: Page, language: Language) {
    await page.getByRole('button', { name: language === 'en' ? 'EN' : '日本語', exact: true }).click();
    await page.waitForFunction((lang) => document.documentElement.lang === lang, language);
  }

  const pagesOf = (opener: Opener) => routesOfRouter().filter((r) => r.openers.includes(opener) && r.name !== 'choose-password' && (opener === 'anonymous' || r.name !== 'sign-in'));

  it('finds no violation on the pages open to anyone signed out', async () => {
    const { context, page } = await newUser(browser, app.url);
    for (const language of LANGUAGES) {
      await page.goto('/sign-in');
      await chooseLanguage(page, language);
      for (const route of pagesOf('anonymous')) for (const visit of visitsOf(route.name)) await checkPage(page, 'anonymous', language, visit);
    }
    await context.close();
    expect(problems).toEqual([]);
  });

  const cast: { username: string; role: Role }[] = [
    { username: 'doe.lead', role: 'lead' },
    { username: 'meti.member', role: 'member' },
    { username: 'jogmec.liaison', role: 'liaison' },
    { username: 'doe.staff', role: 'staff' },
    { username: 'admin', role: 'admin' },
  ];
  it('has a demo user for every role', () => expect(cast.map((c) => c.role).sort()).toEqual([...Roles].sort()));

  for (const { username, role } of cast) {
    it(`finds no violation on the pages ${username} (${role}) can open, in both languages, with each dialog open`, async () => {
      const before = problems.length;
      const { context, page } = await newUser(browser, app.url);
      await signInThroughPage(page, username, username === 'admin' ? ADMIN_PASSWORD : DEMO_PASSWORD);
      for (const language of LANGUAGES) {
        await chooseLanguage(page, language);
        for (const route of pagesOf(role)) for (const visit of visitsOf(route.name)) await checkPage(page, role, language, visit);
      }
      await context.close();
      expect(problems.slice(before)).toEqual([]);
    });
  }

  // Colours are checked again in the dark theme (the system's choice, or the user's): every page a lead opens, with each dialog.
  it('finds no violation in the dark theme either', async () => {
    const before = problems.length;
    const { context, page } = await newUser(browser, app.url);
    await page.emulateMedia({ colorScheme: 'dark' });
    await signInThroughPage(page, 'doe.lead', DEMO_PASSWORD);
    await chooseLanguage(page, 'en');
    for (const route of pagesOf('lead')) for (const visit of visitsOf(route.name)) await checkPage(page, 'lead', 'en', visit, 'dark');
    await context.close();
    expect(problems.slice(before)).toEqual([]);
  });

  it('finds no violation on the page where a new account of each role chooses its password', async () => {
    const before = problems.length;
    const contexts: BrowserContext[] = [];
    for (const role of Roles) {
      const username = `a11y.${role}`;
      const created = await app.app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: app.admin }, payload: { username, displayName: `New ${role}`, password: 'initial-password-1', role, agency: 'DOE', side: 'US', locale: 'en', mustChangePassword: true } });
      expect(created.statusCode).toBe(201);
      const user = created.json() as User;
      const { context, page } = await newUser(browser, app.url);
      contexts.push(context);
      await signInThroughPage(page, username, 'initial-password-1');
      for (const language of LANGUAGES) {
        const patched = await app.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: { cookie: app.admin }, payload: { locale: language } });
        expect(patched.statusCode).toBe(200);
        for (const visit of visitsOf('choose-password')) await checkPage(page, role, language, visit);
      }
    }
    for (const context of contexts) await context.close();
    expect(problems.slice(before)).toEqual([]);
  });

  it('visited every page of the router as every role that can open it, and every dialog, in both languages', () => {
    const routes = routesOfRouter();
    expect(routes.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const route of routes)
      for (const opener of route.name === 'sign-in' ? (['anonymous'] as Opener[]) : route.openers)
        for (const language of LANGUAGES) if (!visited.has(`${route.name}|${opener}|${language}`)) missing.push(`page ${route.name} as ${opener} in ${language}`);
    const dialogs = dialogComponents();
    expect(dialogs.length).toBeGreaterThan(3);
    for (const dialog of dialogs)
      for (const language of LANGUAGES) if (![...dialogsVisited].some((v) => v.startsWith(`${dialog}|`) && v.endsWith(`|${language}`))) missing.push(`dialog ${dialog} in ${language}`);
    expect(missing).toEqual([]);
    console.info(`axe-core ran on ${checks.pages} page views and ${checks.dialogs} open dialogs: ${routes.length} routes, ${dialogs.length} dialogs, ${LANGUAGES.length} languages`);
  });
});
