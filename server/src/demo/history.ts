import { disruptions, type ActionStatus, type AlertCreate, type Disruption, type Priority } from '@lodestone/shared';
import type { Services } from '../services.ts';
import type { AuthUser } from '../auth/policy.ts';
import type { Mutation } from '../events/mutation.ts';

/** What the steps of the demo act on: who does it, and what earlier steps made. */
export interface DemoWorld {
  services: Services;
  as(username: string): { user: AuthUser; mutation: Mutation };
  /** Alert ids by the disruption's reference ("Announcement No. 18 (2025)"). */
  alerts: Map<string, string>;
  /** The demo incident, once opened. */
  incidentId?: string;
  /** Action items by title, with the version the next change is based on. */
  actions: Map<string, { id: string; version: number }>;
}

/**
 * One dated step of the demo's history. The whole history is one list played in time order, so
 * that every stream's times run forwards: a step is added by adding it to the list, anywhere.
 * `run` must call its service before its first `await` (the clock is set only that long).
 */
export interface DemoStep {
  at: number;
  run(world: DemoWorld): Promise<unknown>;
}

const HOUR = 3_600_000;

function step(at: string | number, run: (world: DemoWorld) => Promise<unknown>): DemoStep {
  return { at: typeof at === 'number' ? at : Date.parse(at), run };
}

/** A step in the demo incident (skipped when the reference data has no April 2025 controls). */
function inIncident(at: string, run: (world: DemoWorld, incidentId: string) => Promise<unknown>): DemoStep {
  return step(at, async (world) => (world.incidentId === undefined ? undefined : run(world, world.incidentId)));
}

function countryOf(issuer: string): string | undefined {
  if (issuer.startsWith('MOFCOM')) return 'CN';
  if (issuer === 'Government of Japan') return 'JP';
  return undefined;
}

function severityOf(summary: string, type: string, minerals: number): AlertCreate['severity'] {
  if (type === 'policy') return /suspend/i.test(summary) ? 'low' : 'moderate';
  if (/barred|ban/i.test(summary) || minerals >= 5) return 'critical';
  return 'high';
}

/** A disruption as an alert: posted the morning the notice came out (Tokyo), acknowledged, maybe dismissed. */
function alertSteps(d: Disruption): DemoStep[] {
  const postedAt = Date.parse(`${d.date}T00:30:00Z`);
  const input: AlertCreate = {
    mineral: d.minerals[0] ?? 'gallium',
    type: d.type === 'policy' ? 'policy' : 'export_control',
    severity: severityOf(d.summary, d.type, d.minerals.length),
    title: `${d.issuer} ${d.ref}: ${d.summary}`.slice(0, 200),
    body: [d.summary + '.', `Minerals: ${d.minerals.join(', ')}.`, d.effective ? `Effective ${d.effective}.` : '', `Announced ${d.date}.`].filter(Boolean).join('\n'),
    source: `${d.issuer} — ${d.ref}`,
    tlp: d.type === 'policy' ? 'GREEN' : 'AMBER',
    ...(countryOf(d.issuer) ? { originCountry: countryOf(d.issuer) } : {}),
  };
  // The JP liaison reads MOFCOM first.
  const poster = d.issuer.startsWith('MOFCOM') ? 'jogmec.liaison' : 'state.liaison';
  const steps = [
    step(postedAt, async (world) => {
      const who = world.as(poster);
      const alert = await world.services.alerts.post(who.mutation, who.user, input);
      world.alerts.set(d.ref, alert.id);
    }),
  ];
  const ackers = d.date < '2026-01-01' ? ['meti.member', 'doe.member'] : ['meti.member'];
  ackers.forEach((username, i) =>
    steps.push(
      step(postedAt + (i + 1) * 2 * HOUR, (world) => {
        const who = world.as(username);
        return world.services.alerts.acknowledge(who.mutation, who.user, world.alerts.get(d.ref) ?? '');
      }),
    ),
  );
  if (d.type === 'policy' && /suspend/i.test(d.summary)) {
    steps.push(
      step(postedAt + 6 * HOUR, (world) => {
        const lead = world.as('meti.lead');
        return world.services.alerts.dismiss(lead.mutation, lead.user, world.alerts.get(d.ref) ?? '', 'Suspension noted; the one-year pause is tracked in the weekly review. No separate incident.');
      }),
    );
  }
  return steps;
}

