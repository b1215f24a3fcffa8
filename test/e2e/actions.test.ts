import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Action } from '@lodestone/shared';
import { createUser, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';

describe.runIf(runBrowserTests)('action board in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let priya: TestUser;
  let kenji: TestUser;
  beforeAll(async () => {
    app = await startE2eApp();
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
    priya = await createUser(app, 'member', { username: 'priya', displayName: 'Priya Raman', side: 'US', agency: 'DOE' });
    kenji = await createUser(app, 'member', { username: 'kenji', displayName: 'Kenji Takahashi', side: 'JP', agency: 'METI' });
  });
  afterEach(() => app.network.restore());
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function board(user: TestUser, incidentId: string): Promise<{ context: BrowserContext; page: Page }> {
    const session = await newUser(browser, app.url);
    await signInThroughPage(session.page, user.user.username, user.password);
    await session.page.getByRole('button', { name: 'EN', exact: true }).click();
    await session.page.goto(`/incidents/${incidentId}?tab=actions`);
    await session.page.getByTestId('action-board').waitFor();
    await session.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    return session;
  }
  const column = (page: Page, status: string) => page.locator(`[data-testid="action-board"] section[data-status="${status}"]`);
  const createItem = async (incidentId: string, title: string) => {
    const res = await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incidentId}/actions`, headers: { cookie: lead.cookie }, payload: { title, ownerId: kenji.user.id, provision: 'stockpiling', priority: 'p2', dueAt: '2030-01-15T00:00:00Z' } });
    expect(res.statusCode).toBe(201);
    return res.json() as Action;
  };

  it('moves an item to in progress by keyboard; the other member sees it move live', async () => {
    const incident = await openIncident(app, lead, { members: [priya, kenji] });
    const item = await createItem(incident.id, 'Confirm JOGMEC Dy inventory');
    const a = await board(priya, incident.id);
    const b = await board(kenji, incident.id);
    const card = column(a.page, 'open').getByRole('listitem', { name: 'Confirm JOGMEC Dy inventory' });
    await card.waitFor();
    expect(await card.getByText('Stockpiling').isVisible()).toBe(true);
    expect(await card.getByText(/Jan 14, 2030, 19:00 EST/).isVisible()).toBe(true);
    expect(await card.getByText(/Jan 15, 2030, 09:00 JST/).isVisible()).toBe(true);
    await card.focus();
    await card.press('Shift+ArrowRight');
    // The card is drawn anew in its new column, and keeps the focus there.
    const moved = column(a.page, 'in_progress').getByRole('listitem', { name: 'Confirm JOGMEC Dy inventory' });
    await moved.waitFor({ timeout: 10_000 });
    const focused = (page: Page) => page.evaluate(() => document.activeElement?.closest('[data-action-id]')?.getAttribute('data-action-id') ?? document.activeElement?.tagName);
    await expect.poll(() => focused(a.page)).toBe(item.id);
    // So the next keys, pressed wherever focus now is, keep moving it.
    await a.page.keyboard.press('Shift+ArrowRight');
    await column(a.page, 'blocked').getByRole('listitem', { name: 'Confirm JOGMEC Dy inventory' }).waitFor({ timeout: 10_000 });
    await expect.poll(() => focused(a.page)).toBe(item.id);
    await a.page.keyboard.press('Shift+ArrowLeft');
    await column(b.page, 'in_progress').getByRole('listitem', { name: 'Confirm JOGMEC Dy inventory' }).waitFor({ timeout: 10_000 });
    expect(await column(b.page, 'open').getByRole('listitem', { name: 'Confirm JOGMEC Dy inventory' }).count()).toBe(0);
    const stored = (await app.app.inject({ method: 'GET', url: `/api/v1/actions/${item.id}`, headers: { cookie: lead.cookie } })).json() as Action;
    expect(stored).toMatchObject({ status: 'in_progress', version: 4 });
    await a.context.close();
    await b.context.close();
  });

  it('moves an item by dragging it to another column', async () => {
    const incident = await openIncident(app, lead, { members: [priya, kenji] });
    await createItem(incident.id, 'Brief the export-control office');
    const { context, page } = await board(priya, incident.id);
    const card = column(page, 'open').getByRole('listitem', { name: 'Brief the export-control office' });
    await card.dragTo(column(page, 'blocked'));
    await column(page, 'blocked').getByRole('listitem', { name: 'Brief the export-control office' }).waitFor();
    await context.close();
  });

  it("lists the user's items across incidents in My actions, soonest due first, and adds a new one live", async () => {
    const first = await openIncident(app, lead, { members: [kenji] });
    const second = await openIncident(app, lead, { members: [kenji] });
    await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${first.id}/actions`, headers: { cookie: lead.cookie }, payload: { title: 'Later task', ownerId: kenji.user.id, dueAt: '2031-06-01T00:00:00Z' } });
    await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${second.id}/actions`, headers: { cookie: lead.cookie }, payload: { title: 'Sooner task', ownerId: kenji.user.id, dueAt: '2031-01-01T00:00:00Z' } });
    const { context, page } = await newUser(browser, app.url);
    await signInThroughPage(page, 'kenji', kenji.password);
    await page.getByRole('button', { name: 'EN', exact: true }).click();
    await page.goto('/actions');
    const list = page.getByTestId('my-actions');
    await list.getByText('Later task').waitFor();
    const titles = async () => (await list.locator('.title').allTextContents()).filter((x) => /task/.test(x));
    expect((await titles()).indexOf('Sooner task')).toBeLessThan((await titles()).indexOf('Later task'));
    await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${first.id}/actions`, headers: { cookie: lead.cookie }, payload: { title: 'Soonest task, assigned now', ownerId: kenji.user.id, dueAt: '2030-06-01T00:00:00Z' } });
    await list.getByText('Soonest task, assigned now').waitFor({ timeout: 10_000 });
    expect((await titles())[0]).toBe('Soonest task, assigned now');
    await context.close();
  });

  it('when both edit one item at once, the loser sees the conflict with the current values and nothing is overwritten', async () => {
    const incident = await openIncident(app, lead, { members: [priya, kenji] });
    const item = await createItem(incident.id, 'Line up JBIC financing');
    const a = await board(priya, incident.id);
    const b = await board(kenji, incident.id);
    const edit = async (page: Page, priority: string) => {
      const card = page.getByRole('listitem', { name: 'Line up JBIC financing' });
      await card.getByRole('button', { name: 'Edit' }).click();
      await card.getByLabel('Priority').selectOption(priority);
      return card;
    };
    const cardA = await edit(a.page, 'p1');
    const cardB = await edit(b.page, 'p4');
    await cardA.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => ((await app.app.inject({ method: 'GET', url: `/api/v1/actions/${item.id}`, headers: { cookie: lead.cookie } })).json() as Action).priority).toBe('p1');
    // Kenji's editor was opened on version 1; his page may already show Priya's change behind the form.
    await cardB.getByRole('button', { name: 'Save' }).click();
    const dialog = b.page.getByRole('dialog', { name: 'Changed by someone else' });
    await dialog.waitFor();
    expect(await dialog.getByText(/Priya Raman \(DOE\) changed it at/).isVisible()).toBe(true);
    expect(await dialog.getByRole('row', { name: /priority/ }).getByRole('cell').allTextContents()).toEqual(['P1', 'P4']);
    await dialog.getByRole('button', { name: 'Keep the current values' }).click();
    const stored = (await app.app.inject({ method: 'GET', url: `/api/v1/actions/${item.id}`, headers: { cookie: lead.cookie } })).json() as Action;
    expect(stored).toMatchObject({ priority: 'p1', version: 2 });
    // Focus is back on the card the conflict was about, not on the page.
    await expect.poll(() => b.page.evaluate(() => document.activeElement?.closest('[data-action-id]')?.getAttribute('data-action-id'))).toBe(item.id);

    // Another race; this time Kenji edits his change again on top of the current values.
    await cardB.getByRole('button', { name: 'Edit' }).click();
    await cardB.getByLabel('Priority').selectOption('p4');
    await app.app.inject({ method: 'PATCH', url: `/api/v1/actions/${item.id}`, headers: { cookie: priya.cookie }, payload: { version: 2, agency: 'JBIC' } });
    await cardB.getByTestId('editor-moved').waitFor({ timeout: 10_000 });
    // He saves anyway, against the version he started from: refused, and explained.
    await cardB.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Edit my change again' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await cardB.getByLabel('Priority').inputValue()).toBe('p4');
    expect(await cardB.getByLabel('Agency').inputValue()).toBe('JBIC');
    await cardB.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => ((await app.app.inject({ method: 'GET', url: `/api/v1/actions/${item.id}`, headers: { cookie: lead.cookie } })).json() as Action).version).toBe(4);
    expect((await app.app.inject({ method: 'GET', url: `/api/v1/actions/${item.id}`, headers: { cookie: lead.cookie } })).json()).toMatchObject({ priority: 'p4', agency: 'JBIC' });
    await a.context.close();
    await b.context.close();
  });
});
