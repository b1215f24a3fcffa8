import { describe, expect, it } from 'vitest';
import { MemoryCredentialBudgets } from '../../server/src/realtime/credential-budgets.ts';

const MIB = 1024 * 1024;
const limits = { socketsPerSession: 3, socketsPerToken: 2, subscribeBurst: 4, subscribesPerSecond: 2, catchUpBurstBytes: 2 * MIB, catchUpBytesPerSecond: MIB };

/** The ledger on a clock the test moves. */
function ledger() {
  let now = 1000;
  const budgets = new MemoryCredentialBudgets(limits, () => now);
  return { budgets, advance: (ms: number) => (now += ms) };
}

describe('budgets per credential (sessions and tokens)', () => {
  it('caps open sockets per session and per token; a release frees one slot once, however often it is called', () => {
    const { budgets } = ledger();
    const session = [1, 2, 3].map(() => budgets.openSocket('session:a'));
    expect(session.every((release) => release !== null)).toBe(true);
    expect(budgets.openSocket('session:a')).toBeNull();
    expect(budgets.openSocket('session:b')).not.toBeNull();
    expect([budgets.openSocket('token:t'), budgets.openSocket('token:t'), budgets.openSocket('token:t')].map((r) => r !== null)).toEqual([true, true, false]);
    session[0]?.();
    session[0]?.();
    expect(budgets.sockets('session:a')).toBe(2);
    expect(budgets.openSocket('session:a')).not.toBeNull();
    expect(budgets.openSocket('session:a')).toBeNull();
  });

  it('takes subscribes from one bucket per credential, refilled over time, with the seconds to wait when empty', () => {
    const { budgets, advance } = ledger();
    expect([1, 2, 3, 4, 5].map(() => budgets.subscribe('session:a'))).toEqual([0, 0, 0, 0, 1]);
    expect(budgets.subscribe('session:b')).toBe(0);
    advance(500);
    expect(budgets.subscribe('session:a')).toBe(0);
    expect(budgets.subscribe('session:a')).toBe(1);
  });

  it('lets catch-up go while there is credit, counts what it sent (into debt), and says how long the debt takes to repay', () => {
    const { budgets, advance } = ledger();
    expect(budgets.catchUpWait('session:a')).toBe(0);
    budgets.spendCatchUp('session:a', 1.5 * MIB);
    expect(budgets.catchUpWait('session:a')).toBe(0);
    budgets.spendCatchUp('session:a', 3.5 * MIB);
    // 2 MiB of credit, 5 MiB sent: 3 MiB in debt at 1 MiB a second.
    expect(budgets.catchUpWait('session:a')).toBe(4);
    expect(budgets.catchUpWait('session:b')).toBe(0);
    advance(3000);
    expect(budgets.catchUpWait('session:a')).toBe(1);
    advance(1000);
    expect(budgets.catchUpWait('session:a')).toBe(0);
  });

  it('forgets a credential only once its buckets are full again and no socket is open', () => {
    const { budgets, advance } = ledger();
    const release = budgets.openSocket('session:a');
    budgets.subscribe('session:a');
    advance(60_000);
    budgets.sweep();
    expect(budgets.sockets('session:a')).toBe(1);
    release?.();
    budgets.sweep();
    expect(budgets.sockets('session:a')).toBe(0);
    expect([1, 2, 3, 4, 5].map(() => budgets.subscribe('session:a'))).toEqual([0, 0, 0, 0, 1]);
  });
});
