import { and, desc, eq, lt } from 'drizzle-orm';
import { incidentStream, type LodestoneEvent, type Message, type MessageCreate } from '@lodestone/shared';
import type { messages } from '../../db/schema.ts';
import { append } from '../../events/event-log.ts';
import type { Mutation } from '../../events/mutation.ts';
import { problems } from '../../http/problem.ts';
import { newId } from '../../ids.ts';
import type { ServiceContext } from '../../services.ts';
import type { AuthUser } from '../../auth/policy.ts';
import { messageRefusal } from '../../auth/not-allowed.ts';
import type { IncidentsService } from './incidents.service.ts';

type MessageRow = typeof messages.$inferSelect;

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    incidentId: row.incidentId,
    kind: row.kind,
    body: row.body,
    author: { id: row.authorId, displayName: row.authorName, agency: row.authorAgency, side: row.authorSide, ...(row.authorRole ? { role: row.authorRole } : {}) },
    at: row.at,
    seq: row.seq,
  };
}

/** An incident's timeline: notes by members, decisions by leads and co-leads, and every event of its stream. */
export class TimelineService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly incidents: IncidentsService,
  ) {}

  post(mutation: Mutation, author: AuthUser, incidentId: string, input: MessageCreate): Promise<Message> {
    return this.ctx.commit(mutation, async (tx) => {
      const incident = await this.incidents.get(incidentId, tx.db);
      if (!incident) throw problems.notFound('incident');
      const kind = input.kind ?? 'note';
      const member = (await this.incidents.isMember(incidentId, author.id)) ?? false;
      // Checked again here, in the transaction: membership may have changed since the route's check.
      const refusal = messageRefusal(kind, author, { member, coLead: this.incidents.isCoLead(incident, author.id) });
      if (refusal) throw problems.forbidden(refusal);
      if (incident.status === 'closed') throw problems.conflict(`${incident.code} is closed; reopen it to post.`, incident);
      const id = newId();
      const stream = incidentStream(incidentId);
      // Inside this write transaction the next seq is ours: the entry names its own place in the stream.
      const head = await tx.log.headOf(stream, tx.db);
      const message: Message = { id, incidentId, kind, body: input.body, author: mutation.actor, at: tx.at, seq: head.seq + 1 };
      await append(tx, stream, kind === 'decision' ? 'decision.recorded' : 'message.posted', mutation.actor, message);
      await tx.db.insert(tx.t.messages).values({
        id,
        incidentId,
        kind,
        body: input.body,
        authorId: author.id,
        authorName: mutation.actor.displayName,
        authorAgency: mutation.actor.agency,
        authorSide: mutation.actor.side,
        authorRole: mutation.actor.role ?? null,
        seq: message.seq,
        at: tx.at,
      });
      return message;
    });
  }

  /** Notes and decisions, newest first. */
  async messages(incidentId: string, query: { kind?: Message['kind']; limit: number; before?: string }): Promise<Message[]> {
    const { messages } = this.ctx.t;
    const rows = await this.ctx.db
      .select()
      .from(messages)
      .where(
        and(
          eq(messages.incidentId, incidentId),
          query.kind ? eq(messages.kind, query.kind) : undefined,
          query.before ? lt(messages.at, new Date(query.before).toISOString()) : undefined,
        ),
      )
      .orderBy(desc(messages.seq))
      .limit(query.limit);
    return rows.map(toMessage);
  }

  /** A page of the timeline, newest first: the stream's events before `before`. */
  async page(incidentId: string, before: number | undefined, limit: number): Promise<{ events: LodestoneEvent[]; head: number }> {
    const stream = incidentStream(incidentId);
    const head = await this.ctx.log.head(stream);
    return { events: await this.ctx.log.readBefore(stream, Math.min(before ?? head + 1, head + 1), limit), head };
  }
}
