import type { IncomingMessage } from 'node:http';
import type { AllowedOrigins } from '../http/origins.ts';

/**
 * The gate before an Engine.IO session exists (Socket.IO `allowRequest`): a handshake with a
 * foreign Origin is refused, and so is one from an address that already holds `anonymousPerAddress`
 * sessions not yet authenticated. Without the gate anyone could hold sessions open for free.
 *
 * Anonymous is a handshake without a live session cookie. A missing, expired or signed-out cookie
 * is not refused here: the namespace middleware answers it with `connect_error` 'unauthorized' (the
 * contract), and a token in `auth` with a stale cookie still connects there. An anonymous session
 * stops counting once its namespace connect is accepted, or when it closes: it is closed when it
 * is still unauthenticated `connectTimeoutMs` after its handshake.
 *
 * A handshake with a live session cookie is counted the same way against its session (at most
 * `unjoinedPerSession` Engine.IO sessions that have not joined the namespace yet), so that one
 * signed-in cookie cannot hold sessions open either; once joined, the per-credential socket cap
 * (credential-budgets.ts) takes over.
 */
export interface EngineGateDeps {
  origins: AllowedOrigins;
  /** The id of the live session the Cookie header holds, or null. */
  sessionOf(cookieHeader: string | undefined): Promise<string | null>;
  anonymousPerAddress: number;
  /** Engine.IO sessions of one signed-in session not yet joined to the namespace. */
  unjoinedPerSession: number;
  /** An anonymous session still not authenticated this long after its handshake is closed. */
  connectTimeoutMs: number;
  /**
   * The client's address (behind a trusted proxy, the one it forwards for: TRUST_PROXY); the
   * TCP peer by default.
   */
  addressOf?: (req: IncomingMessage) => string;
  now?: () => number;
}

interface Conn {
  request: IncomingMessage;
  once(event: 'close', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

/** How long a handshake allowed but never turned into a session is still counted. */
const PENDING_MS = 10_000;

export class EngineGate {
  /** Sessions not yet joined (and handshakes allowed but not yet sessions), per counting key: `addr:<address>` or `session:<id>`. */
  private readonly open = new Map<string, number>();
  private readonly pending = new Map<IncomingMessage, { key: string; at: number }>();
  private readonly counted = new WeakMap<object, () => void>();
  private readonly now: () => number;
  /** Handshakes refused, by reason (diagnostics and tests). */
  readonly refused = { origin: 0, anonymous: 0, session: 0 };

  constructor(private readonly deps: EngineGateDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  /** Socket.IO's `allowRequest`. */
  allowRequest = (req: IncomingMessage, callback: (message: string | null, success: boolean) => void): void => {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.deps.origins.allows(origin)) {
      this.refused.origin++;
      return callback('forbidden origin', false);
    }
    this.deps.sessionOf(req.headers.cookie).then(
      (session) => this.admit(req, session, callback),
      () => callback('unavailable', false),
    );
  };

  private admit(req: IncomingMessage, session: string | null, callback: (message: string | null, success: boolean) => void): void {
    this.expirePending();
    let key: string;
    if (session !== null) {
      key = `session:${session}`;
      if ((this.open.get(key) ?? 0) >= this.deps.unjoinedPerSession) {
        this.refused.session++;
        return callback('too many connections of this session not yet joined', false);
      }
    } else {
      key = `addr:${(this.deps.addressOf ?? addressOf)(req)}`;
      if ((this.open.get(key) ?? 0) >= this.deps.anonymousPerAddress) {
        this.refused.anonymous++;
        return callback('too many unauthenticated connections from this address', false);
      }
    }
    this.pending.set(req, { key, at: this.now() });
    this.add(key, 1);
    callback(null, true);
  }

  /** Engine.IO made a session of a handshake: an anonymous one is counted until authenticated or closed. */
  connected(conn: Conn): void {
    const entry = this.pending.get(conn.request);
    if (!entry) return;
    this.pending.delete(conn.request);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      this.add(entry.key, -1);
    };
    this.counted.set(conn, release);
    // Socket.IO's own connectTimeout closes a long-polling session gracefully: it waits up to 30 s
    // for a poll that an attacker never sends. Unauthenticated, it is discarded at once.
    const timer = setTimeout(() => {
      if (counted) conn.close(true);
    }, this.deps.connectTimeoutMs);
    timer.unref();
    conn.once('close', () => {
      clearTimeout(timer);
      release();
    });
  }

  /** A handshake Engine.IO refused after the gate allowed it. */
  failed(req: IncomingMessage | undefined): void {
    const entry = req ? this.pending.get(req) : undefined;
    if (!req || !entry) return;
    this.pending.delete(req);
    this.add(entry.key, -1);
  }

  /** The session's namespace connect was accepted: it no longer counts as anonymous. */
  authenticated(conn: object): void {
    this.counted.get(conn)?.();
    this.counted.delete(conn);
  }

  /** Anonymous sessions (and allowed handshakes) of an address. */
  anonymous(address: string): number {
    return this.open.get(`addr:${address}`) ?? 0;
  }

  /** Engine.IO sessions (and allowed handshakes) of a signed-in session not yet joined. */
  unjoined(sessionId: string): number {
    return this.open.get(`session:${sessionId}`) ?? 0;
  }

  private add(key: string, delta: number): void {
    const next = (this.open.get(key) ?? 0) + delta;
    if (next <= 0) this.open.delete(key);
    else this.open.set(key, next);
  }

  private expirePending(): void {
    const old = this.now() - PENDING_MS;
    for (const [req, entry] of this.pending) {
      if (entry.at > old) break;
      this.pending.delete(req);
      this.add(entry.key, -1);
    }
  }
}

function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
