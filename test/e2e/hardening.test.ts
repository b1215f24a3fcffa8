import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Action, Alert, IncidentDetail } from '@lodestone/shared';
import { alertInput, createUser, signIn, ADMIN_PASSWORD, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

/**
 * Browser hardening: hostile text stored through the API in every user-visible field renders as
 * text on every page that shows it (no dialog, no element from the payload, no CSP violation),
 * every kind of response carries the security headers, and no other origin can frame the app.
 */

/** Each HTML payload carries `data-pwn`, so any element it would create is easy to find. */
const X = {
  img: '<img src=x onerror=alert(1) data-pwn>',
  script: '<script>alert(1)</script>',
  svg: '"><svg onload=alert(1) data-pwn>',
  js: 'javascript:alert(1)',
  vue: "{{constructor.constructor('alert(1)')()}}",
  md: '[click](javascript:alert(1)) **bold** <a href="javascript:alert(1)" data-pwn>a</a>',
  attr: "' onmouseover='alert(1)' data-pwn='",
  iframe: '<iframe srcdoc="<script>alert(1)</script>" data-pwn></iframe>',
  entity: '&lt;img src=x onerror=alert(1)&gt; &amp;amp;',
  style: '<style>*{display:none}</style><div style="background:url(javascript:alert(1))" data-pwn>',
} as const;
/** Agency codes allow only letters, digits and `& . -`: the most hostile code they admit (entities). */
const AGENCY = { jp: 'X&lt.b&gt', member: 'M&lt.i&gt-1', action: 'A&amp.C&lt' } as const;

const names = {
  lead: `Lead ${X.svg}`,
  jpLead: `JP lead ${X.vue}`,
  member: `Member ${X.img}`,
  liaison: `Liaison ${X.md}`,
  staff: `Staff ${X.js}`,
};
const alertA = {
  title: `Alert A ${X.img}`,
  body: `# Heading\n${X.script}\n\n- ${X.md}\n${X.vue}\n${X.entity}\n\`\`\`html\n${X.iframe}\n\`\`\``,
  source: `Source ${X.script}`,
};
const alertB = { title: `Alert B ${X.svg}`, body: `Body ${X.attr}`, source: X.js };
const alertC = { title: `Alert C ${X.md}` };
const alertD = { title: `Alert D ${X.iframe}` };
const incidentText = {
  title: `Incident ${X.script}`,
  summary: `Summary ${X.vue}\n${X.entity} ${X.style}`,
  lessons: { summary: `Lessons ${X.img}`, strengths: `Strengths ${X.svg}`, improvements: `Improvements ${X.style}` },
};
const notes = Object.entries(X).map(([kind, payload]) => `Note ${kind} ${payload}`);
const decision = `Decision ${X.attr} ${X.md}`;
const actionText = { title: `Action ${X.svg}`, description: `Description ${X.script}\n${X.md}` };
const tokens = { member: `Token ${X.img}`, admin: `Admin token ${X.svg}` };

/** Elements and attributes any of the payloads would leave behind if parsed as HTML. */
const INJECTED = [
  '[data-pwn]',
  'img[src="x"]',
  'svg[onload]',
  '[onerror]',
  '[onload]',
  '[onmouseover]',
  'script:not([src])',
  'a[href^="javascript:" i]',
  'iframe',
  '[style*="javascript:" i]',
].join(', ');

/** A fetch response's headers as a plain object. */
function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => (out[name] = value));
  return out;
}

