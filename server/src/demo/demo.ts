import { disruptions, type AlertCreate, type Role, type Side } from '@lodestone/shared';
import type { Services } from '../services.ts';
import type { AuthUser } from '../auth/policy.ts';
import { actorOf, toAuthUser } from '../features/users/users.service.ts';
import type { Mutation } from '../events/mutation.ts';

/** The password of every demo account (README, "Demo scenario"). */
export const DEMO_PASSWORD = 'rrg-demo-2026';

export const DEMO_USERS: { username: string; displayName: string; role: Role; agency: string; side: Side }[] = [
  { username: 'doe.lead', displayName: 'Jordan Hayes', role: 'lead', agency: 'DOE', side: 'US' },
  { username: 'meti.lead', displayName: '佐藤 美咲', role: 'lead', agency: 'METI', side: 'JP' },
  { username: 'doe.member', displayName: 'Priya Raman', role: 'member', agency: 'DOE', side: 'US' },
  { username: 'meti.member', displayName: '高橋 健', role: 'member', agency: 'METI', side: 'JP' },
  { username: 'state.liaison', displayName: 'Daniel Brooks', role: 'liaison', agency: 'State', side: 'US' },
  { username: 'jogmec.liaison', displayName: '中村 彩', role: 'liaison', agency: 'JOGMEC', side: 'JP' },
  { username: 'doe.staff', displayName: 'Morgan Lee', role: 'staff', agency: 'DOE', side: 'US' },
  { username: 'meti.staff', displayName: '山本 大輔', role: 'staff', agency: 'METI', side: 'JP' },
];

export type DemoCast = Record<string, AuthUser>;

const HOUR = 3_600_000;

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

/**
 * Loads the demo scenario on a new database: an account for every role on both sides, and
 * the real export-control events of recent years as alerts, posted and acknowledged at their
 * own dates so the feed and the audit chain read like history.
 */
export async function loadDemoScenario(services: Services): Promise<DemoCast> {
  const cast: DemoCast = {};
  for (const u of DEMO_USERS) {
    const created = await services.users.create(null, { ...u, password: DEMO_PASSWORD });
    const row = services.users.row(created.id);
    if (row) cast[u.username] = toAuthUser(row);
  }
  const as = (username: string): { user: AuthUser; mutation: Mutation } => {
    const user = cast[username];
    if (!user) throw new Error(`demo user ${username} missing`);
    return { user, mutation: { actor: actorOf(user) } };
  };

  const events = [...disruptions].filter((d) => d.minerals.length > 0).sort((a, b) => a.date.localeCompare(b.date));
  for (const d of events) {
    // Posted on the morning the notice came out, Tokyo time; the JP liaison reads MOFCOM first.
    const postedAt = new Date(`${d.date}T00:30:00Z`);
    const poster = as(d.issuer.startsWith('MOFCOM') ? 'jogmec.liaison' : 'state.liaison');
    const names = d.minerals.join(', ');
    const input: AlertCreate = {
      mineral: d.minerals[0] ?? 'gallium',
      type: d.type === 'policy' ? 'policy' : 'export_control',
      severity: severityOf(d.summary, d.type, d.minerals.length),
      title: `${d.issuer} ${d.ref}: ${d.summary}`.slice(0, 200),
      body: [d.summary + '.', `Minerals: ${names}.`, d.effective ? `Effective ${d.effective}.` : '', `Announced ${d.date}.`].filter(Boolean).join('\n'),
      source: `${d.issuer} — ${d.ref}`,
      tlp: d.type === 'policy' ? 'GREEN' : 'AMBER',
      ...(countryOf(d.issuer) ? { originCountry: countryOf(d.issuer) } : {}),
    };
    const alert = await services.context.at(postedAt, () => services.alerts.post(poster.mutation, poster.user, input));
    const ackers = d.date < '2026-01-01' ? ['meti.member', 'doe.member'] : ['meti.member'];
    for (const [i, username] of ackers.entries()) {
      const acker = as(username);
      await services.context.at(new Date(postedAt.getTime() + (i + 1) * 2 * HOUR), () => services.alerts.acknowledge(acker.mutation, acker.user, alert.id));
    }
    if (d.type === 'policy' && /suspend/i.test(d.summary)) {
      const lead = as('meti.lead');
      await services.context.at(new Date(postedAt.getTime() + 6 * HOUR), () =>
        services.alerts.dismiss(lead.mutation, lead.user, alert.id, 'Suspension noted; the one-year pause is tracked in the weekly review. No separate incident.'),
      );
    }
  }
  await loadDemoIncident(services, as);
  return cast;
}

