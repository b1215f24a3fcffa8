import type { IncidentDetail } from '@lodestone/shared';
import type { TestApp, TestUser } from './app.ts';

/** Opens an incident through the API as `lead`, with the given members added. */
export async function openIncident(
  t: Pick<TestApp, 'app'>,
  lead: TestUser,
  options: { members?: TestUser[]; body?: Record<string, unknown> } = {},
): Promise<IncidentDetail> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/incidents',
    headers: { cookie: lead.cookie },
    payload: { title: 'Heavy rare earth export licences', severity: 'high', minerals: ['dysprosium', 'terbium'], ...options.body },
  });
  if (res.statusCode !== 201) throw new Error(`opening an incident failed: ${res.statusCode} ${res.body}`);
  const incident = res.json() as IncidentDetail;
  for (const m of options.members ?? []) {
    const added = await t.app.inject({ method: 'PUT', url: `/api/v1/incidents/${incident.id}/members/${m.user.id}`, headers: { cookie: lead.cookie } });
    if (added.statusCode !== 204) throw new Error(`adding a member failed: ${added.statusCode} ${added.body}`);
  }
  return incident;
}
