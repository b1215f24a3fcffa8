import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Action, Incident } from '@lodestone/shared';
import { createUser, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { launchBrowser, newUser, runBrowserTests, signInThroughPage } from '../helpers/browser.ts';
import { startE2eApp } from '../helpers/e2e-app.ts';
import { zonedWallTimeToUtc } from '../../client/src/format.ts';

describe.runIf(runBrowserTests)('editing while others edit, and closing, in Chromium', () => {
  let app: Awaited<ReturnType<typeof startE2eApp>>;
  let browser: Browser;
  let lead: TestUser;
  let jpLead: TestUser;
  let kenji: TestUser;
  beforeAll(async () => {
    app = await startE2eApp({ rateLimitPerMinute: 1_000_000 });
    browser = await launchBrowser();
    lead = await createUser(app, 'lead', { username: 'jordan', displayName: 'Jordan Hayes', side: 'US', agency: 'DOE' });
    jpLead = await createUser(app, 'lead', { username: 'misaki', displayName: 'Misaki Sato', side: 'JP', agency: 'METI' });
    kenji = await createUser(app, 'member', { username: 'kenji', displayName: 'Kenji Takahashi', side: 'JP', agency: 'METI' });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const get = async <T>(url: string) => (await app.app.inject({ method: 'GET', url, headers: { cookie: lead.cookie } })).json() as T;
  async function enter(user: TestUser, path: string) {
    const session = await newUser(browser, app.url);
    await signInThroughPage(session.page, user.user.username, user.password);
    await session.page.getByRole('button', { name: 'EN', exact: true }).click();
    await session.page.goto(path);
    await session.page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    return session;
  }

  it('says inside the open details dialog that the other lead just saved, and keeps the user’s text on top of it', async () => {
    const incident = await openIncident(app, lead, { members: [jpLead] });
    const { context, page } = await enter(lead, `/incidents/${incident.id}`);
    await page.getByRole('button', { name: 'Edit details' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit incident details' });
    await dialog.getByLabel('Summary').fill('Licences for Dy and Tb held at Tianjin since Monday.');

    const theirs = await app.app.inject({ method: 'PATCH', url: `/api/v1/incidents/${incident.id}`, headers: { cookie: jpLead.cookie }, payload: { version: 1, title: 'Dy/Tb export licences held' } });
    expect(theirs.statusCode).toBe(200);
    const notice = dialog.getByTestId('dialog-moved');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toMatch(/Misaki Sato \(METI\) saved version 2 at .* title changed\./);

    await notice.getByRole('button', { name: 'Keep editing mine on top' }).click();
    expect(await dialog.getByLabel('Title').inputValue()).toBe('Dy/Tb export licences held');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const stored = await get<Incident>(`/api/v1/incidents/${incident.id}`);
    expect(stored).toMatchObject({ version: 3, title: 'Dy/Tb export licences held', summary: 'Licences for Dy and Tb held at Tianjin since Monday.' });
    await context.close();
  });

  it('says inside an open action editor that someone else saved the item, and offers their values', async () => {
    const incident = await openIncident(app, lead, { members: [kenji] });
    const created = await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/actions`, headers: { cookie: lead.cookie }, payload: { title: 'Line up JBIC financing', priority: 'p3' } });
    const item = created.json() as Action;
    const { context, page } = await enter(kenji, `/incidents/${incident.id}?tab=actions`);
    const card = page.getByRole('listitem', { name: 'Line up JBIC financing' });
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByLabel('Agency').fill('JBIC');

    await app.app.inject({ method: 'PATCH', url: `/api/v1/actions/${item.id}`, headers: { cookie: lead.cookie }, payload: { version: 1, priority: 'p1' } });
    const notice = card.getByTestId('editor-moved');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.textContent()).toMatch(/Jordan Hayes \(DOE\) changed priority at .* while you were editing\./);
    await notice.getByRole('button', { name: 'Keep editing mine on top' }).click();
    expect(await card.getByLabel('Priority').inputValue()).toBe('p1');
    await card.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await get<Action>(`/api/v1/actions/${item.id}`)).version).toBe(3);
    expect(await get<Action>(`/api/v1/actions/${item.id}`)).toMatchObject({ priority: 'p1', agency: 'JBIC' });
    await context.close();
  });

  it('asks before closing an incident, listing the action items still open with the overdue ones marked', async () => {
    const incident = await openIncident(app, lead, { members: [kenji] });
    const add = async (payload: Record<string, unknown>) =>
      (await app.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/actions`, headers: { cookie: lead.cookie }, payload })).json() as Action;
    const soon = new Date(Date.now() + 2_000).toISOString();
    await add({ title: 'Confirm JOGMEC Dy inventory', ownerId: kenji.user.id, dueAt: soon });
    await add({ title: 'Brief the export-control office', dueAt: '2031-01-15T00:00:00Z' });
    const done = await add({ title: 'Send the industry call readout' });
    await app.app.inject({ method: 'PATCH', url: `/api/v1/actions/${done.id}`, headers: { cookie: lead.cookie }, payload: { version: 1, status: 'done' } });
    // The first item's due time passes.
    await expect.poll(() => Date.now() > Date.parse(soon), { timeout: 10_000 }).toBe(true);

    const { context, page } = await enter(lead, `/incidents/${incident.id}`);
    await page.getByLabel('Status').selectOption('closed');
    const dialog = page.getByRole('dialog', { name: /^Close RRG-/ });
    await dialog.waitFor();
    const items = dialog.getByTestId('close-confirmation').getByRole('listitem');
    expect(await items.count()).toBe(2);
    expect(await dialog.getByText('2 action items are still open.').isVisible()).toBe(true);
    expect(await items.filter({ hasText: 'Confirm JOGMEC Dy inventory' }).getByText('Overdue').isVisible()).toBe(true);
    expect(await items.filter({ hasText: 'Brief the export-control office' }).getByText('Overdue').count()).toBe(0);
    expect(await items.filter({ hasText: 'Send the industry call readout' }).count()).toBe(0);

    // Keeping it open changes nothing, and focus is back on the status.
    await dialog.getByRole('button', { name: 'Keep it open' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByLabel('Status').inputValue()).toBe(incident.status);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('room-status');
    expect((await get<Incident>(`/api/v1/incidents/${incident.id}`)).status).toBe(incident.status);

    // Confirming closes it.
    await page.getByLabel('Status').selectOption('closed');
    await dialog.getByRole('button', { name: 'Close the incident' }).click();
    await expect.poll(async () => (await get<Incident>(`/api/v1/incidents/${incident.id}`)).status).toBe('closed');
    await expect.poll(() => page.getByLabel('Status').inputValue()).toBe('closed');
    await context.close();
  });

  it('never drops a due date silently: a date alone gets a visible time, a half-typed or past one is refused with a message', async () => {
    const incident = await openIncident(app, lead, { members: [kenji] });
    const { context, page } = await enter(kenji, `/incidents/${incident.id}?tab=actions`);
    const form = page.getByRole('form', { name: 'New action item' });
    const items = async () => (await get<Action[]>(`/api/v1/incidents/${incident.id}/actions`)).length;

    // Half typed: the browser holds no value, and the form says so instead of creating an item without a due date.
    await form.getByLabel('New action item').fill('Confirm JOGMEC Dy inventory');
    await form.getByLabel('Date').click();
    await page.keyboard.type('03');
    await form.getByRole('button', { name: 'Add' }).click();
    await form.getByText('The due date is incomplete').waitFor();
    expect(await items()).toBe(0);

    // A past date, given without a time: the time is filled in where the user sees it, and the date is refused.
    await form.getByRole('button', { name: 'Clear' }).click();
    await form.getByLabel('Date').fill('2020-01-01');
    expect(await form.getByLabel('Time').inputValue()).toBe('17:00');
    await form.getByText(`Time set to 17:00 (${kenji.user.timeZone})`).waitFor();
    await form.getByRole('button', { name: 'Add' }).click();
    await form.getByText('This due date is in the past.').waitFor();
    expect(await items()).toBe(0);

    const nextYear = new Date().getUTCFullYear() + 1;
    await form.getByLabel('Date').fill(`${nextYear}-03-02`);
    await form.getByRole('button', { name: 'Add' }).click();
    await expect.poll(items).toBe(1);
    const [created] = await get<Action[]>(`/api/v1/incidents/${incident.id}/actions`);
    // 17:00 on the wall clock of Kenji's time zone.
    expect(created?.dueAt).toBe(zonedWallTimeToUtc(`${nextYear}-03-02T17:00`, kenji.user.timeZone));
    await context.close();
  });
});
