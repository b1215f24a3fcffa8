import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

/** The only file that touches the process: configuration, listening, signals, exit. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee the Configuration section of README.md.\n`);
      process.exit(1);
    }
    throw error;
  }

  const app = await buildApp({
    databaseUrl: config.databaseUrl,
    publicOrigin: config.publicOrigin,
    adminPassword: config.adminPassword,
    demo: config.demo,
    logger: { level: config.logLevel },
    sessionIdleMinutes: config.sessionIdleMinutes,
    sessionMaxHours: config.sessionMaxHours,
    rateLimitPerMinute: config.rateLimitPerMinute,
    socketLimits: { socketsPerSession: config.socketsPerSession, socketsPerToken: config.socketsPerToken },
    anonymousSocketsPerAddress: config.anonymousSocketsPerAddress,
    connectionsPerAddress: config.connectionsPerAddress,
    requestTimeoutMs: config.requestTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    trustProxy: config.trustProxy,
    secret: config.secret,
    nodeId: config.nodeId,
    announce: (message) => process.stdout.write(`\n  ${message}\n\n`),
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'draining: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('drain took over 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  // npm start runs the build in server/dist; tsx runs the sources (npm run dev, tests, scripts).
  const build = import.meta.url.endsWith('.js') ? 'compiled JavaScript' : 'TypeScript sources';
  app.log.info(`Lodestone is serving ${config.publicOrigin} (${build}) as node ${config.nodeId} on ${app.lodestone.store.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Lodestone could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
