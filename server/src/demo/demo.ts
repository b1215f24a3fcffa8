import { disruptions, type AlertCreate, type Role, type Side } from '@lodestone/shared';
import type { Services } from '../services.ts';
import type { AuthUser } from '../auth/policy.ts';
import { actorOf, toAuthUser } from '../features/users/users.service.ts';
import type { Mutation } from '../events/mutation.ts';

/** The password of every demo account (README, "Demo scenario"). */
export const DEMO_PASSWORD = 'rrg-demo-2026';

export const DEMO_USERS: { username: string; displayName: string; role: Role; agency: string; side: Side }[] = [
  { username: 'doe.lead', displayName: 'Jordan Hayes', role: 'lead', agency: 'DOE', side: 'US' },
  { username: 'meti.lead', displayName: '佐藤 美咲', role: 'lead', agency: 'METI', side: 'JP' },
  { username: 'doe.member', displayName: 'Priya Raman', role: 'member', agency: 'DOE', side: 'US' },
  { username: 'meti.member', displayName: '高橋 健', role: 'member', agency: 'METI', side: 'JP' },
  { username: 'state.liaison', displayName: 'Daniel Brooks', role: 'liaison', agency: 'State', side: 'US' },
  { username: 'jogmec.liaison', displayName: '中村 彩', role: 'liaison', agency: 'JOGMEC', side: 'JP' },
  { username: 'doe.staff', displayName: 'Morgan Lee', role: 'staff', agency: 'DOE', side: 'US' },
  { username: 'meti.staff', displayName: '山本 大輔', role: 'staff', agency: 'METI', side: 'JP' },
];

export type DemoCast = Record<string, AuthUser>;

const HOUR = 3_600_000;

function countryOf(issuer: string): string | undefined {
  if (issuer.startsWith('MOFCOM')) return 'CN';
  if (issuer === 'Government of Japan') return 'JP';
  return undefined;
}

function severityOf(summary: string, type: string, minerals: number): AlertCreate['severity'] {
  if (type === 'policy') return /suspend/i.test(summary) ? 'low' : 'moderate';
  if (/barred|ban/i.test(summary) || minerals >= 5) return 'critical';
  return 'high';
}

/**
 * Loads the demo scenario on a new database: an account for every role on both sides, and
 * the real export-control events of recent years as alerts, posted and acknowledged at their
 * own dates so the feed and the audit chain read like history.
 */
export async function loadDemoScenario(services: Services): Promise<DemoCast> {
  const cast: DemoCast = {};
  for (const u of DEMO_USERS) {
    const created = await services.users.create(null, { ...u, password: DEMO_PASSWORD });
    const row = services.users.row(created.id);
    if (row) cast[u.username] = toAuthUser(row);
  }
  const as = (username: string): { user: AuthUser; mutation: Mutation } => {
    const user = cast[username];
    if (!user) throw new Error(`demo user ${username} missing`);
    return { user, mutation: { actor: actorOf(user) } };
  };

  const events = [...disruptions].filter((d) => d.minerals.length > 0).sort((a, b) => a.date.localeCompare(b.date));
  for (const d of events) {
    // Posted on the morning the notice came out, Tokyo time; the JP liaison reads MOFCOM first.
    const postedAt = new Date(`${d.date}T00:30:00Z`);
    const poster = as(d.issuer.startsWith('MOFCOM') ? 'jogmec.liaison' : 'state.liaison');
    const names = d.minerals.join(', ');
    const input: AlertCreate = {
      mineral: d.minerals[0] ?? 'gallium',
      type: d.type === 'policy' ? 'policy' : 'export_control',
      severity: severityOf(d.summary, d.type, d.minerals.length),
      title: `${d.issuer} ${d.ref}: ${d.summary}`.slice(0, 200),
      body: [d.summary + '.', `Minerals: ${names}.`, d.effective ? `Effective ${d.effective}.` : '', `Announced ${d.date}.`].filter(Boolean).join('\n'),
      source: `${d.issuer} — ${d.ref}`,
      tlp: d.type === 'policy' ? 'GREEN' : 'AMBER',
      ...(countryOf(d.issuer) ? { originCountry: countryOf(d.issuer) } : {}),
    };
    const alert = services.context.at(postedAt, () => services.alerts.post(poster.mutation, poster.user, input));
    const ackers = d.date < '2026-01-01' ? ['meti.member', 'doe.member'] : ['meti.member'];
    ackers.forEach((username, i) => {
      const acker = as(username);
      services.context.at(new Date(postedAt.getTime() + (i + 1) * 2 * HOUR), () => services.alerts.acknowledge(acker.mutation, acker.user, alert.id));
    });
    if (d.type === 'policy' && /suspend/i.test(d.summary)) {
      const lead = as('meti.lead');
      services.context.at(new Date(postedAt.getTime() + 6 * HOUR), () =>
        services.alerts.dismiss(lead.mutation, lead.user, alert.id, 'Suspension noted; the one-year pause is tracked in the weekly review. No separate incident.'),
      );
    }
  }
  return cast;
}