describe.runIf(runBrowserTests)('browser hardening in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let jpLead: TestUser;
  let member: TestUser;
  let liaison: TestUser;
  let staff: TestUser;
  let incident: IncidentDetail;

  /** What every page of the app must never do, gathered across all the contexts of a test. */
  const seen = { dialogs: [] as string[], violations: [] as string[], console: [] as string[], strayRequests: [] as string[], pageErrors: [] as string[] };
  const headerFailures: string[] = [];
  const checkedResponses = new Set<string>();

  const api = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, cookie: string, payload?: Record<string, unknown>) => {
    const res = await app.app.inject({ method, url: `/api/v1${url}`, headers: { cookie }, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.statusCode === 204 ? null : res.json();
  };

  beforeAll(async () => {
    app = await startE2eApp({ rateLimitPerMinute: 1_000_000, ...(process.env.HB_DIST ? { clientDir: process.env.HB_DIST } : {}) });
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'h.lead', displayName: names.lead, side: 'US', agency: 'DOE' });
    jpLead = await createUser(app, 'lead', { username: 'h.jplead', displayName: names.jpLead, side: 'JP', agency: AGENCY.jp });
    member = await createUser(app, 'member', { username: 'h.member', displayName: names.member, side: 'JP', agency: AGENCY.member });
    liaison = await createUser(app, 'liaison', { username: 'h.liaison', displayName: names.liaison, side: 'JP', agency: 'JOGMEC' });
    staff = await createUser(app, 'staff', { username: 'h.staff', displayName: names.staff, side: 'US', agency: 'State' });

    const a = (await api('POST', '/alerts', liaison.cookie, alertInput({ ...alertA, originCountry: 'CN', severity: 'high' }))) as Alert;
    await api('POST', '/alerts', liaison.cookie, alertInput({ ...alertB, originCountry: 'JP', severity: 'moderate', mineral: 'gallium' }));
    const c = (await api('POST', '/alerts', liaison.cookie, alertInput({ ...alertC, severity: 'low', mineral: 'terbium' }))) as Alert;
    await api('POST', `/alerts/${a.id}/acknowledgements`, member.cookie, {});

    incident = await openIncident(app, lead, {
      members: [jpLead, member, liaison],
      body: { title: incidentText.title, summary: incidentText.summary, jpLeadId: jpLead.user.id, alertIds: [c.id] },
    });
    const patched = (await api('PATCH', `/incidents/${incident.id}`, lead.cookie, { version: incident.version, lessons: incidentText.lessons })) as IncidentDetail;
    expect(patched.lessons).toEqual(incidentText.lessons);
    for (const body of notes) await api('POST', `/incidents/${incident.id}/messages`, member.cookie, { body });
    await api('POST', `/incidents/${incident.id}/messages`, lead.cookie, { body: decision, kind: 'decision' });
    const action = (await api('POST', `/incidents/${incident.id}/actions`, lead.cookie, {
      ...actionText,
      agency: AGENCY.action,
      ownerId: member.user.id,
      provision: 'stockpiling',
      priority: 'p1',
    })) as Action;
    await api('PATCH', `/actions/${action.id}`, member.cookie, { version: action.version, status: 'in_progress' });
    await api('POST', '/tokens', member.cookie, { name: tokens.member });
    await api('POST', '/tokens', app.admin, { name: tokens.admin });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A signed-in browser profile that records dialogs, CSP violations, stray requests and response headers. */
  async function session(username: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
    const { context, page } = await newUser(browser, app.url);
    await context.exposeBinding('__lodestoneCspViolation', (_source, violation: string) => void seen.violations.push(violation));
    await context.addInitScript(() => {
      document.addEventListener(
        'securitypolicyviolation',
        (e) => {
          const report = (window as unknown as { __lodestoneCspViolation?: (v: string) => void }).__lodestoneCspViolation;
          report?.(`${location.pathname}: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber}) ${e.sample}`);
        },
        true,
      );
    });
    page.on('dialog', (dialog) => {
      seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) seen.console.push(message.text());
    });
    page.on('pageerror', (error) => void seen.pageErrors.push(error.message));
    context.on('request', (request) => {
      // An <img src=x> parsed into any page would fetch ".../x".
      if (/\/x$/.test(new URL(request.url()).pathname)) seen.strayRequests.push(request.url());
    });
    context.on('response', (response) => {
      const url = new URL(response.url());
      if (url.origin !== app.url || response.status() === 101) return;
      void response
        .allHeaders()
        .then((headers) => {
          const kind = `${response.request().resourceType()} ${url.pathname}`;
          checkedResponses.add(response.request().resourceType());
          headerFailures.push(...securityHeaderProblems(headers).map((p) => `${kind}: ${p}`));
        })
        .catch(() => undefined);
    });
    await signInThroughPage(page, username, password);
    return { context, page };
  }

  /** Nothing from any payload became an element, and no payload ran. */
  async function expectInert(page: Page, where: string): Promise<void> {
    const found = await page.evaluate((selector) => Array.from(document.querySelectorAll(selector)).map((el) => el.outerHTML.slice(0, 120)), INJECTED);
    expect(found, `elements injected on ${where}`).toEqual([]);
    expect(seen.dialogs, `dialogs on ${where}`).toEqual([]);
  }

  /** The exact payload is shown as the whole text of some visible element. */
  const exactly = (scope: Page | Locator, text: string) => scope.getByText(text, { exact: true }).first().waitFor();
  /** The payload is shown literally inside the text of `locator` (for fields shown with a label or prefix). */
  async function within(locator: Locator, text: string): Promise<void> {
    await locator.first().waitFor();
    await expect.poll(async () => (await locator.allTextContents()).some((t) => t.includes(text)), { message: text, timeout: 5_000 }).toBe(true);
  }

  /** Every entry of a virtualized timeline, scrolled through from newest to oldest; the page stays inert throughout. */
  async function readTimeline(page: Page, timeline: Locator, where: string): Promise<string[]> {
    const texts = new Map<string, string>();
    await timeline.locator('article').first().waitFor();
    await timeline.evaluate((el) => el.scrollTo({ top: 0 }));
    for (let step = 0; step < 100; step++) {
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      for (const [seq, text] of await timeline.locator('article').evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-seq') ?? '', n.textContent ?? ''] as const))) {
        texts.set(seq, text);
      }
      await expectInert(page, where);
      const atEnd = await timeline.evaluate((el) => {
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) return true;
        el.scrollBy({ top: el.clientHeight * 0.7 });
        return false;
      });
      if (atEnd) break;
    }
    const head = ((await api('GET', `/events?stream=incident:${incident.id}&limit=1`, lead.cookie)) as { head: number }).head;
    expect(texts.size, `entries read on ${where}`).toBe(head);
    return [...texts.values()];
  }

  function expectNothingRan(): void {
    expect(seen.dialogs, 'dialogs').toEqual([]);
    expect(seen.violations, 'securitypolicyviolation events').toEqual([]);
    expect(seen.console, 'CSP messages in the console').toEqual([]);
    expect(seen.strayRequests, 'requests made by an injected <img src=x>').toEqual([]);
    expect(seen.pageErrors, 'uncaught page errors').toEqual([]);
  }

  it('refuses hostile text where a field only takes a code (agency, country, username)', async () => {
    const post = (url: string, payload: Record<string, unknown>, cookie = app.admin) => app.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { cookie }, payload });
    const user = { username: 'h.refused', displayName: 'Refused', password: 'correct horse battery', role: 'member', side: 'US' };
    expect((await post('/users', { ...user, agency: '<b>DOE</b>' })).statusCode).toBe(400);
    expect((await post('/users', { ...user, agency: 'DOE', username: '<img src=x>' })).statusCode).toBe(400);
    expect((await post('/alerts', alertInput({ originCountry: '<s>' }), liaison.cookie)).statusCode).toBe(400);
    expect((await post('/alerts', alertInput({ originCountry: 'javascript:alert(1)' }), liaison.cookie)).statusCode).toBe(400);
    const action = await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/actions`, headers: { cookie: lead.cookie }, payload: { title: 'x', agency: '"><svg onload=alert(1)>' } });
    expect(action.statusCode).toBe(400);
  });

  it('renders every hostile field as text on every page, runs nothing and violates no CSP', async () => {
    // A lead: the alert feed (with a live toast), the incidents list, the room, its board and the record.
    const { context: leadContext, page } = await session('h.lead', lead.password);
    await page.goto('/alerts');
    const feed = page.getByTestId('alert-feed');
    for (const a of [alertA, alertB]) {
      await exactly(feed, a.title);
      await within(feed.locator('article', { hasText: a.title }).locator('.body'), a.body);
      await within(feed.locator('article', { hasText: a.title }).locator('.source'), a.source);
    }
    const cardA = feed.locator('article', { hasText: alertA.title });
    await within(cardA.locator('.byline'), `${names.liaison} · JOGMEC`);
    await within(cardA.locator('[data-side="JP"]'), `${names.member} (${AGENCY.member})`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await api('POST', '/alerts', liaison.cookie, alertInput({ ...alertD, severity: 'critical' }));
    await exactly(page.locator('.toast'), alertD.title);
    await exactly(feed, alertD.title);
    await expectInert(page, '/alerts');

    await page.goto('/incidents');
    await exactly(page.locator('.incident-card'), incidentText.title);
    await expectInert(page, '/incidents');

    await page.goto(`/incidents/${incident.id}`);
    await exactly(page.getByRole('heading', { level: 1 }), incidentText.title);
    await within(page.locator('.room-header .summary'), incidentText.summary);
    expect(await page.title()).toContain(incidentText.title);
    // The timeline is virtualized: read it whole by scrolling through it.
    const entries = await readTimeline(page, page.getByTestId('timeline'), 'the incident room timeline');
    for (const text of [...notes, decision, `${names.lead} opened ${incident.code}: ${incidentText.title}`, `${names.lead} added ${names.liaison} (JOGMEC)`, `${names.lead} added ${names.member} (${AGENCY.member})`]) {
      expect(entries.some((e) => e.includes(text)), text).toBe(true);
    }
    expect(entries.some((e) => e.includes(`${names.member} updated the action`) && e.includes(actionText.title))).toBe(true);
    expect(entries.some((e) => e.includes(alertC.title))).toBe(true);
    await within(page.getByTestId('decisions').locator('.body'), decision);
    await exactly(page.locator('.side'), alertC.title);
    const members = page.getByRole('region', { name: 'Members' });
    for (const name of [names.jpLead, names.member, names.liaison]) await exactly(members.locator('.name'), name);
    await within(members.locator('.name'), names.lead);
    await within(members.locator('.meta'), AGENCY.jp);
    await within(page.getByTestId('presence'), names.lead);
    await within(page.locator('.room-header .facts'), names.jpLead);
    await page.getByRole('button', { name: 'Edit details' }).click();
    await expect.poll(() => page.locator('#edit-title').inputValue()).toBe(incidentText.title);
    expect(await page.locator('#edit-summary').inputValue()).toBe(incidentText.summary);
    await page.keyboard.press('Escape');
    await expectInert(page, 'the incident room');

    await page.goto(`/incidents/${incident.id}?tab=actions`);
    const board = page.getByTestId('action-board');
    await exactly(board.locator('.title'), actionText.title);
    await within(board.locator('.meta'), names.member);
    await within(board.locator('.meta'), AGENCY.action);
    expect(await board.locator('[data-action-id]').first().getAttribute('aria-label')).toBe(actionText.title);
    await expectInert(page, 'the action board');

    await page.goto(`/incidents/${incident.id}/after-action`);
    await page.getByTestId('chain-status').waitFor();
    const sheet = page.locator('article.sheet');
    await within(sheet.locator('h2'), `${incident.code} — ${incidentText.title}`);
    await within(sheet.locator('p.pre'), incidentText.summary);
    for (const field of ['summary', 'strengths', 'improvements'] as const) {
      expect(await page.locator(`#lessons-${field}`).inputValue()).toBe(incidentText.lessons[field]);
    }
    await within(sheet.locator('ol p.pre'), decision);
    await exactly(sheet.locator('.alert-line strong'), alertC.title);
    await exactly(sheet.locator('td'), actionText.title);
    await exactly(sheet.locator('td'), names.member);
    await exactly(sheet.locator('td'), AGENCY.action);
    await within(sheet.locator('li', { hasText: AGENCY.member }), `${names.member} (JP)`);
    const recorded = await readTimeline(page, sheet.getByTestId('timeline'), 'the after-action timeline');
    for (const note of notes) expect(recorded.some((e) => e.includes(note)), note).toBe(true);
    await expectInert(page, 'the after-action record (lead)');
    await leadContext.close();

    // Staff read the lessons learned as text.
    const { context: staffContext, page: staffPage } = await session('h.staff', staff.password);
    await staffPage.goto(`/incidents/${incident.id}/after-action`);
    const facts = staffPage.locator('article.sheet dd.pre');
    for (const field of ['summary', 'strengths', 'improvements'] as const) await within(facts, incidentText.lessons[field]);
    await exactly(staffPage.locator('.user-name'), names.staff);
    await expectInert(staffPage, 'the after-action record (staff)');
    await staffContext.close();

    // A member: My actions, the profile and its tokens, the name in the header.
    const { context: memberContext, page: memberPage } = await session('h.member', member.password);
    await memberPage.goto('/actions');
    const mine = memberPage.getByTestId('my-actions');
    await exactly(mine.locator('.title'), actionText.title);
    await within(mine.locator('.meta'), AGENCY.action);
    await expectInert(memberPage, '/actions');
    await memberPage.goto('/profile');
    await exactly(memberPage.locator('td'), tokens.member);
    await exactly(memberPage.locator('.user-name'), names.member);
    await within(memberPage.locator('.page-header'), AGENCY.member);
    await expect.poll(() => memberPage.locator('#display-name').inputValue()).toBe(names.member);
    await expectInert(memberPage, '/profile (member)');
    await memberContext.close();

    // The admin: every account's name and agency, and the admin's own tokens.
    const { context: adminContext, page: adminPage } = await session('admin', ADMIN_PASSWORD);
    await adminPage.goto('/admin/users');
    const users = adminPage.getByTestId('users-table');
    for (const name of Object.values(names)) await exactly(users.locator('td'), name);
    for (const agency of [AGENCY.jp, AGENCY.member]) await exactly(users.locator('td'), agency);
    await adminPage.goto('/profile');
    await exactly(adminPage.locator('td'), tokens.admin);
    await expectInert(adminPage, '/profile (admin)');
    await adminContext.close();

    expectNothingRan();
    expect(headerFailures, 'responses the browser received without the security headers').toEqual([]);
    expect([...checkedResponses]).toEqual(expect.arrayContaining(['document', 'script', 'stylesheet', 'fetch']));
  });

  it('sends the security headers on every kind of response', async () => {
    const cookie = await signIn(app.app, 'h.lead', lead.password);
    const index = await (await fetch(`${app.url}/`)).text();
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? '');
    expect(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css'))).toBe(true);
    const requests: Array<{ what: string; path: string; init?: RequestInit; status: number; type: RegExp }> = [
      { what: 'HTML document', path: '/', status: 200, type: /^text\/html/ },
      { what: 'HTML document (history fallback)', path: `/incidents/${incident.id}`, status: 200, type: /^text\/html/ },
      { what: 'JS asset', path: assets.find((a) => a.endsWith('.js')) ?? '', status: 200, type: /javascript/ },
      { what: 'CSS asset', path: assets.find((a) => a.endsWith('.css')) ?? '', status: 200, type: /^text\/css/ },
      { what: 'service worker', path: '/sw.js', status: 200, type: /javascript/ },
      { what: 'icon', path: '/favicon.svg', status: 200, type: /^image\/svg\+xml/ },
      { what: 'API JSON', path: '/api/v1/minerals', init: { headers: { cookie } }, status: 200, type: /^application\/json/ },
      { what: 'API JSON with hostile text', path: '/api/v1/alerts', init: { headers: { cookie } }, status: 200, type: /^application\/json/ },
      { what: 'API problem 401', path: '/api/v1/alerts', status: 401, type: /^application\/problem\+json/ },
      { what: 'API problem 404', path: '/api/v1/no-such-route', status: 404, type: /^application\/problem\+json/ },
      {
        what: 'API problem 400',
        path: '/api/v1/alerts',
        init: { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ title: X.script }) },
        status: 400,
        type: /^application\/problem\+json/,
      },
      { what: 'missing asset', path: '/assets/no-such-file.js', status: 404, type: /^application\/problem\+json/ },
      { what: 'record download', path: `/api/v1/incidents/${incident.id}/export?format=markdown`, init: { headers: { cookie } }, status: 200, type: /^text\/markdown/ },
      { what: 'health check', path: '/healthz', status: 200, type: /^application\/json/ },
      { what: 'OpenAPI document', path: '/api/openapi.json', status: 200, type: /^application\/json/ },
      { what: 'API docs page', path: '/api/docs', status: 200, type: /^text\/html/ },
      { what: 'Socket.IO polling handshake', path: '/socket.io/?EIO=4&transport=polling', init: { headers: { cookie } }, status: 200, type: /^text\/plain/ },
    ];
    const problems: string[] = [];
    for (const r of requests) {
      const res = await fetch(`${app.url}${r.path}`, { redirect: 'manual', ...r.init });
      const body = await res.text();
      if (res.status !== r.status) problems.push(`${r.what} ${r.path}: status ${res.status}, expected ${r.status}: ${body.slice(0, 100)}`);
      if (!r.type.test(res.headers.get('content-type') ?? '')) problems.push(`${r.what} ${r.path}: content-type ${res.headers.get('content-type')}`);
      problems.push(...securityHeaderProblems(headersOf(res)).map((p) => `${r.what} ${r.path}: ${p}`));
      if (r.what === 'record download') {
        expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
        // A download, never rendered by the browser; the Markdown escapes what a viewer would read as HTML.
        expect(body).toContain('Incident \\<script\\>');
        expect(body).not.toMatch(/(?<!\\)<(script|img|svg|iframe)/);
      }
    }
    expect(problems).toEqual([]);
  });

  it('cannot be framed by another origin', async () => {
    const { context, page } = await newUser(browser, app.url);
    const framer: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // The frame's load event comes once its navigation is over, refused or not, after anything the document would load.
      res.end(`<!doctype html><title>framer</title><iframe id="victim" src="${app.url}/sign-in" width="800" height="600" onload="document.title = 'frame settled'"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    try {
      const framerUrl = `http://127.0.0.1:${(framer.address() as AddressInfo).port}`;
      expect(new URL(framerUrl).origin).not.toBe(new URL(app.url).origin);
      const messages: string[] = [];
      page.on('console', (m) => void messages.push(m.text()));
      const fromFrame: string[] = [];
      page.on('request', (request) => {
        if (request.frame() !== page.mainFrame()) fromFrame.push(request.url());
      });
      await page.goto(framerUrl);
      await expect.poll(() => messages.some((m) => /frame-ancestors 'none'/.test(m)), { timeout: 5_000 }).toBe(true);
      // The marker: what the refused document would have loaded comes before its frame's load event.
      await page.waitForFunction(() => document.title === 'frame settled', undefined, { timeout: 10_000 });
      // The document was asked for and refused: nothing it would load was loaded, and the frame holds no app.
      expect(fromFrame.filter((u) => !u.startsWith(`${app.url}/sign-in`))).toEqual([]);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      expect(frame?.url() ?? '').not.toMatch(new RegExp(`^${app.url}`));
      const appInFrame = await frame?.evaluate(() => document.querySelector('#app') !== null).catch(() => false);
      expect(appInFrame ?? false).toBe(false);
    } finally {
      await context.close();
      await new Promise<void>((resolve) => framer.close(() => resolve()));
    }
  });
});

