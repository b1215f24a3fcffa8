import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Id, rules } from '@lodestone/shared';
import { onIncident } from '../../auth/access.ts';
import { notAllowed } from '../../auth/not-allowed.ts';
import { refusals, schemaOf } from '../../http/openapi.ts';
import { problems } from '../../http/problem.ts';
import { parseQuery, pathId } from '../../http/validate.ts';
import { buildRecord } from './record.model.ts';
import { renderMarkdown } from './markdown.ts';
import { renderCsv } from './csv.ts';
import { renderJson } from './json.ts';
import { PdfRenderer, RecordNotFound, RenderTimedOut } from './pdf-renderer.ts';
import { AbandonedRender, PdfQueue } from './pdf-queue.ts';

/** What an abandoned PDF request resolves to (nothing is sent). */
const ABANDONED = Symbol('abandoned');

const IdParams = z.strictObject({ id: Id });
const ExportQuery = z.strictObject({
  format: z.enum(['markdown', 'pdf', 'csv', 'json']),
  lang: z.enum(['en', 'ja']).optional(),
});

const FORMATS = {
  markdown: { ext: 'md', type: 'text/markdown; charset=utf-8' },
  pdf: { ext: 'pdf', type: 'application/pdf' },
  csv: { ext: 'csv', type: 'text/csv; charset=utf-8; header=present' },
  json: { ext: 'json', type: 'application/json; charset=utf-8' },
} as const;

/** The after-action record of an incident, as a download in four formats rendered from one model. */
export async function exportRoutes(app: FastifyInstance): Promise<void> {
  const services = app.lodestone;
  const pdf = new PdfRenderer(services.store.url);
  app.addHook('onClose', () => pdf.close());
  // One render at a time per user, a few waiting per user and in all, users taking turns (finding 6 of issue 14).
  const queue = new PdfQueue();
  const exporters = onIncident(services.incidents, rules.exportRecord, notAllowed.exportRecord, (request: FastifyRequest) => ({
    incidentId: pathId(request.params, 'incident'),
  }));

  app.get(
    '/incidents/:id/export',
    { config: exporters.config,
      schema: {
        tags: ['export'],
        summary:
          'The after-action record (leads, members of the incident, staff) as a download: markdown, pdf, csv (timeline) or json (with the hash chain). PDFs render one at a time per user, users taking turns; past 4 waiting for one user or 64 in all, 429 with Retry-After',
        params: schemaOf(IdParams),
        querystring: schemaOf(ExportQuery),
        response: refusals(400, 404, 429),
      },
    },
    async (request, reply) => {
      const { user, incident } = await exporters.granted(request);
      const id = incident.id;
      const query = parseQuery(ExportQuery, request.query);
      const lang = query.lang ?? user.locale;
      const generatedBy = `${user.displayName} (${user.agency})`;
      const format = FORMATS[query.format];
      const { code } = (await services.incidents.row(id)) ?? { code: null };
      if (code === null) throw problems.notFound('incident');
      let body: string | Buffer | typeof ABANDONED;
      if (query.format === 'pdf') {
        // A client that goes away before its turn leaves the queue.
        const abandoned = new AbortController();
        reply.raw.once('close', () => {
          if (!reply.raw.writableFinished) abandoned.abort();
        });
        // Waiting its turn sends nothing: the idle timeout must not cut the request meanwhile
        // (the render itself is bounded by the renderer's timeout). Restored once answered.
        // (Injected requests, as in tests, have no real socket.)
        const socket = request.raw.socket as Partial<typeof request.raw.socket> | undefined;
        if (typeof socket?.setTimeout === 'function') {
          const idleMs = socket.timeout ?? 0;
          socket.setTimeout(0);
          reply.raw.once('finish', () => socket.setTimeout?.(idleMs));
        }
        body = await queue.run(
          user.id,
          async () => {
            // A PDF of a long incident takes seconds: with a database file the PDF process reads, builds and renders it.
            if (pdf.readsDatabase) return pdf.renderIncident({ incidentId: id, lang, generatedBy, now: services.context.now() });
            const record = await buildRecord(services, id, lang, generatedBy);
            if (!record) throw new RecordNotFound('incident');
            return pdf.render(record);
          },
          abandoned.signal,
        ).catch((error: unknown): typeof ABANDONED => {
          if (error instanceof AbandonedRender) return ABANDONED;
          if (error instanceof RecordNotFound) throw problems.notFound('incident');
          if (error instanceof RenderTimedOut) throw problems.unavailable(5, 'The PDF could not be made in time; try again. The other formats are not affected.');
          throw error;
        });
        // The client left before its turn: no one to answer, nothing to report.
        if (body === ABANDONED) {
          reply.hijack();
          return reply;
        }
      } else {
        const record = await buildRecord(services, id, lang, generatedBy);
        if (!record) throw problems.notFound('incident');
        body = query.format === 'markdown' ? renderMarkdown(record) : query.format === 'csv' ? renderCsv(record) : renderJson(record);
      }
      return reply
        .header('content-type', format.type)
        // The language is in the name: the English and Japanese records of one incident are two files.
        .header('content-disposition', `attachment; filename="${code}-after-action.${lang}.${format.ext}"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
