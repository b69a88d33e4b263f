/** Settings every benchmark reads from the environment. */

/** A positive integer from `name`, or undefined when unset; anything else is an error, not a silent default. */
export function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

/** BENCH_QUICK=1: a smoke run with small numbers (its figures are not to be reported). */
export const QUICK = process.env.BENCH_QUICK === '1';
