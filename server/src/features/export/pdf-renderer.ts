import { Worker } from 'node:worker_threads';
import type { RecordModel } from './record.model.ts';
import type { PdfJob, PdfResult } from './pdf.worker.ts';

/**
 * Renders PDFs in a worker thread, so a long record (10,000 entries take seconds) never
 * blocks the event loop that carries everyone's live events. One worker, started on first use.
 */
export class PdfRenderer {
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (pdf: Buffer) => void; reject: (error: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./pdf.worker.mjs', import.meta.url));
    worker.on('message', (result: PdfResult) => {
      const waiting = this.pending.get(result.id);
      if (!waiting) return;
      this.pending.delete(result.id);
      // An idle worker must not keep the process alive; a busy one must.
      if (this.pending.size === 0) worker.unref();
      if (result.pdf) waiting.resolve(Buffer.from(result.pdf.buffer, result.pdf.byteOffset, result.pdf.byteLength));
      else waiting.reject(new Error(result.error ?? 'PDF rendering failed'));
    });
    const fail = (error: Error) => {
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`PDF worker exited with ${code}`));
      this.worker = null;
    });
    this.worker = worker;
    return worker;
  }

  render(model: RecordModel): Promise<Buffer> {
    const { words: _words, ...transferable } = model;
    const id = this.next++;
    const job: PdfJob = { id, model: transferable };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const worker = this.start();
      worker.ref();
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