type As = (username: string) => { user: AuthUser; mutation: Mutation };

/**
 * The April 2025 heavy rare earth controls as an incident room: escalated from the alert by
 * the METI lead, worked by both sides in both languages over five weeks, with decisions.
 */
async function loadDemoIncident(services: Services, as: As): Promise<void> {
  const april = services.alerts.list({ limit: 1000 }).alerts.find((a) => a.source?.includes('Announcement No. 18 (2025)'));
  const controls = disruptions.find((d) => d.ref === 'Announcement No. 18 (2025)');
  if (!april || !controls) return;
  const at = (iso: string) => new Date(iso);
  const metiLead = as('meti.lead');
  const doeLead = as('doe.lead');
  const { incident } = await services.context.at(at('2025-04-04T06:00:00Z'), () =>
    services.alerts.escalate(metiLead.mutation, metiLead.user, april.id, {
      incident: {
        title: 'MOFCOM No. 18: export licensing of seven medium and heavy rare earths',
        summary:
          'Export licences now required for Sm, Gd, Tb, Dy, Lu, Sc, Y and related magnets, effective at once. ' +
          '輸出許可制の即日施行により、磁石・モーター向けの重希土類の供給に遅延が見込まれる。',
        severity: 'critical',
        minerals: controls.minerals,
        usLeadId: doeLead.user.id,
      },
    }),
  );
  for (const username of ['doe.member', 'meti.member', 'jogmec.liaison', 'state.liaison']) {
    const who = as(username);
    await services.context.at(at('2025-04-04T06:05:00Z'), () => services.incidents.addMember(metiLead.mutation, incident.id, who.user.id));
  }
  const say = async (iso: string, username: string, body: string, kind: 'note' | 'decision' = 'note') => {
    const who = as(username);
    await services.context.at(at(iso), () => services.timeline.post(who.mutation, who.user, incident.id, { body, kind }));
  };
  await say('2025-04-04T06:10:00Z', 'jogmec.liaison', 'MOFCOM・税関総署公告2025年第18号：サマリウム、ガドリニウム、テルビウム、ジスプロシウム、ルテチウム、スカンジウム、イットリウム及び関連磁石を輸出許可の対象に。本日施行。');
  await say('2025-04-04T06:40:00Z', 'meti.member', '国内モーターメーカー3社に聞き取り。ジスプロシウム・テルビウムの在庫はおおむね2か月分。');
  await say('2025-04-04T08:00:00Z', 'meti.lead', '日米で重希土類の在庫状況を毎週共有する。\nBoth sides share heavy rare earth inventory status weekly.', 'decision');
  await say('2025-04-04T12:30:00Z', 'doe.member', 'US magnet makers report Dy/Tb inventories of 6–8 weeks; two automotive OEMs are asking for guidance.');
  await say('2025-04-04T13:15:00Z', 'doe.lead', 'DOE is convening an industry call at 11:00 EDT today; METI colleagues welcome to listen in.');
  await say('2025-04-05T14:00:00Z', 'doe.lead', 'Request licence-processing transparency from MOFCOM jointly; State leads the outreach, MOFA in parallel.\nMOFCOMへの許可審査の透明性確保を日米共同で要請する。', 'decision');
  await say('2025-04-07T15:20:00Z', 'state.liaison', 'First licence applications filed by exporters; a review of up to 45 working days is expected.');
  await say('2025-04-15T02:10:00Z', 'meti.member', 'JOGMEC備蓄の放出条件と手続きを確認中。放出可能量は来週報告予定。');
  await say('2025-04-21T03:00:00Z', 'meti.lead', 'JOGMEC備蓄からのジスプロシウム放出の準備を開始する。\nBegin preparing a release of dysprosium from JOGMEC stocks.', 'decision');
  const current = () => services.incidents.get(incident.id);
  const update = async (iso: string, fields: { status?: 'stabilizing'; severity?: 'high' }) => {
    const version = current()?.version ?? 1;
    await services.context.at(at(iso), () => services.incidents.update(doeLead.mutation, doeLead.user, incident.id, { version, ...fields }));
  };
  await say('2025-05-12T13:30:00Z', 'state.liaison', 'MOFCOM has granted the first licences to some exporters; volumes remain well below last year.');
  await update('2025-05-12T14:00:00Z', { status: 'stabilizing', severity: 'high' });
  await loadDemoActions(services, as, incident.id);
}

