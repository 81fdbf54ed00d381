/**
 * Benchmark harness. Every benchmark measures a baseline in the same run and reports its result as a
 * ratio to it, so numbers compare across machines. Loops are bounded by time and by count.
 */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  readonly name: string;
  readonly operations: number;
  readonly elapsedMs: number;
  readonly perSecond: number;
}

export interface BenchResult {
  readonly name: string;
  readonly subject: Measurement;
  readonly baseline: Measurement;
  /** subject.perSecond / baseline.perSecond */
  readonly ratio: number;
  /** The ratio the benchmark aims for, when it has one. */
  readonly target?: number;
  readonly notes?: readonly string[];
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(): Promise<BenchResult>;
}

export const BENCH_DURATION_MS_DEFAULT = 1_000;
export const BENCH_OPERATIONS_MAX = 5_000_000;

/** Runs `operation` repeatedly for about `durationMs` (after a short warm-up) and counts. */
export async function measure(
  name: string,
  operation: () => unknown,
  durationMs = BENCH_DURATION_MS_DEFAULT,
): Promise<Measurement> {
  const warmupEnd = performance.now() + Math.min(200, durationMs / 5);
  while (performance.now() < warmupEnd) await operation();
  let operations = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs && operations < BENCH_OPERATIONS_MAX) {
    await operation();
    operations++;
    now = performance.now();
  }
  const elapsedMs = now - start;
  return { name, operations, elapsedMs, perSecond: (operations * 1000) / elapsedMs };
}

export function compare(
  name: string,
  subject: Measurement,
  baseline: Measurement,
  extra: { target?: number; notes?: readonly string[] } = {},
): BenchResult {
  return { name, subject, baseline, ratio: subject.perSecond / baseline.perSecond, ...extra };
}

export function formatResult(result: BenchResult): string {
  const fmt = (m: Measurement): string => `${m.name}: ${Math.round(m.perSecond).toLocaleString('en-US')}/s`;
  const verdict = result.target === undefined ? '' : result.ratio >= result.target ? `  (target ≥ ${result.target}: met)` : `  (target ≥ ${result.target}: NOT met)`;
  const lines = [
    `${result.name}: ratio ${result.ratio.toFixed(3)}${verdict}`,
    `  ${fmt(result.subject)}`,
    `  baseline ${fmt(result.baseline)}`,
    ...(result.notes ?? []).map((note) => `  ${note}`),
  ];
  return lines.join('\n');
}
