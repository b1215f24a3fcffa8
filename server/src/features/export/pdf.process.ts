import { readdirSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { openStore } from '../../store/open.ts';
import type { Store } from '../../store/store.ts';
import { createServices, type Services } from '../../services.ts';
import { labels, type Lang } from './labels.ts';
import { renderPdf } from './pdf.ts';
import { buildRecord, type RecordModel } from './record.model.ts';

/** What to render: an incident read here from the database file, or a model built by the caller. */
export type PdfSource =
  | { kind: 'incident'; databaseUrl: string; incidentId: string; lang: Lang; generatedBy: string; now: string }
  | { kind: 'model'; model: Omit<RecordModel, 'words'> };
export type PdfJob = { id: number; source: PdfSource };
export type PdfResult = { id: number; pdf?: Uint8Array; error?: string; notFound?: boolean };

/**
 * Rendering is background work. Every thread of this process (its JavaScript, and V8's garbage
 * collector and compiler threads) drops to the lowest priority, so the server's event loop, which
 * carries everyone's live events, gets the CPU whenever it wants it. On Linux a nice value belongs
 * to one thread: each is lowered by its id.
 */
function lowerPriority(): void {
  let threads: number[];
  try {
    threads = readdirSync('/proc/self/task').map(Number);
  } catch {
    threads = [0];
  }
  for (const thread of threads) {
    try {
      setPriority(thread, constants.priority.PRIORITY_LOW);
    } catch {
      // Not permitted here: this thread renders at normal priority.
    }
  }
}

let reader: { url: string; store: Store; services: Services } | null = null;

/** This process's own read-only connection: a large record is read and built here, not on the event loop. */
async function servicesFor(url: string): Promise<Services> {
  if (reader?.url !== url) {
    await reader?.store.close();
    const store = await openStore(url, { readOnly: true, applicationName: 'lodestone-pdf' });
    const services = createServices(store, { clock: () => new Date(), passwordLog2N: 17, sessionIdleMs: 0, sessionMaxMs: 0 });
    reader = { url, store, services };
  }
  return reader.services;
}

async function modelOf(source: PdfSource): Promise<RecordModel | undefined> {
  // The labels hold functions, which do not cross processes: they come from the language here.
  if (source.kind === 'model') return { ...source.model, words: labels[source.model.lang] };
  const services = await servicesFor(source.databaseUrl);
  // One read transaction: the record is a single consistent snapshot of the incident.
  return services.store.snapshot(() => buildRecord(services, source.incidentId, source.lang, source.generatedBy, new Date(source.now)));
}

const send = (result: PdfResult) => process.send?.(result);

async function handle(job: PdfJob): Promise<void> {
  try {
    const model = await modelOf(job.source);
    if (!model) return void send({ id: job.id, notFound: true });
    const pdf = await renderPdf(model);
    send({ id: job.id, pdf: new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength) });
  } catch (error) {
    send({ id: job.id, error: error instanceof Error ? error.message : String(error) });
  }
}

lowerPriority();
process.on('message', (job: PdfJob) => void handle(job));
// The server went away (or closed the channel): nothing more will come.
process.on('disconnect', () => {
  void (reader?.store.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
