/**
 * How much the fuzz suites run. CI runs a fixed seed and a small number of runs, so a failure is
 * the same failure on every machine; a longer hunt sets the environment:
 *
 *   FUZZ_RUNS=20000 FUZZ_SEED=random npx vitest run tests/server/fuzz
 *
 * `FUZZ_RUNS` multiplies nothing: it is the run count of every property (the network properties
 * take a tenth of it, at least the CI default). `FUZZ_SEED` is an integer, or `random` for a new
 * seed each time; a failure prints the seed and the shrunk counterexample to replay it with.
 */
import fc from 'fast-check';

const runs = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : undefined;
if (runs !== undefined && !(Number.isSafeInteger(runs) && runs > 0)) throw new Error(`FUZZ_RUNS must be a positive integer, got ${process.env.FUZZ_RUNS}`);
const seedText = process.env.FUZZ_SEED;
const seed = seedText === undefined ? 20_261_101 : seedText === 'random' ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(seedText);
if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", got ${seedText}`);

/** Parameters for a pure property (a parser): cheap, so many runs. */
export const PURE: fc.Parameters<unknown> = { seed, numRuns: runs ?? 400 };
/** Parameters for a property that talks over sockets. */
export const NETWORK: fc.Parameters<unknown> = { seed, numRuns: Math.max(40, Math.round((runs ?? 400) / 10)) };
