/**
 * V8's tier-up budget for the command line. A build runs most of its code a few times: with V8's
 * default budget (67 584) V8 still optimizes hundreds of its functions with TurboFan on
 * background threads, about 0.9 s of CPU in a 212-message build, more than either of the build's
 * own threads spends on a core (2 cores here), and most of that code has finished before its
 * optimized version arrives. Sixteen times the budget leaves that to the functions that run hot
 * (Ajv's code generator, the tokenizer): the same build then takes about 0.7 s less CPU and
 * 15–20 % less time (bench/build.mjs).
 *
 * Only the command line sets it (bin/contractgen.js), before its modules load; the library API
 * never changes a caller's flags. A budget given on Node's command line wins.
 */
import { setFlagsFromString } from 'node:v8';

/** 16 × V8's default; see bench/build.mjs for what 4 ×, 8 × and 32 × measured. */
export const CLI_INTERRUPT_BUDGET = 16 * 67_584;

const set: string[] = [];

/** Raise the budget unless Node was started with one; returns the flags set. */
export function tuneV8ForCli(execArgv: readonly string[] = process.execArgv): readonly string[] {
  if (set.length > 0 || execArgv.some((a) => a.startsWith('--interrupt-budget') || a.startsWith('--interrupt_budget'))) return set;
  const flag = `--interrupt-budget=${CLI_INTERRUPT_BUDGET}`;
  setFlagsFromString(flag);
  set.push(flag);
  return set;
}

/** The V8 flags this process set after start (V8 keys cached code to its flags: compile-cache.ts). */
export function v8FlagsSet(): readonly string[] {
  return set;
}
