import { describe, expect, it } from 'vitest';
import { runPostgresTests } from '../helpers/postgres.ts';
import { crashLoopPg } from './crash-loop-pg.ts';

/**
 * Short runs of crash-loop-pg.ts (two nodes on one PostgreSQL database), so that `npm test`
 * catches a breach of its promises; the long run and its figures are in README.md here.
 */
describe.runIf(runPostgresTests)('reliability on PostgreSQL, two real server processes', () => {
  it('loses no acknowledged mutation and applies none twice when one node at a time is killed -9 and writers retry on the other; streams contiguous, chains verify', async () => {
    const result = await crashLoopPg({ kills: 3 });
    expect(result.acknowledged.alerts, 'alerts acknowledged').toBeGreaterThan(0);
    expect(result.acknowledged.notes, 'notes acknowledged').toBeGreaterThan(0);
    expect(result.acknowledgedWhileANodeWasDown, 'mutations acknowledged by the other node while one was down').toBeGreaterThan(0);
    expect(result.retried, 'mutations sent again to the other node').toBeGreaterThan(0);
    expect({ missing: result.missingAfterRestart, duplicated: result.duplicated, gaveUp: result.gaveUp, nodeDeaths: result.nodeDeaths }).toEqual({ missing: 0, duplicated: 0, gaveUp: 0, nodeDeaths: 0 });
    expect(result.nonContiguousStreams).toEqual([]);
    expect(result.chainVerifies).toBe(true);
    expect(result.chainVerifiesByApi).toBe(true);
  });

  it('nodes answer /readyz 503 while their database is gone and 200 again on their own; nothing acknowledged is lost (restart simulated on the shared server)', async () => {
    const result = await crashLoopPg({ kills: 1, restartPostgres: 1, simulate: true, downMs: 2000 });
    expect(result.postgresRestarts?.nodes).toEqual([
      [
        { node: 'crash-1', saw503: true, readyAgainMs: expect.any(Number) },
        { node: 'crash-2', saw503: true, readyAgainMs: expect.any(Number) },
      ],
    ]);
    expect(result.crossNodeDeliveryMsAfter.node1ToNode2, 'a note from node 1 reached a socket on node 2 after the restart').not.toBeNull();
    expect(result.crossNodeDeliveryMsAfter.node2ToNode1, 'a note from node 2 reached a socket on node 1 after the restart').not.toBeNull();
    expect(result.acknowledged.total).toBeGreaterThan(0);
    expect({ missing: result.missingAfterRestart, duplicated: result.duplicated, gaveUp: result.gaveUp, nodeDeaths: result.nodeDeaths }).toEqual({ missing: 0, duplicated: 0, gaveUp: 0, nodeDeaths: 0 });
    expect(result.nonContiguousStreams).toEqual([]);
    expect(result.chainVerifies).toBe(true);
    expect(result.chainVerifiesByApi).toBe(true);
  });
});
