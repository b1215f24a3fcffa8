import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createUser, listen, type TestApp, type TestUser } from '../helpers/app.ts';
import { openIncident } from '../helpers/incidents.ts';

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
    t = await buildTestApp({ rateLimitPerMinute: 100_000 });
    lead = await createUser(t, 'lead');
    staff = await createUser(t, 'staff');
    const incident = await openIncident(t, lead);
    incidentId = incident.id;
    // Enough of a record that a render takes a noticeable moment.
    for (let i = 0; i < 150; i++) {
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
    // The refusals come back at once, long before the renders: wait for all of them.
    const settled: Awaited<ReturnType<typeof exportPdf>>[] = [];
    for (const p of flood) void p.then((r) => settled.push(r));
    while (settled.filter((r) => r.status === 429).length < FLOOD - 5) await new Promise((resolve) => setImmediate(resolve));
    const refusedMs = performance.now() - floodStart;

    const leadAskedAt = performance.now();
    const leadPdf = await exportPdf(lead);
    const leadMs = leadPdf.at - leadAskedAt;
    const staffAnswers = await Promise.all(flood);

    expect(leadPdf.status).toBe(200);
    expect(leadPdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    const served = staffAnswers.filter((r) => r.status === 200);
    const refused = staffAnswers.filter((r) => r.status === 429);
    // One running and four waiting; every other one refused with a problem and a Retry-After.
    expect(served).toHaveLength(5);
    expect(refused).toHaveLength(FLOOD - 5);
    for (const r of refused) {
      expect(r.type).toContain('application/problem+json');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Fair turns: of the staff's renders, at most the one already running when the lead asked
    // finished between the lead's request and the lead's answer.
    const staffDoneDuringLead = served.filter((r) => r.at > leadAskedAt && r.at < leadPdf.at);
    expect(staffDoneDuringLead.length).toBeLessThanOrEqual(1);
    expect(served.filter((r) => r.at > leadPdf.at).length).toBeGreaterThanOrEqual(3);

    console.info(
      `[pdf-queue] idle lead PDF ${idleMs.toFixed(0)} ms; ${FLOOD - 5} of ${FLOOD} staff PDFs refused (429) within ${refusedMs.toFixed(0)} ms; ` +
        `lead's PDF asked after the flood: ${leadMs.toFixed(0)} ms`,
    );
  });

  it('serves the staff member again once their line has room', async () => {
    const again = await exportPdf(staff);
    expect(again.status).toBe(200);
  });
});
