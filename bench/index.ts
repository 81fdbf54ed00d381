import { bankAuthorizationBenchmark } from './bank.bench.js';
import { scp03Benchmark } from './card.bench.js';
import { cryptoBenchmarks } from './crypto.bench.js';
import { tsmProvisioningBenchmark } from './tsm.bench.js';
import { tsmDatabaseBenchmark } from './tsmDatabase.bench.js';
import { upFirstStartBenchmark, upSecondStartBenchmark } from './up.bench.js';
import type { Benchmark } from './harness.js';

/** Every benchmark, in the order `npm run bench` runs them. */
export const benchmarks: Benchmark[] = [...cryptoBenchmarks, scp03Benchmark, tsmProvisioningBenchmark, tsmDatabaseBenchmark, bankAuthorizationBenchmark, upFirstStartBenchmark, upSecondStartBenchmark];
