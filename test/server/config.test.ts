import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/src/config.ts';

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/lodestone.db',
      demo: false,
      publicOrigin: 'http://127.0.0.1:3000',
      adminPassword: undefined,
    });
  });

  it('reads every variable of the contract', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'file::memory:',
      LODESTONE_ADMIN_PASSWORD: 'a-long-password',
      LODESTONE_DEMO: '1',
      PUBLIC_ORIGIN: 'https://rrg.example.gov',
    });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', databaseUrl: 'file::memory:', demo: true, publicOrigin: 'https://rrg.example.gov', adminPassword: 'a-long-password' });
  });

  it('names each bad variable with a clear reason', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://db', LODESTONE_DEMO: 'yes', PUBLIC_ORIGIN: 'https://x.example/app' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/PORT="eighty": must be a number/);
    expect(message).toMatch(/DATABASE_URL="mysql:\/\/db": must be file:PATH, file::memory: or postgres:\/\//);
    expect(message).toMatch(/LODESTONE_DEMO="yes": must be 0 or 1/);
    expect(message).toMatch(/PUBLIC_ORIGIN=.*must be an origin/);
  });

  it('runs on PostgreSQL with a postgres:// URL, a LODESTONE_SECRET shared by the nodes and a node name', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://lodestone@db.internal:5432/lodestone' })).toThrow(/LODESTONE_SECRET=\(unset\): must be set on PostgreSQL, the same on every node/);
    const config = loadConfig({ DATABASE_URL: 'postgres://lodestone@db.internal:5432/lodestone', LODESTONE_SECRET: 's'.repeat(40), LODESTONE_NODE_ID: 'node-a' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://lodestone@db.internal:5432/lodestone', nodeId: 'node-a' });
    expect(() => loadConfig({ LODESTONE_NODE_ID: 'node a/1' })).toThrow(/LODESTONE_NODE_ID="node a\/1": must be 1–40 letters/);
    expect(loadConfig({}).nodeId).toMatch(/^[A-Za-z0-9._-]{1,40}$/);
  });

  it('takes any admin password the operator chooses, and never echoes a bad one', () => {
    expect(loadConfig({ LODESTONE_ADMIN_PASSWORD: 'admin123' }).adminPassword).toBe('admin123');
    expect(() => loadConfig({ LODESTONE_ADMIN_PASSWORD: 'x'.repeat(257) })).toThrow(/LODESTONE_ADMIN_PASSWORD="…": must be at most 256/);
  });

  it('reads the socket and connection limits, with their defaults, and refuses nonsense', () => {
    expect(loadConfig({})).toMatchObject({
      socketsPerSession: 10,
      socketsPerToken: 4,
      anonymousSocketsPerAddress: 16,
      connectionsPerAddress: 256,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      idleTimeoutMs: 60_000,
    });
    const config = loadConfig({
      LODESTONE_SOCKETS_PER_SESSION: '3',
      LODESTONE_SOCKETS_PER_TOKEN: '2',
      LODESTONE_ANONYMOUS_SOCKETS_PER_ADDRESS: '8',
      LODESTONE_CONNECTIONS_PER_ADDRESS: '1000',
      LODESTONE_REQUEST_TIMEOUT_SECONDS: '1.5',
      LODESTONE_HEADERS_TIMEOUT_SECONDS: '1',
      LODESTONE_IDLE_TIMEOUT_SECONDS: '120',
    });
    expect(config).toMatchObject({ socketsPerSession: 3, socketsPerToken: 2, anonymousSocketsPerAddress: 8, connectionsPerAddress: 1000, requestTimeoutMs: 1500, headersTimeoutMs: 1000, idleTimeoutMs: 120_000 });
    expect(() => loadConfig({ LODESTONE_SOCKETS_PER_SESSION: '0' })).toThrow(/LODESTONE_SOCKETS_PER_SESSION="0": must be at least 1/);
    expect(() => loadConfig({ LODESTONE_CONNECTIONS_PER_ADDRESS: '2.5' })).toThrow(/LODESTONE_CONNECTIONS_PER_ADDRESS="2.5": must be a whole number/);
    expect(() => loadConfig({ LODESTONE_REQUEST_TIMEOUT_SECONDS: 'soon' })).toThrow(/LODESTONE_REQUEST_TIMEOUT_SECONDS="soon": LODESTONE_REQUEST_TIMEOUT_SECONDS must be a number/);
  });

  it('reads TRUST_PROXY: off by default; true, a hop count, or addresses and CIDRs; anything else is named', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1,loopback' }).trustProxy).toEqual(['10.0.0.5', '10.1.0.0/16', '::1', 'loopback']);
    for (const bad of ['yes', '10.0.0.300', '10.0.0.0/33', 'proxy.example', '-1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY=.*must be true, false, a hop count/);
    }
  });

  it('reads LODESTONE_SECRET (at least 32 characters) and never echoes a bad one', () => {
    expect(loadConfig({}).secret).toBeUndefined();
    expect(loadConfig({ LODESTONE_SECRET: 's'.repeat(32) }).secret).toBe('s'.repeat(32));
    expect(() => loadConfig({ LODESTONE_SECRET: 'short-secret' })).toThrow(/LODESTONE_SECRET="…": must be at least 32 characters/);
  });
});
