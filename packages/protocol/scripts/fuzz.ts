/**
 * Long fuzz run of the codec robustness properties (the test suite runs the same ones briefly).
 *   npm run fuzz                      # 200000 runs per property
 *   FUZZ_RUNS=1000000 npm run fuzz
 *   FUZZ_SEED=123 npm run fuzz        # reproduce a run
 */
import fc from 'fast-check';
import { fuzzProperties } from '../test/fuzz-properties.js';

const runs = Number(process.env['FUZZ_RUNS'] ?? 200000);
if (!Number.isSafeInteger(runs) || runs <= 0) throw new Error(`FUZZ_RUNS must be a positive integer, got ${process.env['FUZZ_RUNS']}`);
const seed = process.env['FUZZ_SEED'] === undefined ? Date.now() | 0 : Number(process.env['FUZZ_SEED']);

let total = 0;
let failed = false;
console.log(`fuzzing with ${runs} runs per property, seed ${seed}`);
for (const { name, property } of fuzzProperties()) {
  const started = Date.now();
  const details = fc.check(property, { numRuns: runs, seed });
  total += details.numRuns;
  if (details.failed) {
    failed = true;
    console.error(`FAIL ${name} after ${details.numRuns} runs`);
    console.error(fc.defaultReportMessage(details) ?? '');
  } else {
    console.log(`ok   ${name}: ${details.numRuns} runs in ${Date.now() - started} ms`);
  }
}
console.log(`${total} cases run in total`);
if (failed) process.exitCode = 1;
