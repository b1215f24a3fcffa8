import type { AllowedOrigins } from '../http/origins.ts';
import type { SessionsService } from '../features/users/sessions.service.ts';
import type { TokensService } from '../features/users/tokens.service.ts';
import { sessionCookieName } from '../plugins/auth.ts';
import { problems } from '../http/problem.ts';
import type { CredentialBudgets } from './credential-budgets.ts';
import type { CutOffLedger } from './cut-offs.ts';
import type { EngineGate } from './engine-gate.ts';
import { credentialOf, type RealtimeServer, type SocketData } from './types.ts';

export interface HandshakeDeps {
  origins: AllowedOrigins;
  sessions: Pick<SessionsService, 'resolve'>;
  tokens: Pick<TokensService, 'resolve'>;
  cutOffs: CutOffLedger;
  credentials: CredentialBudgets;
  gate: EngineGate;
  parseCookie(header: string): Record<string, string | undefined>;
}

/** Seconds a credential at its socket cap is told to wait before trying again. */
const SOCKET_CAP_RETRY_S = 5;

/**
 * Who a socket is, decided once at the handshake: a token in `auth`, else the session cookie.
 * Refused with `connect_error`: a foreign Origin ('forbidden origin'), no valid credential
 * ('unauthorized'), a credential cut off too often a moment ago ('too many requests', with
 * `data.retryAfter`), an account that must first choose a new password ('password change
 * required', with the problem's status, type and title in `data`), as every route but that one,
 * and a credential that already has its cap of sockets open ('too many requests', with
 * `data.retryAfter` and `data.reason` 'too many sockets': the client tries again later, and gets
 * in once another of its sockets has closed).
 */
export function authenticateHandshakes(io: RealtimeServer, deps: HandshakeDeps): void {
  io.use(async (socket, next) => {
    const origin = socket.handshake.headers.origin;
    if (origin !== undefined && !deps.origins.allows(origin)) return next(new Error('forbidden origin'));
    let data: SocketData | null;
    try {
      data = await identify(socket.handshake.auth as { token?: unknown } | undefined, socket.handshake.headers.cookie);
    } catch {
      return next(Object.assign(new Error('too many requests'), { data: { retryAfter: 1, reason: 'unavailable' } }));
    }
    if (!data) return next(new Error('unauthorized'));
    socket.data = data;
    if (data.user.mustChangePassword) {
      const problem = problems.passwordChangeRequired();
      return next(Object.assign(new Error('password change required'), { data: { status: problem.status, type: problem.type, title: problem.title } }));
    }
    const credential = credentialOf(data);
    const retryAfter = deps.cutOffs.wait(credential);
    if (retryAfter > 0) return next(Object.assign(new Error('too many requests'), { data: { retryAfter } }));
    const release = deps.credentials.openSocket(credential);
    if (!release) return next(Object.assign(new Error('too many requests'), { data: { retryAfter: SOCKET_CAP_RETRY_S, reason: 'too many sockets' } }));
    // Released when the socket leaves, or when its connection closes before it ever joined.
    socket.conn.once('close', release);
    socket.once('disconnect', () => {
      release();
      socket.conn.off('close', release);
    });
    deps.gate.authenticated(socket.conn);
    next();
  });

  async function identify(auth: { token?: unknown } | undefined, cookieHeader: string | undefined): Promise<SocketData | null> {
    if (typeof auth?.token === 'string') {
      const found = await deps.tokens.resolve(auth.token);
      return found ? { user: found.user, tokenId: found.tokenId } : null;
    }
    const secret = deps.parseCookie(cookieHeader ?? '')[sessionCookieName(deps.origins)];
    const found = secret ? await deps.sessions.resolve(secret) : null;
    return found ? { user: found.user, sessionId: found.sessionId } : null;
  }
}
