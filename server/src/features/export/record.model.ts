import {
  CHAIN_ALGORITHM,
  incidentStream,
  isOverdue,
  mineralsById,
  provisionsById,
  type Action,
  type Actor,
  type Alert,
  type Incident,
  type IncidentMember,
  type LodestoneEvent,
  type Message,
  type Person,
} from '@lodestone/shared';
import type { Services } from '../../services.ts';
import { labels, type Lang, type Labels } from './labels.ts';
import { threeZones, type ThreeZones } from './times.ts';
import { describeEvent, type NameOf } from './entries.ts';

/** A written time shown beside the posting time only when they differ by a minute or more. */
const WRITTEN_APART_MS = 60_000;

export interface TimelineRow {
  seq: number;
  at: string;
  times: ThreeZones;
  type: string;
  kind: 'note' | 'decision' | 'system';
  actor: string;
  agency: string;
  side: string;
  /** The actor's role in the record's language, as recorded with the event (else their role now); '' for the system. */
  role: string;
  text: string;
}

export interface RecordModel {
  lang: Lang;
  words: Labels;
  generatedAt: ThreeZones;
  generatedBy: string;
  incident: Incident;
  members: IncidentMember[];
  coLeads: { US: Person | null; JP: Person | null };
  participantsByAgency: { agency: string; names: string[] }[];
  minerals: { id: string; name: string; other: string }[];
  opened: ThreeZones;
  closed: ThreeZones | null;
  history: { at: ThreeZones; actor: string; status: string; severity: string }[];
  timeline: TimelineRow[];
  decisions: TimelineRow[];
  /** `written`: when the alert was written (observedAt), if a minute or more before it was posted. */
  alerts: (Alert & { posterRole: string; posted: ThreeZones; written: ThreeZones | null; acks: { name: string; agency: string; side: string; at: ThreeZones }[] })[];
  actions: (Action & { provisionName: string; due: ThreeZones | null; completed: ThreeZones | null; overdue: boolean; statusName: string })[];
  metrics: {
    firstAlertToOpenedMs: number | null;
    alertToFirstAckMs: { US: number | null; JP: number | null };
    openedToFirstDecisionMs: number | null;
    actions: { done: number; open: number; overdue: number; cancelled: number };
  };
  events: LodestoneEvent[];
  /** The chain's algorithm and head; the per-event digests are the JSON format's alone (see json.ts). */
  chain: { algorithm: string; head: string };
}

/** The role shown beside an actor: the one recorded with the event, else (events from before roles were recorded) the account's role now. */
export type RoleOf = (actor: Actor) => string;

function row(event: LodestoneEvent, w: Labels, lang: Lang, nameOf: NameOf, roleOf: RoleOf): TimelineRow {
  const message = event.type === 'message.posted' || event.type === 'decision.recorded' ? (event.data as Message) : null;
  return {
    seq: event.seq,
    at: event.at,
    times: threeZones(event.at),
    type: event.type,
    kind: message ? message.kind : 'system',
    actor: event.actor?.displayName ?? w.system,
    agency: event.actor?.agency ?? '',
    side: event.actor?.side ?? '',
    role: event.actor ? roleOf(event.actor) : '',
    text: message ? message.body : describeEvent(event, w, lang, nameOf),
  };
}

const first = (values: number[]) => (values.length ? Math.min(...values) : null);

/**
 * Builds the after-action record of an incident: one model, from the incident's stream and
 * its alerts and action items, that every format (Markdown, PDF, CSV, JSON) only renders.
 */
