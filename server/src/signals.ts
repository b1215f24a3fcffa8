import { EventEmitter } from 'node:events';

/** Which authenticated connections must end: every socket matching any given field. */
export interface Revocation {
  sessionId?: string;
  userId?: string;
  tokenId?: string;
  /** Why, when the user should be told before their sockets close (an account disabled). */
  reason?: 'disabled';
}

interface SignalMap {
  /** Sessions or tokens ended: their sockets must close. */
  revoke: [Revocation];
  /** A user's role, membership or account changed: re-check what their sockets may read. */
  'access-changed': [{ userId: string }];
}

/** In-process notices from services to the realtime layer (never to clients directly). */
export class Signals extends EventEmitter<SignalMap> {}