const APRIL_CONTROLS = 'Announcement No. 18 (2025)';

/**
 * The April 2025 heavy rare earth controls as an incident room: escalated from the alert by the
 * METI lead, worked by both sides in both languages over five weeks, with decisions.
 */
function incidentSteps(): DemoStep[] {
  const controls = disruptions.find((d) => d.ref === APRIL_CONTROLS);
  if (!controls) return [];
  const say = (at: string, username: string, body: string, kind: 'note' | 'decision' = 'note') =>
    inIncident(at, (world, incidentId) => {
      const who = world.as(username);
      return world.services.timeline.post(who.mutation, who.user, incidentId, { body, kind });
    });
  return [
    step('2025-04-04T06:00:00Z', async (world) => {
      const alertId = world.alerts.get(APRIL_CONTROLS);
      if (alertId === undefined) return;
      const metiLead = world.as('meti.lead');
      const { incident } = await world.services.alerts.escalate(metiLead.mutation, metiLead.user, alertId, {
        incident: {
          title: 'MOFCOM No. 18: export licensing of seven medium and heavy rare earths',
          summary:
            'Export licences now required for Sm, Gd, Tb, Dy, Lu, Sc, Y and related magnets, effective at once. ' +
            '輸出許可制の即日施行により、磁石・モーター向けの重希土類の供給に遅延が見込まれる。',
          severity: 'critical',
          minerals: controls.minerals,
          usLeadId: world.as('doe.lead').user.id,
        },
      });
      world.incidentId = incident.id;
    }),
    ...['doe.member', 'meti.member', 'jogmec.liaison', 'state.liaison'].map((username) =>
      inIncident('2025-04-04T06:05:00Z', (world, incidentId) => world.services.incidents.addMember(world.as('meti.lead').mutation, incidentId, world.as(username).user.id)),
    ),
    say('2025-04-04T06:10:00Z', 'jogmec.liaison', 'MOFCOM・税関総署公告2025年第18号：サマリウム、ガドリニウム、テルビウム、ジスプロシウム、ルテチウム、スカンジウム、イットリウム及び関連磁石を輸出許可の対象に。本日施行。'),
    say('2025-04-04T06:40:00Z', 'meti.member', '国内モーターメーカー3社に聞き取り。ジスプロシウム・テルビウムの在庫はおおむね2か月分。'),
    say('2025-04-04T08:00:00Z', 'meti.lead', '日米で重希土類の在庫状況を毎週共有する。\nBoth sides share heavy rare earth inventory status weekly.', 'decision'),
    say('2025-04-04T12:30:00Z', 'doe.member', 'US magnet makers report Dy/Tb inventories of 6–8 weeks; two automotive OEMs are asking for guidance.'),
    say('2025-04-04T13:15:00Z', 'doe.lead', 'DOE is convening an industry call at 11:00 EDT today; METI colleagues welcome to listen in.'),
    say('2025-04-05T14:00:00Z', 'doe.lead', 'Request licence-processing transparency from MOFCOM jointly; State leads the outreach, MOFA in parallel.\nMOFCOMへの許可審査の透明性確保を日米共同で要請する。', 'decision'),
    say('2025-04-07T15:20:00Z', 'state.liaison', 'First licence applications filed by exporters; a review of up to 45 working days is expected.'),
    say('2025-04-15T02:10:00Z', 'meti.member', 'JOGMEC備蓄の放出条件と手続きを確認中。放出可能量は来週報告予定。'),
    say('2025-04-21T03:00:00Z', 'meti.lead', 'JOGMEC備蓄からのジスプロシウム放出の準備を開始する。\nBegin preparing a release of dysprosium from JOGMEC stocks.', 'decision'),
    say('2025-05-12T13:30:00Z', 'state.liaison', 'MOFCOM has granted the first licences to some exporters; volumes remain well below last year.'),
    inIncident('2025-05-12T14:00:00Z', async (world, incidentId) => {
      const doeLead = world.as('doe.lead');
      const version = (await world.services.incidents.get(incidentId))?.version ?? 1;
      return world.services.incidents.update(doeLead.mutation, doeLead.user, incidentId, { version, status: 'stabilizing', severity: 'high' });
    }),
  ];
}

