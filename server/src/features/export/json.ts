import { createHash } from 'node:crypto';
import { eventDigestInput, type RecordFile } from '@lodestone/shared';
import type { RecordModel } from './record.model.ts';

/**
 * The JSON record of the contract, `{incident, members, alerts, actions, metrics, events, chain}`,
 * written compactly so that every byte of an event is meaningful to the verifier.
 */
export function renderJson(r: RecordModel): string {
  const file: RecordFile = {
    incident: r.incident,
    members: r.members,
    alerts: r.alerts.map(({ posted: _p, written: _w, acks: _a, ...alert }) => alert),
    actions: r.actions.map(({ provisionName: _n, due: _d, completed: _c, overdue: _o, statusName: _s, ...action }) => action),
    metrics: r.metrics,
    events: r.events,
    chain: { ...r.chain, eventDigests: r.events.map((e) => createHash('sha256').update(eventDigestInput(e), 'utf8').digest('hex')) },
    lang: r.lang,
    generatedAt: r.generatedAt.utc,
    generatedBy: r.generatedBy,
  };
  return JSON.stringify(file);
}
