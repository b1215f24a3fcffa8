/**
 * What one credential (a session or an API token) may hold and draw on, across all its sockets:
 * how many sockets are open, a token bucket of subscribes and one of catch-up bytes. Budgets per
 * connection let one session multiply them by opening more sockets (issue 14: 100 sockets × 20
 * subscribes sent 2.69 GB); per credential they hold however many sockets it opens. Kept in
 * this process today; with several nodes (issue 15) they move behind this same interface.
 */
export interface CredentialLimits {
  /** Sockets one session may have open at once. */
  socketsPerSession: number;
  /** Sockets one API token may have open at once. */
  socketsPerToken: number;
  /** Subscribes a credential may send at once, then `subscribesPerSecond`. */
  subscribeBurst: number;
  subscribesPerSecond: number;
  /** Catch-up bytes (events in subscribe acks) a credential may receive at once, then `catchUpBytesPerSecond`. */
  catchUpBurstBytes: number;
  catchUpBytesPerSecond: number;
}

export interface CredentialBudgets {
  /**
   * Takes a socket slot for `credential`: a release function (call it once the socket is gone;
   * calling it again does nothing), or null when the credential already has its cap open.
   */
  openSocket(credential: string): (() => void) | null;
  /** Takes a subscribe: 0 when allowed, else the seconds until one is. */
  subscribe(credential: string): number;
  /** 0 when catch-up may be sent now, else the seconds until it may. */
  catchUpWait(credential: string): number;
  /** Counts catch-up bytes sent (the bucket may go below zero by one ack: the next waits longer). */
  spendCatchUp(credential: string, bytes: number): void;
  /** Sockets open for `credential` (tests, diagnostics). */
  sockets(credential: string): number;
  /** Forgets buckets that are full again and hold no socket. */
  sweep(): void;
}

/** The sockets a credential may have open at once. */
export function socketCap(limits: CredentialLimits, credential: string): number {
  return credential.startsWith('token:') ? limits.socketsPerToken : limits.socketsPerSession;
}

/** A token bucket; times are `performance.now()` milliseconds. */
class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  level(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    return this.tokens;
  }

  /** Seconds until the level is at least `need`, at least 1 when it is not now. */
  waitFor(need: number, now: number): number {
    const level = this.level(now);
    if (level >= need) return 0;
    return Math.max(1, Math.ceil((need - level) / this.perSecond));
  }

  take(amount: number, now: number): void {
    this.level(now);
    this.tokens -= amount;
  }

  full(now: number): boolean {
    return this.level(now) >= this.burst;
  }
}

interface Ledger {
  sockets: number;
  subscribes: Bucket;
  catchUp: Bucket;
}

/** The budgets in this process's memory. */
export class MemoryCredentialBudgets implements CredentialBudgets {
  private readonly ledgers = new Map<string, Ledger>();

  constructor(
    private readonly limits: CredentialLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private ledger(credential: string): Ledger {
    let ledger = this.ledgers.get(credential);
    if (!ledger) {
      const now = this.now();
      ledger = {
        sockets: 0,
        subscribes: new Bucket(this.limits.subscribeBurst, this.limits.subscribesPerSecond, now),
        catchUp: new Bucket(this.limits.catchUpBurstBytes, this.limits.catchUpBytesPerSecond, now),
      };
      this.ledgers.set(credential, ledger);
    }
    return ledger;
  }

  openSocket(credential: string): (() => void) | null {
    const ledger = this.ledger(credential);
    if (ledger.sockets >= socketCap(this.limits, credential)) return null;
    ledger.sockets++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      ledger.sockets--;
    };
  }

  subscribe(credential: string): number {
    const now = this.now();
    const bucket = this.ledger(credential).subscribes;
    const wait = bucket.waitFor(1, now);
    if (wait === 0) bucket.take(1, now);
    return wait;
  }

  catchUpWait(credential: string): number {
    // Any credit left lets the next ack go; its bytes may take the bucket below zero.
    return this.ledger(credential).catchUp.waitFor(1, this.now());
  }

  spendCatchUp(credential: string, bytes: number): void {
    this.ledger(credential).catchUp.take(bytes, this.now());
  }

  sockets(credential: string): number {
    return this.ledgers.get(credential)?.sockets ?? 0;
  }

  /** Draws on a credential's buckets what its sockets on other nodes drew (several nodes). */
  charge(credential: string, subscribes: number, catchUpBytes: number): void {
    const now = this.now();
    const ledger = this.ledger(credential);
    if (subscribes > 0) ledger.subscribes.take(subscribes, now);
    if (catchUpBytes > 0) ledger.catchUp.take(catchUpBytes, now);
  }

  /** Credentials with sockets open here, and how many. */
  open(): [string, number][] {
    return [...this.ledgers].filter(([, ledger]) => ledger.sockets > 0).map(([credential, ledger]) => [credential, ledger.sockets]);
  }

  sweep(): void {
    const now = this.now();
    for (const [credential, ledger] of this.ledgers) {
      if (ledger.sockets === 0 && ledger.subscribes.full(now) && ledger.catchUp.full(now)) this.ledgers.delete(credential);
    }
  }
}