export async function buildRecord(services: Services, incidentId: string, lang: Lang, generatedBy: string, now: Date = services.context.now()): Promise<RecordModel | undefined> {
  const w = labels[lang];
  const detail = await services.incidents.detail(incidentId);
  if (!detail) return undefined;
  const { members, alerts, ...incident } = detail;
  const events = await services.log.read(incidentStream(incidentId), 0, Number.MAX_SAFE_INTEGER);
  const accounts = await services.users.directory();
  // A co-lead as the people directory shows them: enabled accounts only.
  const person = (id: string | null) => {
    const row = id ? accounts.get(id) : undefined;
    return row && !row.disabled ? { id: row.id, displayName: row.displayName, role: row.role, agency: row.agency, side: row.side } : null;
  };

  const agencies = new Map<string, string[]>();
  for (const m of members) agencies.set(m.agency, [...(agencies.get(m.agency) ?? []), w.person(m.displayName, m.side)]);

  const history = events
    .filter((e) => e.type === 'incident.created' || (e.type === 'incident.updated' && ((e.data as { changed?: string[] }).changed ?? []).some((f) => f === 'status' || f === 'severity')))
    .map((e) => {
      const i = e.data as Incident;
      return { at: threeZones(e.at), actor: e.actor?.displayName ?? w.system, status: w.statuses[i.status], severity: w.severities[i.severity] };
    });

  const nameOf: NameOf = (id) => {
    const user = accounts.get(id);
    return user ? { displayName: user.displayName, agency: user.agency } : null;
  };
  const roleOf: RoleOf = (actor) => {
    const role = actor.role ?? accounts.get(actor.id)?.role;
    return role ? (w.roles[role] ?? role) : '';
  };
  const timeline = events.map((e) => row(e, w, lang, nameOf, roleOf));
  const actions = (await services.actions.byIncident(incidentId)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const linked = [...alerts].sort((a, b) => a.postedAt.localeCompare(b.postedAt));
  const opened = Date.parse(incident.createdAt);
  const firstAlert = linked[0];
  const ackAfter = (side: 'US' | 'JP') => {
    if (!firstAlert) return null;
    const at = first(firstAlert.acknowledgements.filter((a) => a.side === side).map((a) => Date.parse(a.at)));
    return at === null ? null : at - Date.parse(firstAlert.postedAt);
  };
  const decisionTimes = events.filter((e) => e.type === 'decision.recorded').map((e) => Date.parse(e.at));
  const firstDecision = first(decisionTimes);

  return {
    lang,
    words: w,
    generatedAt: threeZones(now.toISOString()),
    generatedBy,
    incident,
    members,
    coLeads: { US: person(incident.usLeadId), JP: person(incident.jpLeadId) },
    participantsByAgency: [...agencies.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([agency, names]) => ({ agency, names })),
    minerals: incident.minerals.map((id) => {
      const m = mineralsById.get(id);
      return { id, name: m ? m.name[lang] : id, other: m ? m.name[lang === 'en' ? 'ja' : 'en'] : '' };
    }),
    opened: threeZones(incident.createdAt),
    closed: incident.closedAt ? threeZones(incident.closedAt) : null,
    history,
    timeline,
    decisions: timeline.filter((r) => r.kind === 'decision'),
    alerts: linked.map((a) => ({
      ...a,
      posterRole: roleOf(a.poster),
      posted: threeZones(a.postedAt),
      written: a.observedAt && Date.parse(a.postedAt) - Date.parse(a.observedAt) >= WRITTEN_APART_MS ? threeZones(a.observedAt) : null,
      acks: a.acknowledgements.map((k) => ({ name: k.displayName, agency: k.agency, side: k.side, at: threeZones(k.at) })),
    })),
    actions: actions.map((a) => ({
      ...a,
      provisionName: a.provision ? (provisionsById.get(a.provision)?.name[lang] ?? a.provision) : '',
      due: a.dueAt ? threeZones(a.dueAt) : null,
      completed: a.doneAt ? threeZones(a.doneAt) : a.cancelledAt ? threeZones(a.cancelledAt) : null,
      overdue: isOverdue(a, now),
      statusName: w.actionStatuses[a.status],
    })),
    metrics: {
      firstAlertToOpenedMs: firstAlert ? opened - Date.parse(firstAlert.postedAt) : null,
      alertToFirstAckMs: { US: ackAfter('US'), JP: ackAfter('JP') },
      openedToFirstDecisionMs: firstDecision === null ? null : firstDecision - opened,
      actions: {
        done: actions.filter((a) => a.status === 'done').length,
        open: actions.filter((a) => a.status !== 'done' && a.status !== 'cancelled').length,
        overdue: actions.filter((a) => isOverdue(a, now)).length,
        cancelled: actions.filter((a) => a.status === 'cancelled').length,
      },
    },
    events,
    chain: {
      algorithm: CHAIN_ALGORITHM,
      head: events.at(-1)?.hash ?? '0'.repeat(64),
    },
  };
}