/** The work the decisions turned into: owned on both sides, most done, one overdue. */
async function loadDemoActions(services: Services, as: As, incidentId: string): Promise<void> {
  const items: {
    at: string;
    by: string;
    owner: string;
    title: string;
    agency?: string;
    provision: string;
    priority: 'p1' | 'p2' | 'p3' | 'p4';
    dueAt?: string;
    moves?: [string, 'in_progress' | 'blocked' | 'done' | 'cancelled'][];
  }[] = [
    { at: '2025-04-04T08:10:00Z', by: 'meti.lead', owner: 'meti.member', title: '重希土類（Dy・Tb）の在庫量を毎週DOEと共有', provision: 'rapid_response', priority: 'p1', dueAt: '2025-04-11T09:00:00Z', moves: [['2025-04-10T07:00:00Z', 'done']] },
    { at: '2025-04-04T13:20:00Z', by: 'doe.lead', owner: 'doe.member', title: 'Send the industry call readout to METI', provision: 'rapid_response', priority: 'p2', dueAt: '2025-04-05T21:00:00Z', moves: [['2025-04-05T19:00:00Z', 'done']] },
    { at: '2025-04-05T14:10:00Z', by: 'doe.lead', owner: 'state.liaison', title: 'Joint request to MOFCOM for licence-processing transparency', provision: 'rapid_response', priority: 'p1', dueAt: '2025-04-18T21:00:00Z', moves: [['2025-04-08T14:00:00Z', 'in_progress'], ['2025-04-17T16:00:00Z', 'done']] },
    { at: '2025-04-21T03:10:00Z', by: 'meti.lead', owner: 'jogmec.liaison', title: 'JOGMEC備蓄のジスプロシウム放出条件を取りまとめる', provision: 'stockpiling', priority: 'p1', dueAt: '2025-05-30T09:00:00Z', moves: [['2025-04-22T01:00:00Z', 'in_progress']] },
    { at: '2025-04-22T14:00:00Z', by: 'doe.lead', owner: 'doe.member', title: 'Identify US separation projects for coordinated investment', provision: 'project_identification', priority: 'p2' },
    { at: '2025-04-23T02:00:00Z', by: 'meti.lead', owner: 'meti.member', title: '枠組みに基づく金融支援の選択肢（JBIC・US EXIM）を整理', agency: 'JBIC', provision: 'financial_support', priority: 'p3', moves: [['2025-05-02T02:00:00Z', 'blocked']] },
    { at: '2025-04-24T15:00:00Z', by: 'doe.lead', owner: 'doe.lead', title: 'Survey of magnet scrap recycling capacity', provision: 'recycling', priority: 'p4', moves: [['2025-05-12T14:30:00Z', 'cancelled']] },
  ];
  for (const item of items) {
    const author = as(item.by);
    const owner = as(item.owner);
    const created = await services.context.at(new Date(item.at), () =>
      services.actions.create(author.mutation, incidentId, {
        title: item.title,
        ownerId: owner.user.id,
        provision: item.provision,
        priority: item.priority,
        ...(item.agency ? { agency: item.agency } : {}),
        ...(item.dueAt ? { dueAt: item.dueAt } : {}),
      }),
    );
    let version = created.version;
    for (const [when, status] of item.moves ?? []) {
      version = (await services.context.at(new Date(when), () => services.actions.update(owner.mutation, created.id, { version, status }))).version;
    }
  }
}
