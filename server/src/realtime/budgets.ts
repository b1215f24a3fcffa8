import type { LodestoneSocket } from './types.ts';

/**
 * What one socket may send. A subscribe can read 500 events, so subscribes draw on a bucket of
 * `subscribeBurst` refilled at `subscribesPerSecond`; past it the ack is a 429 with `retryAfter`
 * (seconds). A socket sending more than `packetsPerSecond` packets of any kind is cut off; a
 * session or token cut off `cutOffsToBlock` times within a minute is refused at the handshake
 * ('too many requests', with `data.retryAfter`) for `blockMs`, so reconnecting does not buy a
 * flooder a fresh budget, while one slip of one tab does not lock out the others.
 */
export interface SocketLimits {
  subscribeBurst: number;
  subscribesPerSecond: number;
  packetsPerSecond: number;
  cutOffsToBlock: number;
  blockMs: number;
}

export const SOCKET_LIMITS: SocketLimits = { subscribeBurst: 20, subscribesPerSecond: 10, packetsPerSecond: 200, cutOffsToBlock: 3, blockMs: 10_000 };

/** What a socket draws on for what it sends. */
export interface Budget {
  /** Counts a packet; false when too many were sent this second. */
  packet(): boolean;
  /** Takes a subscribe: 0 when allowed, else the seconds until one is. */
  subscribe(): number;
}

/**
 * Where budgets are kept. Today one per Engine.IO connection, in this process; budgets per
 * session or token (issue 14), shared by several nodes, change this and nothing else.
 */
export interface BudgetStore {
  of(connection: object, credential: string): Budget;
}

/**
 * A connection's budgets: a token bucket for subscribes, a one-second window for packets. Times
 * are `performance.now()`, which never steps back as the wall clock can.
 */
export class SocketBudget implements Budget {
  private windowStart = 0;
  private packets = 0;
  private tokens: number;
  private refilledAt = 0;

  constructor(
    private readonly limits: SocketLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limits.subscribeBurst;
  }

  packet(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.packets = 0;
    }
    return ++this.packets <= this.limits.packetsPerSecond;
  }

  subscribe(): number {
    const now = this.now();
    const { subscribeBurst, subscribesPerSecond } = this.limits;
    this.tokens = Math.min(subscribeBurst, this.tokens + ((now - this.refilledAt) / 1000) * subscribesPerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / subscribesPerSecond));
  }
}

/** One budget per Engine.IO connection: leaving the namespace and joining again keeps it. */
export class ConnectionBudgets implements BudgetStore {
  private readonly budgets = new WeakMap<object, Budget>();

  constructor(private readonly limits: SocketLimits) {}

  of(connection: object): Budget {
    let budget = this.budgets.get(connection);
    if (!budget) {
      budget = new SocketBudget(this.limits);
      this.budgets.set(connection, budget);
    }
    return budget;
  }
}

const metered = new WeakMap<object, { socket: LodestoneSocket }>();

/**
 * Counts every message packet a socket's Engine.IO connection reads (events, acks, namespace
 * connects alike) against its budget; `flooded` is called once when the budget is exceeded.
 * A connection is metered once, however often it rejoins the namespace.
 */
export function meterPackets(socket: LodestoneSocket, budget: Budget, flooded: (socket: LodestoneSocket) => void): void {
  const conn = socket.conn;
  const known = metered.get(conn);
  if (known) {
    known.socket = socket;
    return;
  }
  const entry = { socket };
  metered.set(conn, entry);
  conn.on('packet', (packet: { type: string }) => {
    if (packet.type !== 'message' || budget.packet()) return;
    // Packets already read from the wire still arrive after the cut-off: count the cut-off once.
    if (conn.readyState !== 'open') return;
    flooded(entry.socket);
  });
}
