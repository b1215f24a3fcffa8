import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';
import { connect } from 'node:net';
import { buildRecord } from '../../server/src/features/export/record.model.ts';
import { PdfRenderer, RenderTimedOut } from '../../server/src/features/export/pdf-renderer.ts';

/**
 * Issue 14, finding 6: one staff member queueing 300 PDF exports starved everyone else's (a
 * lead's PDF took 18.7 s instead of 0.35 s). Now each user renders one at a time with at most 4
 * waiting (past that 429 at once), and users take turns.
 */
const FLOOD = 300;

describe('PDF exports: per-user limits and fair turns', () => {
  let t: TestApp;
  let url: string;
  let lead: TestUser;
  let staff: TestUser;
  let incidentId: string;
  beforeAll(async () => {
    // 300 requests at once from one address: over the per-address connection cap (256) that
    // another defence sets, which is not what this test is about.
    t = await buildTestApp({ rateLimitPerMinute: 100_000, connectionsPerAddress: 1_000 });
    lead = await createUser(t, 'lead');
    staff = await createUser(t, 'staff');
    const incident = await openIncident(t, lead);
    incidentId = incident.id;
    // Enough of a record that a render takes a noticeable moment.
    for (let i = 0; i < 300; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incidentId}/messages`, headers: { cookie: lead.cookie }, payload: { body: `Situation note ${i}: ${'shipments held at Tianjin; '.repeat(8)}` } });
      expect(res.statusCode).toBe(201);
    }
    url = await listen(t.app);
  });
  afterAll(() => t.close());

  const exportPdf = async (who: TestUser) => {
    const res = await fetch(`${url}/api/v1/incidents/${incidentId}/export?format=pdf&lang=en`, { headers: { cookie: who.cookie } });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body, at: performance.now() };
  };

  it("refuses most of one user's flood with 429 at once, and serves a lead's PDF asked after it next", async () => {
    // The first render starts the PDF process; the idle figure is the second.
    expect((await exportPdf(lead)).status).toBe(200);
    const idleStart = performance.now();
    const idle = await exportPdf(lead);
    const idleMs = performance.now() - idleStart;
    expect(idle.status).toBe(200);

    const floodStart = performance.now();
    const flood = Array.from({ length: FLOOD }, () => exportPdf(staff));
    // The refusals come back at once; wait until no more than a line's worth (1 running, 4
    // waiting) is still out. (On a slow machine a render may finish while the flood is still
    // arriving, and the next request of the flood then takes its place in the line.)
    const settled: Awaited<ReturnType<typeof exportPdf>>[] = [];
    let failed: unknown;
    for (const p of flood) void p.then((r) => settled.push(r), (error: unknown) => (failed ??= error));
    while (FLOOD - settled.length > 5 && failed === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    if (failed !== undefined) throw new Error(`a request of the flood failed: ${String(failed)}`);
    const refusedMs = performance.now() - floodStart;
    const outstanding = FLOOD - settled.length;

    const leadAskedAt = performance.now();
    const leadPdf = await exportPdf(lead);
    const leadMs = leadPdf.at - leadAskedAt;
    const staffAnswers = await Promise.all(flood);

    expect(leadPdf.status).toBe(200);
    expect(leadPdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    const served = staffAnswers.filter((r) => r.status === 200);
    const refused = staffAnswers.filter((r) => r.status === 429);
    // Most refused at once, each a problem with a Retry-After; the rest served.
    expect(served.length + refused.length).toBe(FLOOD);
    expect(served.length).toBeGreaterThanOrEqual(5);
    expect(refused.length).toBeGreaterThan(FLOOD * 0.8);
    for (const r of refused) {
      expect(r.type).toContain('application/problem+json');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Fair turns: of the staff's renders still out when the lead asked, at most the one running
    // then, and one that may have started while the lead's request was still on its way to the
    // server, finished before the lead's; the other waiting ones came after it. (Without turns,
    // all of them would finish first.)
    expect(outstanding).toBeGreaterThanOrEqual(1);
    const staffDoneDuringLead = served.filter((r) => r.at > leadAskedAt && r.at < leadPdf.at);
    expect(staffDoneDuringLead.length).toBeLessThanOrEqual(2);
    expect(served.filter((r) => r.at > leadPdf.at).length).toBeGreaterThanOrEqual(outstanding - 2);

    console.info(
      `[pdf-queue] idle lead PDF ${idleMs.toFixed(0)} ms; ${FLOOD - 5} of ${FLOOD} staff PDFs refused (429) within ${refusedMs.toFixed(0)} ms; ` +
        `lead's PDF asked after the flood: ${leadMs.toFixed(0)} ms (${outstanding} of the staff's still out then; ${served.length} served in all)`,
    );
  }, 120_000);

  it('serves the staff member again once their line has room', { timeout: 60_000 }, async () => {
    const again = await exportPdf(staff);
    expect(again.status).toBe(200);
  });
});

describe('PDF exports: waiting and stuck renders', () => {
  it('a request waiting its turn longer than the idle timeout is still answered', async () => {
    // The idle timeout closes a connection on which nothing moves; a PDF waiting in its line sends nothing.
    const t = await buildTestApp({ rateLimitPerMinute: 100_000, idleTimeoutMs: 300 });
    try {
      const lead = await createUser(t, 'lead');
      const incident = await openIncident(t, lead);
      for (let i = 0; i < 200; i++) {
        await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/messages`, headers: { cookie: lead.cookie }, payload: { body: `Note ${i}: ${'port of Tianjin; '.repeat(10)}` } });
      }
      const url = await listen(t.app);
      const ask = () => fetch(`${url}/api/v1/incidents/${incident.id}/export?format=pdf`, { headers: { cookie: lead.cookie } }).then(async (r) => ({ status: r.status, head: Buffer.from(await r.arrayBuffer()).subarray(0, 5).toString() }));
      // One running and four waiting: the last waits for four renders, far longer than 300 ms.
      const answers = await Promise.all(Array.from({ length: 5 }, ask));
      expect(answers).toEqual(Array.from({ length: 5 }, () => ({ status: 200, head: '%PDF-' })));
      // After the answers the idle timeout applies again: an idle connection is closed.
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect(Number(new URL(url).port), '127.0.0.1', () => undefined);
        socket.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 10_000).unref();
      });
      expect(closed).toBe(true);
    } finally {
      await t.close();
    }
  }, 90_000);

  it('a render that does not finish in time fails (RenderTimedOut) and the next one gets a fresh process', async () => {
    const t = await buildTestApp();
    try {
      const lead = await createUser(t, 'lead');
      const incident = await openIncident(t, lead);
      const record = await buildRecord(t.app.lodestone, incident.id, 'en', 'test');
      if (!record) throw new Error('no record');
      const stuck = new PdfRenderer(null, 1);
      await expect(stuck.render(record)).rejects.toBeInstanceOf(RenderTimedOut);
      await stuck.close();
      const renderer = new PdfRenderer(null);
      try {
        expect((await renderer.render(record)).subarray(0, 5).toString()).toBe('%PDF-');
      } finally {
        await renderer.close();
      }
    } finally {
      await t.close();
    }
  }, 60_000);
});
