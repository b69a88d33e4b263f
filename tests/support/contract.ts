/**
 * The canonical contract (generated/), its validators, and copies of it with other protocol
 * parameters — for the suites and for the child processes they start (which cannot import
 * vitest, so nothing here does).
 */
import { contract as canonicalContract, type AgentUiProtocol } from '../../generated/contract.js';
import { validators } from '../../generated/validators.js';
import type { ContractDescriptor, ProtocolDescriptor } from '../../runtime/contract.js';

export { canonicalContract, validators, type AgentUiProtocol };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type DeepPartial<T> = { -readonly [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ContractPatch = DeepPartial<ContractDescriptor>;

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge((base as Record<string, unknown> | undefined)?.[k], v);
  return out;
}

/** A copy of the canonical contract with some parameters changed: a deep patch, or a function that edits the copy. */
export function contractWith(patch: ContractPatch | ((c: Mutable<ContractDescriptor>) => void)): ContractDescriptor {
  const copy = structuredClone(canonicalContract) as Mutable<ContractDescriptor>;
  if (typeof patch !== 'function') return merge(copy, patch) as ContractDescriptor;
  patch(copy);
  return copy;
}

/** The canonical contract's descriptor over a copy of the contract (what generated/server.ts passes the runtime). */
export function protocolWith(contract: ContractDescriptor = canonicalContract): ProtocolDescriptor {
  return { contract, validators };
}
