import type { CredentialBudgets, CredentialLimits } from './credential-budgets.ts';
import type { LodestoneSocket } from './types.ts';

/**
 * What sockets may send and hold. Subscribes (each can read 500 events) and the catch-up bytes
 * they send are budgeted per credential, a session or a token, over all its sockets, which are
 * capped (credential-budgets.ts): past a budget the ack is a 429 with `retryAfter` (seconds). A
 * socket whose unsent output is over `socketBufferBytes` gets no catch-up either (429) until it
 * has read what it was sent, so a client that does not read cannot pile memory up in the server.
 * A socket sending more than `packetsPerSecond` packets of any kind is cut off; a session or
 * token cut off `cutOffsToBlock` times within a minute is refused at the handshake ('too many
 * requests', with `data.retryAfter`) for `blockMs`, so reconnecting does not buy a flooder a
 * fresh budget, while one slip of one tab does not lock out the others.
 */
export interface SocketLimits extends CredentialLimits {
  packetsPerSecond: number;
  cutOffsToBlock: number;
  blockMs: number;
  socketBufferBytes: number;
}

const MIB = 1024 * 1024;

export const SOCKET_LIMITS: SocketLimits = {
  socketsPerSession: 10,
  socketsPerToken: 4,
  subscribeBurst: 20,
  subscribesPerSecond: 10,
  catchUpBurstBytes: 8 * MIB,
  catchUpBytesPerSecond: 1 * MIB,
  socketBufferBytes: 2 * MIB,
  packetsPerSecond: 200,
  cutOffsToBlock: 3,
  blockMs: 10_000,
};

/** What a socket draws on for what it sends. */
export interface Budget {
  /** Counts a packet of this connection; false when too many were sent this second. */
  packet(): boolean;
  /** Takes a subscribe of this credential: 0 when allowed, else the seconds until one is. */
  subscribe(): number;
  /** 0 when this credential may be sent catch-up now, else the seconds until it may. */
  catchUpWait(): number;
  /** Counts catch-up bytes sent to this credential. */
  spendCatchUp(bytes: number): void;
}

/** Where budgets are kept: packets per Engine.IO connection, the rest per credential. */
export interface BudgetStore {
  of(connection: object, credential: string): Budget;
}

/** A one-second window of packets; times are `performance.now()`, which never steps back. */
export class PacketWindow {
  private windowStart = 0;
  private packets = 0;

  constructor(
    private readonly packetsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  packet(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.packets = 0;
    }
    return ++this.packets <= this.packetsPerSecond;
  }
}

/**
 * One packet window per Engine.IO connection (leaving the namespace and joining again keeps it),
 * subscribes and catch-up drawn from the credential's budgets.
 */
export class CredentialBudgetStore implements BudgetStore {
  private readonly windows = new WeakMap<object, PacketWindow>();

  constructor(
    private readonly limits: SocketLimits,
    private readonly credentials: CredentialBudgets,
  ) {}

  of(connection: object, credential: string): Budget {
    let window = this.windows.get(connection);
    if (!window) {
      window = new PacketWindow(this.limits.packetsPerSecond);
      this.windows.set(connection, window);
    }
    const packets = window;
    const credentials = this.credentials;
    return {
      packet: () => packets.packet(),
      subscribe: () => credentials.subscribe(credential),
      catchUpWait: () => credentials.catchUpWait(credential),
      spendCatchUp: (bytes) => credentials.spendCatchUp(credential, bytes),
    };
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
