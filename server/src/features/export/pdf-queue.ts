import { problems } from '../../http/problem.ts';

export interface PdfQueueLimits {
  /** Renders running at once for one user. */
  perUserRunning: number;
  /** Renders one user may have waiting; past it, 429. */
  perUserWaiting: number;
  /** Renders waiting for everyone together; past it, 429. */
  globalWaiting: number;
  /** Renders running at once in all (the renderer is one process: more would only queue inside it). */
  running: number;
}

export const PDF_QUEUE_LIMITS: PdfQueueLimits = { perUserRunning: 1, perUserWaiting: 4, globalWaiting: 64, running: 1 };

/** A request that left before its turn: nothing is rendered, and there is no one to answer. */
export class AbandonedRender extends Error {
  constructor() {
    super('the request was abandoned before its turn');
    this.name = 'AbandonedRender';
  }
}

interface Job {
  work: () => Promise<Buffer>;
  resolve: (pdf: Buffer) => void;
  reject: (error: Error) => void;
}

/**
 * Who renders next: each user's requests wait in their own line, and the lines take turns
 * (least recently served first), so a user who asks for hundreds of PDFs waits behind their own requests, not
 * others behind theirs. Lines are short (a few per user, a few dozen in all): past that the
 * request is refused at once with 429 and a Retry-After from the recent render times, instead of
 * holding a connection for minutes. In memory: one node's renderer (a queue shared by nodes
 * would live in the database).
 */
export class PdfQueue {
  private readonly lines = new Map<string, Job[]>();
  /** Users with waiting jobs, in the order they came. */
  private readonly turns: string[] = [];
  private readonly runningBy = new Map<string, number>();
  /** When each user with work in the queue was last served (a rising serial number). */
  private readonly served = new Map<string, number>();
  private serial = 0;
  private running = 0;
  private waiting = 0;
  /** Recent render time (ms), smoothed: what a Retry-After is estimated from. */
  private renderMs = 1000;

  constructor(private readonly limits: PdfQueueLimits = PDF_QUEUE_LIMITS) {}

  /** Runs `work` (a render) when this user's turn comes; refuses with 429 when the lines are full. */
  run(userId: string, work: () => Promise<Buffer>, signal?: AbortSignal): Promise<Buffer> {
    const line = this.lines.get(userId) ?? [];
    if (line.length >= this.limits.perUserWaiting) {
      throw problems.rateLimited(this.estimate(line.length + 1), `You have ${line.length} PDF exports waiting; wait for them before asking for more.`);
    }
    if (this.waiting >= this.limits.globalWaiting) {
      throw problems.rateLimited(this.estimate(Math.ceil(this.waiting / Math.max(1, this.turns.length))), 'The PDF renderer is busy; try again shortly.');
    }
    return new Promise<Buffer>((resolve, reject) => {
      const job: Job = { work, resolve, reject };
      line.push(job);
      this.waiting++;
      if (!this.lines.has(userId)) {
        this.lines.set(userId, line);
        this.turns.push(userId);
      }
      // A request whose client went away before its turn leaves the line.
      signal?.addEventListener('abort', () => this.drop(userId, job), { once: true });
      this.pump();
    });
  }

  /** Seconds until `ahead` more renders are done, from recent render times (at least 1). */
  private estimate(ahead: number): number {
    return Math.max(1, Math.ceil((ahead * this.renderMs) / this.limits.running / 1000));
  }

  private drop(userId: string, job: Job): void {
    const line = this.lines.get(userId);
    const at = line?.indexOf(job) ?? -1;
    if (!line || at < 0) return;
    line.splice(at, 1);
    this.waiting--;
    if (line.length === 0) {
      this.forget(userId);
      // Nothing of theirs running or waiting: their turn history is no longer needed.
      if (!this.runningBy.has(userId)) this.served.delete(userId);
    }
    job.reject(new AbandonedRender());
  }

  private forget(userId: string): void {
    this.lines.delete(userId);
    const turn = this.turns.indexOf(userId);
    if (turn >= 0) this.turns.splice(turn, 1);
  }

  /**
   * Starts the next jobs while there is room. The next is the first waiting job of the user
   * served least recently (never served first; ties by who came first), so a newcomer goes
   * before another render for someone who has just had one.
   */
  private pump(): void {
    while (this.running < this.limits.running) {
      let pick = -1;
      for (let i = 0; i < this.turns.length; i++) {
        const userId = this.turns[i] ?? '';
        if ((this.runningBy.get(userId) ?? 0) >= this.limits.perUserRunning) continue;
        if (pick < 0 || (this.served.get(userId) ?? -1) < (this.served.get(this.turns[pick] ?? '') ?? -1)) pick = i;
      }
      if (pick < 0) return;
      const userId = this.turns[pick] ?? '';
      const line = this.lines.get(userId) ?? [];
      const job = line.shift();
      if (!job) {
        this.forget(userId);
        continue;
      }
      this.waiting--;
      if (line.length === 0) this.forget(userId);
      this.served.set(userId, ++this.serial);
      this.start(userId, job);
    }
  }

  private start(userId: string, job: Job): void {
    this.running++;
    this.runningBy.set(userId, (this.runningBy.get(userId) ?? 0) + 1);
    const started = performance.now();
    const done = () => {
      this.renderMs = 0.7 * this.renderMs + 0.3 * (performance.now() - started);
      this.running--;
      const left = (this.runningBy.get(userId) ?? 1) - 1;
      if (left > 0) this.runningBy.set(userId, left);
      else this.runningBy.delete(userId);
      // Nothing running or waiting: the user's turn history is no longer needed.
      if (left <= 0 && !this.lines.has(userId)) this.served.delete(userId);
      this.pump();
    };
    job.work().then(
      (pdf) => {
        done();
        job.resolve(pdf);
      },
      (error: unknown) => {
        done();
        job.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }
}
