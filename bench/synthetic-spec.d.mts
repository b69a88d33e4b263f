/** Types of synthetic-spec.mjs, for the tests that import it. */
export function syntheticSpec(canonical: Record<string, unknown>, count: number): Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> };
