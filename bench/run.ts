/**
 * `npm run bench [name…]`: runs the named benchmarks (all when none is named) and prints each
 * result as a ratio against the baseline it measured in the same run.
 */
import { formatResult, type Benchmark } from './harness.js';
import { benchmarks } from './index.js';

const wanted = process.argv.slice(2);
const selected: Benchmark[] = wanted.length === 0 ? benchmarks : benchmarks.filter((b) => wanted.includes(b.name));
if (selected.length === 0) {
  console.error(`no benchmark named ${wanted.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
for (const benchmark of selected) {
  console.log(`# ${benchmark.name} — ${benchmark.description}`);
  const result = await benchmark.run();
  console.log(formatResult(result));
}
