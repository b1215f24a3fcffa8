import { mkdirSync, writeFileSync } from 'node:fs';

/** A small deterministic random source, so that a failing run can be repeated with its seed. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The p-th percentile (nearest rank) of `values`, to 0.1; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN) * 10) / 10;
}

/** The number after `--name` on the command line, if given. */
export function numberArg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}

/** Prints a script's figures as one JSON line and keeps them in test/reliability/results/NAME.json. */
export function report(name: string, result: object): void {
  const figures = { date: new Date().toISOString(), ...result };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(figures, null, 2)}\n`);
}
