/**
 * Every code a finding about a spec can carry, with the sentence it checks: the stages before the
 * lint rules (loading, the kernel, the vocabulary meta-schema) and then the rules themselves.
 * `contractgen lint --rules` prints this list, so every [code] a finding shows can be looked up.
 */
import { rules } from './rules/index.js';

export interface FindingCode {
  readonly id: string;
  readonly rule?: string;
  readonly sentence: string;
}

/** Codes of the stages before the lint rules, in the order they run. */
export const STAGE_CODES: readonly FindingCode[] = [
  { id: 'spec-unreadable', sentence: 'The spec file exists and can be read.' },
  { id: 'json-syntax', sentence: 'The spec is JSON; // and /* */ comments are allowed, trailing commas are not.' },
  { id: 'spec-not-object', sentence: 'The spec is a JSON object (a JSON Schema document).' },
  { id: 'duplicate-key', sentence: 'No object has the same key twice (JSON parsers would keep only the last).' },
  { id: 'kernel-ref', sentence: 'A $ref to the kernel has the form https://contractgen.dev/kernel/<major>#/$defs/<Name>.' },
  { id: 'kernel-version', sentence: 'The spec takes definitions from one kernel major version, and this contractgen ships it.' },
  { id: 'kernel-definition', sentence: 'A kernel $ref names a definition the shipped kernel has.' },
  { id: 'kernel-name', sentence: 'A $defs entry that takes a kernel definition keeps the kernel\'s name.' },
  { id: 'kernel-name-taken', sentence: 'A name a taken kernel definition refers to is not used by the spec for something else (ProtocolVersion and HelloApp may be extended with $dynamicAnchor).' },
  { id: 'missing-x-contract', sentence: 'The spec has an x-contract block at its root.' },
  { id: 'unknown-vocabulary-keyword', sentence: 'Only the x- keywords of the vocabulary (x-contract, x-message) appear.' },
  { id: 'vocabulary', sentence: 'The spec is valid JSON Schema 2020-12 extended by the contractgen vocabulary (spec/contract-vocabulary.schema.json in the package).' },
];

/** Stage codes, then every lint rule. */
export function findingCodes(): FindingCode[] {
  return [...STAGE_CODES, ...rules.map((r) => ({ id: r.id, ...(r.rule ? { rule: r.rule } : {}), sentence: r.sentence }))];
}
