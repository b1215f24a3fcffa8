import { canonicalize } from './jcs.ts';
import { CHAIN_ALGORITHM, GENESIS_HASH, chainInput, type LodestoneEvent } from './events.ts';

/**
 * The JSON after-action record: `{incident, members, alerts, actions, metrics, events, chain}`.
 * `events` is the incident stream whole, in seq order; `chain.head` is the last event's hash.
 * `chain.eventDigests` (an extension) is the SHA-256 of each whole event in JCS form, so that a
 * change to any byte of an event — the actor's name included, which the chain hash does not
 * cover — is found and named.
 */
export interface RecordFile {
  incident: { id: string; code: string } & Record<string, unknown>;
  members: unknown[];
  alerts: unknown[];
  actions: unknown[];
  metrics: unknown;
  events: LodestoneEvent[];
  chain: { algorithm: string; head: string; eventDigests?: string[] };
  [extra: string]: unknown;
}

export interface RecordCheck {
  ok: boolean;
  events: number;
  head?: string;
  firstBadEvent?: { stream: string; seq: number; index: number; reason: string };
  error?: string;
}

type Sha256 = (input: string) => string | Promise<string>;

/** The digest of a whole event, as `chain.eventDigests` lists it. */
export function eventDigestInput(event: LodestoneEvent): string {
  return canonicalize(event);
}

/**
 * Re-verifies a record offline: each event's seq, prevHash and hash (the contract's chain),
 * each event's whole-event digest, and that chain.head is the last hash. Names the first bad event.
 */
export async function verifyRecord(value: unknown, sha256: Sha256): Promise<RecordCheck> {
  const record = value as Partial<RecordFile> | null;
  if (!record || typeof record !== 'object' || !Array.isArray(record.events) || !record.chain || typeof record.chain !== 'object') {
    return { ok: false, events: 0, error: 'not an after-action record: events and chain are missing' };
  }
  if (record.chain.algorithm !== CHAIN_ALGORITHM) return { ok: false, events: record.events.length, error: `unknown chain algorithm ${String(record.chain.algorithm)}` };
  const events = record.events;
  const digests = record.chain.eventDigests;
  if (digests !== undefined && (!Array.isArray(digests) || digests.length !== events.length)) {
    return { ok: false, events: events.length, error: 'chain.eventDigests does not list one digest per event' };
  }
  let prevHash = GENESIS_HASH;
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as LodestoneEvent;
    const bad = (reason: string): RecordCheck => ({
      ok: false,
      events: events.length,
      firstBadEvent: { stream: String(event?.stream), seq: Number(event?.seq), index, reason },
    });
    if (!event || typeof event !== 'object') return bad('is not an event');
    if (event.seq !== index + 1) return bad(`expected seq ${index + 1}`);
    if (event.stream !== events[0]?.stream) return bad('belongs to another stream');
    if (event.prevHash !== prevHash) return bad('prevHash is not the previous event’s hash');
    let recomputed: string;
    try {
      recomputed = await sha256(chainInput(event));
    } catch {
      return bad('cannot be canonicalized');
    }
    if (recomputed !== event.hash) return bad('hash does not recompute');
    if (digests && (await sha256(eventDigestInput(event))) !== digests[index]) return bad('the event differs from its digest');
    prevHash = event.hash;
  }
  const head = events.at(-1)?.hash ?? GENESIS_HASH;
  if (record.chain.head !== head) return { ok: false, events: events.length, error: 'chain.head is not the hash of the last event' };
  // The incident summary at the top of the file must be the state the chain's last incident event holds.
  const lastIncident = [...events].reverse().find((e) => e.type === 'incident.created' || e.type === 'incident.updated');
  if (lastIncident && record.incident !== undefined) {
    const { changed: _c, previous: _p, ...state } = lastIncident.data as Record<string, unknown>;
    if (canonicalize(state) !== canonicalize(record.incident)) return { ok: false, events: events.length, error: 'incident does not match the last incident event of the chain' };
  }
  return { ok: true, events: events.length, head };
}
