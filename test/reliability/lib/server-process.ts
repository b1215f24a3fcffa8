import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ADMIN_PASSWORD = 'reliability-admin-1';
export const PASSWORD = 'reliability-password';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A start that takes longer than this is a failure, not a slow machine. */
const READY_WITHIN_MS = 60_000;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real server (`server/src/main.ts`, as `npm start` runs it) in one process of its own —
 * `node --import tsx`, so that a SIGKILL hits the server itself and no wrapper survives it.
 */
export class ServerProcess {
  child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly port: number,
    /** A SQLite database file, or a `postgres://` URL. */
    readonly databaseFile: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get databaseUrl(): string {
    return /^postgres(ql)?:\/\//.test(this.databaseFile) ? this.databaseFile : `file:${this.databaseFile}`;
  }

  /** Starts the server and resolves with the time until /readyz answers 200 (ms). */
  async start(): Promise<number> {
    const started = performance.now();
    this.child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        DATABASE_URL: this.databaseUrl,
        LODESTONE_ADMIN_PASSWORD: ADMIN_PASSWORD,
        LODESTONE_RATE_LIMIT_PER_MINUTE: '10000000',
        LOG_LEVEL: 'error',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const child = this.child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`server exited (${signal ?? code}) before it was ready`))));
    const ready = (async () => {
      for (;;) {
        if (performance.now() - started > READY_WITHIN_MS) throw new Error(`the server was not ready within ${READY_WITHIN_MS / 1000} s`);
        try {
          const res = await fetch(`${this.url}/readyz`);
          if (res.ok) return performance.now() - started;
        } catch {
          // not listening yet
        }
        await sleep(10);
      }
    })();
    return Promise.race([ready, exited]);
  }

  /** kill -9: no drain, no goodbye. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM: the server drains and exits 0. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const gone = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return gone;
  }
}

/** A signed-in HTTP client of the server, by cookie. */
export class Client {
  constructor(
    readonly url: string,
    readonly cookie: string,
  ) {}

  static async signIn(url: string, username: string, password: string): Promise<Client> {
    const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    const cookie = res.headers.get('set-cookie')?.split(';')[0];
    if (!res.ok || !cookie) throw new Error(`sign-in of ${username} failed: ${res.status} ${await res.text()}`);
    return new Client(url, cookie);
  }

  async send(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: unknown; text: string }> {
    const headers: Record<string, string> = { cookie: this.cookie };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers['idempotency-key'] = key;
    const res = await fetch(`${this.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, text };
  }

  async ok<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${res.text}`);
    return res.body as T;
  }
}

/** The cast every reliability script uses: two leads, members and liaisons of both sides, and `incidents` incidents they all belong to. */
export async function seedCast(url: string, incidents = 3): Promise<{ admin: Client; leads: Client[]; members: Client[]; liaisons: Client[]; incidentIds: string[] }> {
  const admin = await Client.signIn(url, 'admin', ADMIN_PASSWORD);
  const make = async (username: string, role: string, side: 'US' | 'JP') => {
    const user = await admin.ok<{ id: string }>('POST', '/users', { username, displayName: `${role} ${username}`, password: PASSWORD, role, agency: side === 'US' ? 'DOE' : 'METI', side });
    return { id: user.id, client: await Client.signIn(url, username, PASSWORD) };
  };
  const leads = [await make('lead.us', 'lead', 'US'), await make('lead.jp', 'lead', 'JP')];
  const members = [await make('member.us', 'member', 'US'), await make('member.jp', 'member', 'JP')];
  const liaisons = [await make('liaison.us', 'liaison', 'US'), await make('liaison.jp', 'liaison', 'JP')];
  const incidentIds: string[] = [];
  for (let i = 0; i < incidents; i++) {
    const lead = leads[i % 2]?.client;
    if (!lead) throw new Error('no lead');
    const incident = await lead.ok<{ id: string }>('POST', '/incidents', { title: `Reliability incident ${i + 1}`, severity: 'high', minerals: ['gallium'] });
    for (const person of [...leads, ...members, ...liaisons]) {
      const added = await lead.send('PUT', `/incidents/${incident.id}/members/${person.id}`);
      if (![200, 204, 409].includes(added.status)) throw new Error(`adding a member failed: ${added.status} ${added.text}`);
    }
    incidentIds.push(incident.id);
  }
  return { admin, leads: leads.map((l) => l.client), members: members.map((m) => m.client), liaisons: liaisons.map((l) => l.client), incidentIds };
}
