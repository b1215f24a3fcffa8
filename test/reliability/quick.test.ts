import { describe, expect, it } from 'vitest';
import { crashLoop } from './crash-loop.ts';
import { reconnect } from './reconnect.ts';
import { socketAbuse } from './socket-abuse.ts';

/**
 * Short runs of the reliability scripts, so that `npm test` catches a breach of their promises;
 * the long runs (50 kills, 1,000 events, longer floods) and their figures are in README.md here.
 */
describe('reliability, short runs against the real server process', () => {
  it('loses no acknowledged mutation across kill -9 and restart; streams contiguous; database and chains sound', async () => {
    const result = await crashLoop({ kills: 3 });
    expect(result.acknowledged.total).toBeGreaterThan(0);
    expect(result.acknowledged.alerts, 'alerts acknowledged').toBeGreaterThan(0);
    expect(result.acknowledged.notes, 'notes acknowledged').toBeGreaterThan(0);
    expect(result.missingAfterRestart).toBe(0);
    expect(result.duplicated).toBe(0);
    expect(result.nonContiguousStreams).toEqual([]);
    expect(result.integrityCheck).toBe('ok');
    expect(result.chainVerifies).toBe(true);
  });

  it('gives every reconnecting client exactly the events it missed, in order, through socket cuts and a restart', async () => {
    const result = await reconnect({ events: 200, restarts: 1, clients: 4 });
    expect(result.reconnects).toBeGreaterThan(result.clients);
    expect({ duplicates: result.duplicates, gaps: result.gaps, outOfOrder: result.outOfOrder }).toEqual({ duplicates: 0, gaps: 0, outOfOrder: 0 });
  });

  it('keeps delivering to well-behaved clients while another floods its socket', async () => {
    const result = await socketAbuse({ seconds: 3, abusers: 2, bystanders: 20 });
    expect(result.flood.incomplete, 'alerts some bystander never got during the flood').toBe(0);
    expect(result.abusers.refused, 'subscribes refused with 429').toBeGreaterThan(0);
    expect(result.abusers.cutOff, 'sockets cut off by the server for their packet floods').toBeGreaterThan(0);
    expect(result.abusers.refusedHandshakes, 'handshakes refused after repeated cut-offs').toBeGreaterThan(0);
  });
});
