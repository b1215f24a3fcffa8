import type { Client, seedCast } from './server-process.ts';

type Cast = Awaited<ReturnType<typeof seedCast>>;

/**
 * Sends one mutation with an Idempotency-Key of its own and retries it (same key, same body)
 * until it gets an answer; null when it gave up. Each crash script has its own way of retrying.
 */
export type Mutate = (client: Client, method: string, path: string, body: unknown) => Promise<{ status: number; body: unknown } | null>;

export interface WriteLoad {
  /** Ids of acknowledged alerts and notes; the highest acknowledged version of each action item. */
  acked: { alerts: Set<string>; notes: Set<string>; actions: Map<string, number> };
  readonly attempted: number;
  readonly conflicts: number;
  readonly actionUpdates: number;
  /** Lets every worker finish its current mutation, then resolves. */
  stop(): Promise<void>;
}

/**
 * The crash scripts' write load: `workers` clients post alerts (titles `crash alert N-I`) and
 * notes (`crash note N-I`) and update action items (titles `Updated N-I`, two per incident,
 * created here first) across the cast's incidents, each mutation through `mutate`.
 */
export async function startWriteLoad(cast: Cast, rand: () => number, mutate: Mutate, workers = 6): Promise<WriteLoad> {
  const writers = [...cast.leads, ...cast.members];
  const posters = [...cast.leads, ...cast.members, ...cast.liaisons];
  const actions: { id: string; version: number }[] = [];
  for (const incidentId of cast.incidentIds) {
    for (let i = 0; i < 2; i++) {
      const action = await (cast.leads[0] as Client).ok<{ id: string; version: number }>('POST', `/incidents/${incidentId}/actions`, { title: `Action ${i} of ${incidentId}` });
      actions.push({ id: action.id, version: action.version });
    }
  }

  const acked = { alerts: new Set<string>(), notes: new Set<string>(), actions: new Map<string, number>() };
  const counts = { attempted: 0, conflicts: 0, actionUpdates: 0 };
  let running = true;

  async function worker(n: number): Promise<void> {
    let i = 0;
    while (running) {
      i++;
      const choice = rand();
      counts.attempted++;
      if (choice < 0.35) {
        const client = posters[n % posters.length] as Client;
        const res = await mutate(client, 'POST', '/alerts', { mineral: 'gallium', type: 'price_spike', severity: 'moderate', title: `crash alert ${n}-${i}`, body: 'crash loop' });
        if (res && res.status === 201) acked.alerts.add((res.body as { id: string }).id);
      } else if (choice < 0.75) {
        const client = writers[n % writers.length] as Client;
        const incidentId = cast.incidentIds[Math.floor(rand() * cast.incidentIds.length)] as string;
        const res = await mutate(client, 'POST', `/incidents/${incidentId}/messages`, { body: `crash note ${n}-${i}` });
        if (res && res.status === 201) acked.notes.add((res.body as { id: string }).id);
      } else {
        const client = cast.leads[n % cast.leads.length] as Client;
        const action = actions[Math.floor(rand() * actions.length)] as { id: string; version: number };
        const res = await mutate(client, 'PATCH', `/actions/${action.id}`, { version: action.version, title: `Updated ${n}-${i}` });
        if (res && res.status === 200) {
          counts.actionUpdates++;
          const version = (res.body as { version: number }).version;
          action.version = Math.max(action.version, version);
          acked.actions.set(action.id, Math.max(acked.actions.get(action.id) ?? 0, version));
        } else if (res && res.status === 409) {
          counts.conflicts++;
          action.version = (res.body as { current?: { version: number } }).current?.version ?? action.version;
        }
      }
    }
  }

  const running$ = Array.from({ length: workers }, (_, n) => worker(n));
  return {
    acked,
    get attempted() {
      return counts.attempted;
    },
    get conflicts() {
      return counts.conflicts;
    },
    get actionUpdates() {
      return counts.actionUpdates;
    },
    async stop() {
      running = false;
      await Promise.all(running$);
    },
  };
}
