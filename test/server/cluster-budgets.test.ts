import { describe, expect, it } from 'vitest';
import { SOCKET_LIMITS } from '../../server/src/realtime/budgets.ts';
import { ClusterCredentialBudgets } from '../../server/src/realtime/cluster-budgets.ts';

/** Two nodes' budgets wired to each other as the adapter carries their messages. */
function twoNodes() {
  let now = 1_000_000;
  const nodes: ClusterCredentialBudgets[] = [];
  for (const id of ['a', 'b']) {
    nodes.push(new ClusterCredentialBudgets(SOCKET_LIMITS, id, (message, whole) => nodes.forEach((n) => n.receive(message, whole)), () => now));
  }
  return { a: nodes[0] as ClusterCredentialBudgets, b: nodes[1] as ClusterCredentialBudgets, advance: (ms: number) => (now += ms) };
}

describe('credential budgets across nodes', () => {
  it('draws what a session spent on one node from its budget on the other', () => {
    const { a, b } = twoNodes();
    for (let i = 0; i < SOCKET_LIMITS.subscribeBurst; i++) expect(a.subscribe('session:s1')).toBe(0);
    expect(a.subscribe('session:s1')).toBeGreaterThan(0);
    // Before the message, the other node still has the whole burst; after it, none.
    a.flush();
    expect(b.subscribe('session:s1')).toBeGreaterThan(0);
    // Another session is not touched.
    expect(b.subscribe('session:s2')).toBe(0);
    a.spendCatchUp('session:s1', 2 * SOCKET_LIMITS.catchUpBurstBytes);
    a.flush();
    expect(b.catchUpWait('session:s1')).toBeGreaterThan(0);
  });

  it('counts a session’s sockets on every node against its cap, and forgets a node that goes silent', () => {
    const { a, b, advance } = twoNodes();
    const held = Array.from({ length: SOCKET_LIMITS.socketsPerSession }, () => a.openSocket('session:s1'));
    expect(held.every((release) => release !== null)).toBe(true);
    a.flush();
    expect(b.sockets('session:s1')).toBe(SOCKET_LIMITS.socketsPerSession);
    expect(b.openSocket('session:s1')).toBeNull();
    held[0]?.();
    a.flush();
    expect(b.openSocket('session:s1')).not.toBeNull();
    // Node a stops speaking (killed): after 15 s its sockets no longer count on b.
    advance(16_000);
    b.sweep();
    expect(b.sockets('session:s1')).toBe(1);
  });
});
