import type { AddressInfo } from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The origins whose browsers may change things: PUBLIC_ORIGIN, and when that is a loopback
 * address, the other loopback names on the same port. Without a configured origin (tests
 * listening on port 0) the listening address decides.
 */
export class AllowedOrigins {
  constructor(
    private readonly configured: string | undefined,
    private readonly address: () => AddressInfo | string | null,
  ) {}

  /** The origin browsers use to reach the app. */
  primary(): string {
    if (this.configured) return this.configured;
    const address = this.address();
    const port = typeof address === 'object' && address ? address.port : 3000;
    return `http://127.0.0.1:${port}`;
  }

  allows(origin: string): boolean {
    const primary = this.primary();
    if (origin === primary) return true;
    try {
      const want = new URL(primary);
      const got = new URL(origin);
      return (
        LOOPBACK.has(want.hostname) &&
        LOOPBACK.has(got.hostname) &&
        want.protocol === got.protocol &&
        want.port === got.port
      );
    } catch {
      return false;
    }
  }

  secure(): boolean {
    return this.primary().startsWith('https:');
  }
}
