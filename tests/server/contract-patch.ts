/**
 * A copy of the canonical contract with some protocol parameters changed — for the server suites
 * and for the child processes they start (which cannot import vitest, so this lives apart from
 * helpers.ts).
 */
import { contract as canonicalContract } from '../../generated/contract.js';
import type { ContractDescriptor } from '../../runtime/contract.js';

type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ContractPatch = DeepPartial<ContractDescriptor>;

function merge(base: any, patch: any): any {
  if (patch === undefined) return base;
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: any = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(base?.[k], v);
  return out;
}

/** A copy of the canonical contract with some protocol parameters changed. */
export function contractWith(patch: ContractPatch): ContractDescriptor {
  return merge(structuredClone(canonicalContract), patch) as ContractDescriptor;
}
