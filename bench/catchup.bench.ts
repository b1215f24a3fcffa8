import { fmt, median, type BenchResult, type Row } from './lib/report.ts';
import { runLoad, startServer } from './lib/servers.ts';

const PLAN = [
  { missed: 1000, repeat: 30 },
  { missed: 10000, repeat: 6 },
];

/**
 * Re-subscribe after 1,000 and after 10,000 missed events (the ack's 500, then GET /events
 * pages of 1,000), by one client already connected. Server time is the time the server's main
 * thread is busy (event loop utilization) during the repetitions, per 1,000 events; the whole
 * process's CPU time (from /proc, 10 ms ticks, with GC and JIT threads) and the client's time
 * are given beside it.
 */
export default async function catchupBench(): Promise<BenchResult> {
  const server = await startServer('lodestone', ['--entries', '10500']);
  try {
    const rows: Row[] = [];
    const details: Record<string, unknown> = {};
    for (const { missed, repeat } of PLAN) {
      // Warm-up, not measured: a server that has run a while has its code compiled by the JIT and
      // the recent events in SQLite's page cache (this one has just started on a seeded database).
      await runLoad({ type: 'catchup', target: { kind: 'lodestone', url: server.url, incidentId: server.info.incidentId }, missed: [missed], repeat: 3 });
      let before = { busy: 0, cpu: 0 };
      const { results } = await runLoad<{ results: Record<string, number[]> }>(
        { type: 'catchup', target: { kind: 'lodestone', url: server.url, incidentId: server.info.incidentId }, missed: [missed], repeat },
        async () => (before = { busy: await server.busyMs(), cpu: server.cpuMs() }),
      );
      const busy = (await server.busyMs()) - before.busy;
      const cpu = server.cpuMs() - before.cpu;
      const per1000 = busy / repeat / (missed / 1000);
      const cpuPer1000 = cpu / repeat / (missed / 1000);
      const client = median(results[missed] ?? []);
      details[missed] = { serverBusyMs: busy, serverCpuMs: cpu, repeat, clientMs: results[missed] };
      rows.push({
        benchmark: 'catch-up',
        measure: `${missed.toLocaleString('en')} missed: server time per 1,000 events (process CPU incl. GC/JIT threads) · client total`,
        lodestone: `${fmt(per1000, 2)} ms (${fmt(cpuPer1000, 1)} ms) · ${fmt(client, 1)} ms`,
        target: '≤ 5 ms per 1,000',
        met: per1000 <= 5,
      });
    }
    return { name: 'catchup', rows, details };
  } finally {
    await server.stop();
  }
}
