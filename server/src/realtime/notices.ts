import { allows, rules, type LodestoneEvent, type Role } from '@lodestone/shared';
import type { IncidentsService } from '../features/incidents/incidents.service.ts';
import { rooms } from './rooms.ts';
import type { RealtimeServer } from './types.ts';

/** Event types after which lists of incidents are stale for those who may read the incident. */
const LIST_CHANGES = new Set(['incident.created', 'incident.updated', 'member.added', 'member.removed']);

/** Roles that read every incident, member or not: their role's room hears of every incident. */
const READ_EVERY_INCIDENT: readonly Role[] = rules.readIncident.filter((clause) => clause.if === undefined).flatMap((clause) => clause.roles);

/**
 * Notices beside the streams: `incidentChanged` to everyone who may read an incident that was
 * opened or changed (and to a member removed from it), `actionChanged` to the owners of an
 * action item. Addressed to rooms of roles and users, so a change costs one membership query
 * whatever the number of sockets.
 */
export class Notices {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private readonly io: RealtimeServer,
    private readonly incidents: Pick<IncidentsService, 'members'>,
  ) {}

  /** Sends what `event` calls for, if anything. */
  after(event: LodestoneEvent): void {
    // In the order of the events, though each waits for a query.
    if (LIST_CHANGES.has(event.type)) this.chain = this.chain.then(() => this.incidentChanged(event)).catch(() => undefined);
    if (event.type === 'action.created' || event.type === 'action.updated') this.actionChanged(event);
  }

  private async incidentChanged(event: LodestoneEvent): Promise<void> {
    const incidentId = event.stream.slice('incident:'.length);
    const readers = READ_EVERY_INCIDENT.map(rooms.role);
    for (const member of await this.incidents.members(incidentId)) {
      if (!READ_EVERY_INCIDENT.includes(member.role) && allows(rules.readIncident, member, { member: true })) readers.push(rooms.user(member.id));
    }
    const removed = event.type === 'member.removed' ? (event.data as { id?: unknown }).id : undefined;
    if (typeof removed === 'string') readers.push(rooms.user(removed));
    this.io.to(readers).emit('incidentChanged', { incidentId, type: event.type });
  }

  private actionChanged(event: LodestoneEvent): void {
    const data = event.data as { id: string; incidentId: string; ownerId: string | null; previous?: { ownerId?: string | null } };
    const owners = new Set([data.ownerId, data.previous?.ownerId].filter((id): id is string => typeof id === 'string'));
    if (owners.size > 0) this.io.to([...owners].map(rooms.user)).emit('actionChanged', { actionId: data.id, incidentId: data.incidentId });
  }
}
