import { parentPort } from 'node:worker_threads';
import { labels } from './labels.ts';
import { renderPdf } from './pdf.ts';
import type { RecordModel } from './record.model.ts';

export type PdfJob = { id: number; model: Omit<RecordModel, 'words'> };
export type PdfResult = { id: number; pdf?: Uint8Array; error?: string };

// The labels hold functions, which do not cross threads: the worker takes them from the language.
parentPort?.on('message', (job: PdfJob) => {
  renderPdf({ ...job.model, words: labels[job.model.lang] }).then(
    (pdf) => {
      const bytes = new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
      parentPort?.postMessage({ id: job.id, pdf: bytes } satisfies PdfResult, [bytes.buffer as ArrayBuffer]);
    },
    (error: unknown) => parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies PdfResult),
  );
});
