import type { Role, Side } from '@lodestone/shared';
import type { Services } from '../services.ts';
import type { AuthUser } from '../auth/policy.ts';
import { actorOf, toAuthUser } from '../features/users/users.service.ts';
import { demoHistory, type DemoWorld } from './history.ts';

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

/**
 * Loads the demo scenario on a new database: an account for every role on both sides, then the
 * whole history (history.ts) played at its own dates, in time order: the real export-control
 * events of recent years as alerts, posted, acknowledged and dismissed, and the April 2025
 * controls worked as an incident room with its notes, decisions and action items.
 */
export async function loadDemoScenario(services: Services): Promise<DemoCast> {
  const cast: DemoCast = {};
  for (const u of DEMO_USERS) {
    const created = await services.users.create(null, { ...u, password: DEMO_PASSWORD });
    const row = await services.users.row(created.id);
    if (row) cast[u.username] = toAuthUser(row);
  }
  const world: DemoWorld = {
    services,
    as: (username) => {
      const user = cast[username];
      if (!user) throw new Error(`demo user ${username} missing`);
      return { user, mutation: { actor: actorOf(user) } };
    },
    alerts: new Map(),
    actions: new Map(),
  };
  for (const step of demoHistory()) await services.context.at(new Date(step.at), () => step.run(world));
  return cast;
}
