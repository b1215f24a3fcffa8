import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where initdb and pg_ctl are: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
function binDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  } catch {
    // no pg_config on the PATH
  }
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`)) return `/usr/lib/postgresql/${v}/bin`;
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql, or put pg_config on the PATH');
}

/**
 * A PostgreSQL server of our own (initdb in a temp folder, its own port, trust auth), so that
 * it can be stopped and started under load without touching the machine's shared cluster and
 * the other test runs on it. PostgreSQL refuses to run as root: as root it runs as `postgres`.
 */
export class PrivatePostgres {
  private readonly bin = binDir();
  private readonly dir = mkdtempSync(join(tmpdir(), 'lodestone-pg-'));
  private readonly data = join(this.dir, 'data');
  private readonly asUser: string | null = userInfo().uid === 0 ? 'postgres' : null;

  constructor(readonly port: number) {
    if (this.asUser) execFileSync('chown', [this.asUser, this.dir]);
  }

  /** The URL of a database on it. */
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private run(tool: string, args: string[]): void {
    const command = this.asUser ? ['runuser', '-u', this.asUser, '--', join(this.bin, tool), ...args] : [join(this.bin, tool), ...args];
    const result = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.stdout}`);
  }

  /** initdb, start, and a database named `database`; resolves with its URL. */
  async init(database: string): Promise<string> {
    this.run('initdb', ['-D', this.data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await this.start();
    const admin = new pg.Client({ connectionString: this.url('postgres') });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    return this.url(database);
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    this.run('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'postgres.log'), '-w', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=100`, 'start']);
  }

  /** A fast shutdown: every session is ended (its transaction rolled back), then the server stops. */
  async stop(): Promise<void> {
    this.run('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']);
  }

  /** Stops the server if it runs and deletes its folder. */
  async destroy(): Promise<void> {
    try {
      this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
