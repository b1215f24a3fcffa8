import { fork, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RecordModel } from './record.model.ts';
import type { PdfJob, PdfResult, PdfSource } from './pdf.process.ts';

/** The incident is not there (any more): the caller answers 404. */
export class RecordNotFound extends Error {}

/**
 * The PDF process's entry: built beside this file as JavaScript when the server runs compiled
 * (`npm start`), else a bootstrap that registers tsx for the TypeScript sources.
 */
const ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? './pdf.process.js' : './pdf.process.mjs', import.meta.url));
const CHRT = '/usr/bin/chrt';

let idleScheduling: boolean | undefined;
/**
 * Whether this machine can run the PDF process under Linux's SCHED_IDLE policy (`chrt --idle`):
 * it then gets a core only when nothing else wants one, which keeps it further out of the event
 * loop's way than the lowest nice level, which still takes a share. Checked once.
 */
function canScheduleIdle(): boolean {
  idleScheduling ??= existsSync(CHRT) && spawnSync(CHRT, ['--idle', '0', process.execPath, '-e', ''], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return idleScheduling;
}

/**
 * Renders PDFs in a child process at the lowest CPU priority (SCHED_IDLE where Linux's `chrt`
 * allows, else nice 19 on every thread), so a long record (10,000 entries
 * take seconds) never slows the event loop that carries everyone's live events: not by running
 * on it, and not by competing with it for a core. With a database file, the process also reads
 * the incident and builds the record on its own read-only connection. One process, started on
 * first use, kept while the server runs.
 */
/** A render that did not finish in time; its process was replaced. */
export class RenderTimedOut extends Error {
  constructor(readonly ms: number) {
    super(`PDF render did not finish within ${Math.round(ms / 1000)} s; the PDF process was restarted`);
    this.name = 'RenderTimedOut';
  }
}

/** How long one render may take before it is failed and the process replaced. */
const RENDER_TIMEOUT_MS = 120_000;

export class PdfRenderer {
  private child: ChildProcess | null = null;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (pdf: Buffer) => void; reject: (error: Error) => void }>();

  /**
   * `databaseUrl`: the database the process may open to read (a SQLite file or PostgreSQL), or null (an in-memory database).
   * `timeoutMs`: a render not done by then is failed and the process replaced, so that a stuck
   * render cannot hold the queue (the longest record renders in a few seconds).
   */
  constructor(
    private readonly databaseUrl: string | null,
    private readonly timeoutMs = RENDER_TIMEOUT_MS,
  ) {}

  /** Whether records are built by the PDF process (else the caller builds one and passes it). */
  get readsDatabase(): boolean {
    return this.databaseUrl !== null;
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const options: { serialization: 'advanced'; stdio: StdioOptions } = { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] };
    // chrt execs Node in its own place, which keeps the IPC channel fork() would set up.
    const child = canScheduleIdle() ? spawn(CHRT, ['--idle', '0', process.execPath, ENTRY], options) : fork(ENTRY, [], { ...options, execArgv: [] });
    child.on('message', (result: PdfResult) => {
      const waiting = this.pending.get(result.id);
      if (!waiting) return;
      this.pending.delete(result.id);
      this.idle(child);
      if (result.pdf) waiting.resolve(Buffer.from(result.pdf.buffer, result.pdf.byteOffset, result.pdf.byteLength));
      else if (result.notFound) waiting.reject(new RecordNotFound('incident'));
      else waiting.reject(new Error(result.error ?? 'PDF rendering failed'));
    });
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      if (this.child === child) this.child = null;
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`PDF process exited (${signal ?? code})`)));
    this.child = child;
    return child;
  }

  /** An idle PDF process must not keep the server alive; a busy one must. */
  private idle(child: ChildProcess): void {
    if (this.pending.size > 0) return;
    child.unref();
    child.channel?.unref();
  }

  /** The record of an incident, read and built in the PDF process (needs a database file). */
  renderIncident(request: { incidentId: string; lang: 'en' | 'ja'; generatedBy: string; now: Date }): Promise<Buffer> {
    if (this.databaseUrl === null) throw new Error('renderIncident needs a database file');
    return this.post({ kind: 'incident', databaseUrl: this.databaseUrl, incidentId: request.incidentId, lang: request.lang, generatedBy: request.generatedBy, now: request.now.toISOString() });
  }

  /** A record built by the caller. */
  render(model: RecordModel): Promise<Buffer> {
    const { words: _words, ...transferable } = model;
    return this.post({ kind: 'model', model: transferable });
  }

  private post(source: PdfSource): Promise<Buffer> {
    const id = this.next++;
    const job: PdfJob = { id, source };
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(new RenderTimedOut(this.timeoutMs));
        // The stuck process goes; the next render starts a new one (its other jobs, if any, fail with it).
        this.child?.kill('SIGKILL');
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (pdf) => {
          clearTimeout(timer);
          resolve(pdf);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      const child = this.start();
      child.ref();
      child.channel?.ref();
      child.send(job, (error) => {
        if (error && this.pending.delete(id)) reject(error);
      });
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }
}
