import { aliasedTable, and, desc, eq, inArray, isNotNull, lt, notInArray, type SQL } from 'drizzle-orm';
import { incidentStream, isDueInPast, may, type Action, type ActionCreate, type ActionPatch, type ActionsQuery, type Actor } from '@lodestone/shared';
import type { actions } from '../../db/schema.ts';
import type { Db } from '../../store/store.ts';
import { append, type Tx } from '../../events/event-log.ts';
import type { Mutation } from '../../events/mutation.ts';
import { problems, type FieldError } from '../../http/problem.ts';
import { newId } from '../../ids.ts';
import type { ServiceContext } from '../../services.ts';
import type { AuthUser } from '../../auth/policy.ts';
import type { IncidentsService } from '../incidents/incidents.service.ts';

type ActionRow = typeof actions.$inferSelect;

/** The fields a PATCH can change, in the order `changed` lists them. */
const ACTION_FIELDS = ['title', 'description', 'ownerId', 'agency', 'provision', 'priority', 'status', 'dueAt'] as const;

/** Action items: who does what by when, per incident and across them. */
export class ActionsService {
  private readonly owners;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly incidents: IncidentsService,
  ) {
    this.owners = aliasedTable(ctx.t.users, 'owners');
  }

  private async select(where: SQL | undefined, limit = 10_000, db: Db = this.ctx.db): Promise<Action[]> {
    const { actions, incidents } = this.ctx.t;
    const owners = this.owners;
    const rows = await db
      .select({ action: actions, code: incidents.code, owner: { id: owners.id, displayName: owners.displayName, agency: owners.agency, side: owners.side } })
      .from(actions)
      .innerJoin(incidents, eq(incidents.id, actions.incidentId))
      .leftJoin(owners, eq(owners.id, actions.ownerId))
      .where(where)
      .orderBy(desc(actions.createdAt), desc(actions.id))
      .limit(limit);
    return rows.map(({ action, code, owner }) => toAction(action, code, owner?.id ? (owner as Actor) : null));
  }

  /** An action item; `db` a transaction's, to read it where it is about to change. */
  async get(id: string, db?: Db): Promise<Action | undefined> {
    return (await this.select(eq(this.ctx.t.actions.id, id), 1, db))[0];
  }

  byIncident(incidentId: string): Promise<Action[]> {
    return this.select(eq(this.ctx.t.actions.incidentId, incidentId));
  }

  /** Items across incidents, only of incidents the reader may read. */
  list(reader: AuthUser, query: ActionsQuery): Promise<Action[]> {
    const { actions, incidentMembers } = this.ctx.t;
    const where: SQL[] = [];
    if (reader.role !== 'lead' && reader.role !== 'staff') {
      where.push(inArray(actions.incidentId, this.ctx.db.select({ id: incidentMembers.incidentId }).from(incidentMembers).where(eq(incidentMembers.userId, reader.id))));
    }
    if (query.owner) where.push(eq(actions.ownerId, query.owner === 'me' ? reader.id : query.owner));
    if (query.status) where.push(eq(actions.status, query.status));
    if (query.agency) where.push(eq(actions.agency, query.agency));
    if (query.provision) where.push(eq(actions.provision, query.provision));
    if (query.incident) where.push(eq(actions.incidentId, query.incident));
    if (query.before) where.push(lt(actions.createdAt, new Date(query.before).toISOString()));
    if (query.overdue === 'true') {
      where.push(isNotNull(actions.dueAt), lt(actions.dueAt, this.ctx.now().toISOString()), notInArray(actions.status, ['done', 'cancelled']));
    }
    return this.select(where.length ? and(...where) : undefined, query.limit);
  }

  /** An owner must be an enabled user who may read the incident. */
  private async checkOwner(db: Db, incidentId: string, ownerId: string | null | undefined, errors: FieldError[]): Promise<AuthUser | null> {
    if (!ownerId) return null;
    const { users } = this.ctx.t;
    const [user] = await db.select().from(users).where(eq(users.id, ownerId));
    if (!user || user.disabled) {
      errors.push({ path: 'ownerId', message: 'is not a known, enabled user', code: 'unknown_user' });
      return null;
    }
    if (!may.readIncident(user, (await this.incidents.isMember(incidentId, user.id)) ?? false)) {
      errors.push({ path: 'ownerId', message: 'cannot read this incident; add them as a member first', code: 'owner_cannot_read' });
      return null;
    }
    return user;
  }

  private async event(tx: Tx, mutation: Mutation, type: 'action.created' | 'action.updated', action: Action, extra: Record<string, unknown> = {}): Promise<void> {
    await append(tx, incidentStream(action.incidentId), type, mutation.actor, { ...action, ...extra });
  }

  create(mutation: Mutation, incidentId: string, input: ActionCreate): Promise<Action> {
    return this.ctx.commit(mutation, async (tx) => {
      const incident = await this.incidents.get(incidentId, tx.db);
      if (!incident) throw problems.notFound('incident');
      const errors: FieldError[] = [];
      const owner = await this.checkOwner(tx.db, incidentId, input.ownerId, errors);
      checkDue(input.dueAt, tx.at, errors);
      if (errors.length) throw problems.invalid(errors);
      const row: ActionRow = {
        id: newId(),
        incidentId,
        title: input.title,
        description: input.description ?? '',
        ownerId: owner?.id ?? null,
        agency: input.agency ?? owner?.agency ?? null,
        provision: input.provision ?? null,
        priority: input.priority ?? 'p3',
        status: 'open',
        dueAt: input.dueAt ? new Date(input.dueAt).toISOString() : null,
        version: 1,
        createdBy: mutation.actor.id,
        createdAt: tx.at,
        updatedAt: tx.at,
        updatedBy: JSON.stringify(mutation.actor),
        doneAt: null,
        cancelledAt: null,
      };
      await tx.db.insert(tx.t.actions).values(row);
      const action = toAction(row, incident.code, owner ? ownerActor(owner) : null);
      await this.event(tx, mutation, 'action.created', action);
      return action;
    });
  }

  /** Applies a PATCH based on `version`; stale is 409 with the current item (and who last changed it). */
  update(mutation: Mutation, id: string, patch: ActionPatch): Promise<Action> {
    return this.ctx.commit(mutation, async (tx) => {
      const before = await this.get(id, tx.db);
      if (!before) throw problems.notFound('action');
      if (patch.version !== before.version) {
        throw problems.stale(before, `This action item is at version ${before.version}; your change was based on version ${patch.version}.`);
      }
      const errors: FieldError[] = [];
      const owner = patch.ownerId === undefined ? undefined : await this.checkOwner(tx.db, before.incidentId, patch.ownerId, errors);
      // Only a due date this change sets is judged: an overdue item can still be updated otherwise.
      if (typeof patch.dueAt === 'string' && new Date(patch.dueAt).toISOString() !== before.dueAt) checkDue(patch.dueAt, tx.at, errors);
      if (errors.length) throw problems.invalid(errors);
      const next = { ...before };
      for (const field of ACTION_FIELDS) {
        const value = patch[field];
        if (value === undefined) continue;
        (next as Record<string, unknown>)[field] = field === 'dueAt' && typeof value === 'string' ? new Date(value).toISOString() : value;
      }
      // Every accepted PATCH is a new version (the contract answers "version + 1"), even one that changes no value.
      const changed = ACTION_FIELDS.filter((f) => next[f] !== before[f]);
      const previous = Object.fromEntries(changed.map((f) => [f, before[f]]));
      const after: Action = {
        ...next,
        owner: owner === undefined ? before.owner : owner ? ownerActor(owner) : null,
        version: before.version + 1,
        updatedAt: tx.at,
        updatedBy: mutation.actor,
        doneAt: next.status === 'done' ? (before.doneAt ?? tx.at) : null,
        cancelledAt: next.status === 'cancelled' ? (before.cancelledAt ?? tx.at) : null,
      };
      await tx.db
        .update(tx.t.actions)
        .set({
          title: after.title,
          description: after.description,
          ownerId: after.ownerId,
          agency: after.agency,
          provision: after.provision,
          priority: after.priority,
          status: after.status,
          dueAt: after.dueAt,
          version: after.version,
          updatedAt: after.updatedAt,
          updatedBy: JSON.stringify(after.updatedBy),
          doneAt: after.doneAt,
          cancelledAt: after.cancelledAt,
        })
        .where(eq(tx.t.actions.id, id));
      await this.event(tx, mutation, 'action.updated', after, { changed, previous });
      return after;
    });
  }
}

/** A due date being set must not be in the past, by the app's clock at the time of the change. */
function checkDue(dueAt: string | undefined, now: string, errors: FieldError[]): void {
  if (dueAt !== undefined && isDueInPast(dueAt, new Date(now))) {
    errors.push({ path: 'dueAt', message: `is in the past (it is now ${now})`, code: 'due_in_past', params: { now } });
  }
}

function ownerActor(user: Pick<AuthUser, 'id' | 'displayName' | 'agency' | 'side'>): Actor {
  return { id: user.id, displayName: user.displayName, agency: user.agency, side: user.side };
}

function toAction(row: ActionRow, incidentCode: string, owner: Actor | null): Action {
  return {
    id: row.id,
    incidentId: row.incidentId,
    incidentCode,
    title: row.title,
    description: row.description,
    ownerId: row.ownerId,
    owner,
    agency: row.agency,
    provision: row.provision,
    priority: row.priority,
    status: row.status,
    dueAt: row.dueAt,
    version: row.version,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    updatedBy: JSON.parse(row.updatedBy) as Actor,
    doneAt: row.doneAt,
    cancelledAt: row.cancelledAt,
  };
}
