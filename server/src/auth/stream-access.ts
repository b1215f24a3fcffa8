import type { StreamName } from '@lodestone/shared';
import { may, type AuthUser } from './policy.ts';

/** What stream access needs to know of incidents. */
export interface IncidentMembership {
  /** undefined when the incident does not exist. */
  isMember(incidentId: string, userId: string): Promise<boolean | undefined>;
}

export type AccessDecision = { ok: true } | { ok: false; status: 403 | 404; title: string };

const noIncidents: IncidentMembership = { isMember: () => Promise.resolve(undefined) };

/** Decides, in one place, who may read which event stream (HTTP and Socket.IO alike). */
export class StreamAccess {
  constructor(private incidents: IncidentMembership = noIncidents) {}

  useIncidents(incidents: IncidentMembership): void {
    this.incidents = incidents;
  }

  async check(user: AuthUser, stream: StreamName): Promise<AccessDecision> {
    if (stream === 'admin') return may.manageUsers(user) ? { ok: true } : forbidden;
    if (stream === 'alerts') return may.readAlerts(user) ? { ok: true } : forbidden;
    const incidentId = stream.slice('incident:'.length);
    const member = await this.incidents.isMember(incidentId, user.id);
    if (member === undefined) return { ok: false, status: 404, title: 'Not found' };
    return may.readIncident(user, member) ? { ok: true } : forbidden;
  }
}

const forbidden: AccessDecision = { ok: false, status: 403, title: 'Not allowed' };
