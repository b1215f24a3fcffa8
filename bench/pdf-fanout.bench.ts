import { spawn } from 'node:child_process';
import { median, percentile, fmt, type BenchResult, type Row } from './lib/report.ts';
import { runLoad, startServer } from './lib/servers.ts';

type Fanout = { latencies: number[]; incomplete: number };

const CLIENTS = 500;
const ROUNDS = 2;
type Mode = 'idle' | 'export' | 'control';

/**
 * Does a PDF export block the live room? Fan-out of alerts (500 subscribed clients, 20 alerts a
 * second, 300 alerts) on one Lodestone server holding an incident of 10,000 entries and 500 action
 * items: idle; while another client exports that incident's PDF record back to back; and, as a
 * control, while a busy loop that has nothing to do with Lodestone runs at the lowest priority
 * (what any background CPU work costs the fan-out on this machine). The order of the modes turns
 * from round to round; the table gives the median of the rounds' p50 and p99.
 */
export default async function pdfFanoutBench(): Promise<BenchResult> {
  const server = await startServer('lodestone', ['--entries', '10000', '--actions', '500']);
  try {
    // The PDF worker starts at the first export of a server's life (loading fonts and pdfkit):
    // one export before the rounds, so that they measure exports, not that one-time start.
    const target = { kind: 'lodestone', url: server.url, incidentId: server.info.incidentId, readers: server.info.readers };
    await runLoad({ type: 'export-loop', target, seconds: 0.1 });
    const runs: Record<Mode, Fanout[]> = { idle: [], export: [], control: [] };
    const exportTimes: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of r % 2 === 0 ? (['idle', 'export', 'control'] as const) : (['control', 'export', 'idle'] as const)) {
        const busyLoop = mode === 'control' ? spawn('nice', ['-n', '19', process.execPath, '-e', 'for (;;) {}'], { stdio: 'ignore' }) : null;
        const fanout = runLoad<Fanout>({ type: 'fanout', target, clients: CLIENTS, rate: 20, count: 300 });
        // The exports come from a process of their own, so that receiving PDFs does not slow the
        // process that times the fan-out; they run for longer than the alerts are posted.
        const exporting = mode === 'export' ? runLoad<{ times: number[] }>({ type: 'export-loop', target, seconds: 22 }) : null;
        try {
          runs[mode].push(await fanout);
          if (exporting) exportTimes.push(...(await exporting).times);
        } finally {
          busyLoop?.kill();
        }
      }
    }
    const q = (list: Fanout[], p: number) => median(list.map((run) => percentile(run.latencies, p)));
    const rows: Row[] = [50, 99].map((p) => {
      const idle = q(runs.idle, p);
      const during = q(runs.export, p);
      const control = q(runs.control, p);
      return {
        benchmark: 'export',
        measure: `PDF does not block: fan-out N=${CLIENTS} p${p} during PDF exports ÷ idle (control: a lowest-priority busy loop ÷ idle)`,
        lodestone: `${fmt(during)} ms`,
        baseline: `${fmt(idle)} ms idle · ${fmt(control)} ms control`,
        ratio: `${fmt(during / idle, 2)}× (control ${fmt(control / idle, 2)}×)`,
        ...(p === 99 ? { target: '≤ 1.2×', met: during / idle <= 1.2 } : {}),
      };
    });
    const details = {
      clients: CLIENTS,
      exportsDuringRounds: exportTimes.length,
      exportMs: exportTimes.map(Math.round),
      rounds: Object.fromEntries(Object.entries(runs).map(([mode, list]) => [mode, list.map((run) => ({ p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99), samples: run.latencies.length, incomplete: run.incomplete }))])),
    };
    return { name: 'pdf-fanout', rows, details };
  } finally {
    await server.stop();
  }
}
