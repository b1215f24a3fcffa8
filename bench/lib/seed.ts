import type { Services } from '../../server/src/services.ts';
import type * as UsersModule from '../../server/src/features/users/users.service.ts';
import type { AuthUser } from '../../server/src/auth/policy.ts';
import type * as SharedModule from '@lodestone/shared';
import { serverModule, sharedModule } from './compiled.ts';

const { actorOf, toAuthUser } = await serverModule<typeof UsersModule>('features/users/users.service.js');
const { provisions } = await sharedModule<typeof SharedModule>('index.js');

/** Accounts for a benchmark: a lead and members on both sides. */
export async function seedPeople(services: Services, count = 4): Promise<AuthUser[]> {
  const people: AuthUser[] = [];
  for (let i = 0; i < count; i++) {
    const side = i % 2 ? 'JP' : 'US';
    const user = await services.users.create(null, {
      username: `bench${i}`,
      displayName: i % 2 ? `高橋 健${i}` : `Priya Raman ${i}`,
      password: 'bench-password',
      role: i === 0 ? 'lead' : 'member',
      agency: side === 'JP' ? 'METI' : 'DOE',
      side,
    });
    const row = await services.users.row(user.id);
    if (row) people.push(toAuthUser(row));
  }
  return people;
}

/**
 * `count` staff accounts, each with a personal API token: the subscribers of the load generator
 * are distinct people, as real clients are (presence and budgets count people and credentials,
 * which one shared account would hide). Staff read the alert feed and every incident.
 */
export async function seedReaders(services: Services, count: number): Promise<string[]> {
  const tokens: string[] = [];
  // Created 100 at a time: changes sent together share a group commit.
  for (let from = 0; from < count; from += 100) {
    const batch = Array.from({ length: Math.min(100, count - from) }, async (_, k) => {
      const i = from + k;
      const user = await services.users.create(null, {
        username: `reader${i}`,
        displayName: `Reader ${String(i).padStart(4, '0')}`,
        password: 'bench-password',
        role: 'staff',
        agency: i % 2 ? 'METI' : 'DOE',
        side: i % 2 ? 'JP' : 'US',
      });
      const row = await services.users.row(user.id);
      if (!row) throw new Error(`no reader ${i}`);
      const owner = toAuthUser(row);
      return (await services.tokens.create({ actor: actorOf(owner) }, owner, 'load generator')).token;
    });
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens;
}

/**
 * An incident with `entries` timeline entries (notes, decisions every 50th, in both languages)
 * and `actions` action items, written through the services as the app would.
 */
export async function seedLargeIncident(services: Services, entries: number, actions: number): Promise<string> {
  const people = await seedPeople(services);
  const [lead, ...members] = people;
  if (!lead) throw new Error('no lead');
  const incident = await services.incidents.create({ actor: actorOf(lead) }, lead, { title: 'Benchmark: heavy rare earth licensing / 重希土類の輸出許可', severity: 'critical', minerals: ['dysprosium', 'terbium'] });
  for (const m of members) await services.incidents.addMember({ actor: actorOf(lead) }, incident.id, m.id);
  const writers = [lead, ...members];
  // Changes sent together share a group commit, as concurrent requests would.
  let inFlight: Promise<unknown>[] = [];
  const settle = async (force = false) => {
    if (inFlight.length >= 500 || force) await Promise.all(inFlight.splice(0));
  };
  for (let i = 0; i < entries; i++) {
    const author = writers[i % writers.length] ?? lead;
    const decision = i % 50 === 0 && author.role === 'lead';
    inFlight.push(
      services.timeline.post({ actor: actorOf(author) }, author, incident.id, {
        body: i % 3 === 0 ? `在庫確認の続報 ${i}：ジスプロシウムの出荷は天津港で保留中。` : `Update ${i}: shipment tracking for Dy oxide, licence review ongoing at MOFCOM.`,
        kind: decision ? 'decision' : 'note',
      }),
    );
    await settle();
  }
  await settle(true);
  const created = await Promise.all(
    Array.from({ length: actions }, (_, i) =>
      services.actions.create({ actor: actorOf(lead) }, incident.id, {
        title: `Action ${i}: ${i % 2 ? '備蓄の確認' : 'Brief the export-control office'}`,
        ownerId: (writers[i % writers.length] ?? lead).id,
        provision: provisions[i % provisions.length]?.id,
        priority: (['p1', 'p2', 'p3', 'p4'] as const)[i % 4],
        // Due in the days ahead (a due date in the past is refused).
        dueAt: new Date(Date.now() + (1 + (i % 300)) * 86_400_000).toISOString(),
      }),
    ),
  );
  inFlight = created.filter((_, i) => i % 3 === 0).map((a) => services.actions.update({ actor: actorOf(lead) }, a.id, { version: 1, status: 'done' }));
  await settle(true);
  return incident.id;
}