interface DemoAction {
  at: string;
  by: string;
  owner: string;
  title: string;
  agency?: string;
  provision: string;
  priority: Priority;
  dueAt?: string;
  moves?: [string, Exclude<ActionStatus, 'open'>][];
}

/** The work the decisions turned into: owned on both sides, most done, one overdue. */
const ACTIONS: DemoAction[] = [
  { at: '2025-04-04T08:10:00Z', by: 'meti.lead', owner: 'meti.member', title: '重希土類（Dy・Tb）の在庫量を毎週DOEと共有', provision: 'rapid_response', priority: 'p1', dueAt: '2025-04-11T09:00:00Z', moves: [['2025-04-10T07:00:00Z', 'done']] },
  { at: '2025-04-04T13:20:00Z', by: 'doe.lead', owner: 'doe.member', title: 'Send the industry call readout to METI', provision: 'rapid_response', priority: 'p2', dueAt: '2025-04-05T21:00:00Z', moves: [['2025-04-05T19:00:00Z', 'done']] },
  { at: '2025-04-05T14:10:00Z', by: 'doe.lead', owner: 'state.liaison', title: 'Joint request to MOFCOM for licence-processing transparency', provision: 'rapid_response', priority: 'p1', dueAt: '2025-04-18T21:00:00Z', moves: [['2025-04-08T14:00:00Z', 'in_progress'], ['2025-04-17T16:00:00Z', 'done']] },
  { at: '2025-04-21T03:10:00Z', by: 'meti.lead', owner: 'jogmec.liaison', title: 'JOGMEC備蓄のジスプロシウム放出条件を取りまとめる', provision: 'stockpiling', priority: 'p1', dueAt: '2025-05-30T09:00:00Z', moves: [['2025-04-22T01:00:00Z', 'in_progress']] },
  { at: '2025-04-22T14:00:00Z', by: 'doe.lead', owner: 'doe.member', title: 'Identify US separation projects for coordinated investment', provision: 'project_identification', priority: 'p2' },
  { at: '2025-04-23T02:00:00Z', by: 'meti.lead', owner: 'meti.member', title: '枠組みに基づく金融支援の選択肢（JBIC・US EXIM）を整理', agency: 'JBIC', provision: 'financial_support', priority: 'p3', moves: [['2025-05-02T02:00:00Z', 'blocked']] },
  { at: '2025-04-24T15:00:00Z', by: 'doe.lead', owner: 'doe.lead', title: 'Survey of magnet scrap recycling capacity', provision: 'recycling', priority: 'p4', moves: [['2025-05-12T14:30:00Z', 'cancelled']] },
];

/** An action item's creation and each move of its owner, as steps. */
function actionSteps(item: DemoAction): DemoStep[] {
  const create = inIncident(item.at, async (world, incidentId) => {
    const author = world.as(item.by);
    const created = await world.services.actions.create(author.mutation, incidentId, {
      title: item.title,
      ownerId: world.as(item.owner).user.id,
      provision: item.provision,
      priority: item.priority,
      ...(item.agency ? { agency: item.agency } : {}),
      ...(item.dueAt ? { dueAt: item.dueAt } : {}),
    });
    world.actions.set(item.title, { id: created.id, version: created.version });
  });
  const moves = (item.moves ?? []).map(([at, status]) =>
    inIncident(at, async (world) => {
      const known = world.actions.get(item.title);
      if (!known) return;
      const moved = await world.services.actions.update(world.as(item.owner).mutation, known.id, { version: known.version, status });
      known.version = moved.version;
    }),
  );
  return [create, ...moves];
}

/** The demo's whole history, in time order (steps of one moment keep their order in the list). */
export function demoHistory(): DemoStep[] {
  const steps = [
    ...disruptions.filter((d) => d.minerals.length > 0).flatMap(alertSteps),
    ...incidentSteps(),
    ...ACTIONS.flatMap(actionSteps),
  ];
  return steps.sort((a, b) => a.at - b.at);
}