/** What a response lacks of the security headers the README promises (CSP, nosniff, no referrer, no framing). */
function securityHeaderProblems(headers: Record<string, string>): string[] {
  const problems: string[] = [];
  const csp = headers['content-security-policy'];
  if (!csp) problems.push('no content-security-policy');
  else {
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map((parts) => [parts[0]?.toLowerCase() ?? '', parts.slice(1)]),
    );
    if (directives.get('frame-ancestors')?.join(' ') !== "'none'") problems.push(`CSP frame-ancestors is not 'none': ${csp}`);
    const scripts = directives.get('script-src') ?? directives.get('default-src');
    if (!scripts || scripts.some((s) => s !== "'self'")) problems.push(`CSP allows scripts from elsewhere than 'self': ${csp}`);
    if (directives.get('object-src')?.join(' ') !== "'none'") problems.push(`CSP object-src is not 'none': ${csp}`);
  }
  if (headers['x-content-type-options'] !== 'nosniff') problems.push(`x-content-type-options: ${headers['x-content-type-options']}`);
  if (headers['referrer-policy'] !== 'no-referrer') problems.push(`referrer-policy: ${headers['referrer-policy']}`);
  if (headers['x-frame-options'] !== 'DENY') problems.push(`x-frame-options: ${headers['x-frame-options']}`);
  return problems;
}
