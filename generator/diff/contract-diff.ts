/**
 * `contractgen diff` as a function: two loaded specs in, every classified change, the semver bump
 * they call for and whether x-contract.version moved enough, out. The stages, in order:
 *
 *   source.ts          read OLD and NEW (a file or git:REF:path) and parse the JSON
 *   contract-view.ts   a lenient structural view of each (no lint-clean spec needed)
 *   schema-diff.ts     message and endpoint schemas, judged per direction (schema-compare.ts walks them)
 *   semantics-diff.ts  x-contract and x-message parameters no schema sees
 *   version-check.ts   the bump of x-contract.version against the recommended one
 *   report.ts          text, markdown (a PR comment) or JSON
 */
import type { LoadedSpec } from '../loader.js';
import type { Schema } from '../schema-walk.js';
import { countByKind, foldChanges, KIND_ORDER, recommendBump, sortChanges, type Bump, type Change, type ChangeKind } from './change.js';
import { contractView } from './contract-view.js';
import { diffSchemas } from './schema-diff.js';
import { diffSemantics } from './semantics-diff.js';
import { checkVersion, type VersionCheck } from './version-check.js';

export interface DiffSide {
  /** As given: a path or git:REF:path. */
  readonly source: string;
  readonly name?: string;
  readonly version?: string;
}

export interface DiffResult {
  readonly old: DiffSide;
  readonly new: DiffSide;
  readonly recommendedBump: Bump;
  readonly versionCheck: VersionCheck;
  readonly counts: Readonly<Record<ChangeKind, number>>;
  /** Sorted: breaking, additive, doc-only; then by pointer. */
  readonly changes: readonly Change[];
}

export function diffContracts(oldSpec: LoadedSpec, newSpec: LoadedSpec): DiffResult {
  const o = contractView(oldSpec.json as Schema);
  const n = contractView(newSpec.json as Schema);
  const found = foldChanges([...diffSchemas(o, n), ...diffSemantics(o, n)]);
  const changes = sortChanges(
    found.map((c) => {
      const position = (c.side === 'old' ? oldSpec : newSpec).locate(c.pointer);
      // A position in the shipped kernel file (a definition taken by $ref) is not a place in this side's file.
      return position && position.file === undefined ? { ...c, line: position.line, column: position.column } : c;
    }),
  );
  const recommendedBump = recommendBump(changes);
  const side = (spec: LoadedSpec, v: typeof o): DiffSide => ({ source: spec.file, ...(v.name !== undefined ? { name: v.name } : {}), ...(v.version !== undefined ? { version: v.version } : {}) });
  return {
    old: side(oldSpec, o),
    new: side(newSpec, n),
    recommendedBump,
    versionCheck: checkVersion(o.version, n.version, recommendedBump),
    counts: countByKind(changes),
    changes,
  };
}

export type FailOn = 'breaking' | 'additive' | 'any' | 'version';
export const FAIL_ON: readonly FailOn[] = ['breaking', 'additive', 'any', 'version'];

/**
 * Does the result fail `--fail-on`? breaking: any breaking change; additive: any breaking or
 * additive one; any: any change at all; version: the version check did not pass. An error from
 * the version check (a breaking change without a big enough bump, a version that went backwards)
 * fails every threshold.
 */
export function fails(result: DiffResult, failOn: FailOn): boolean {
  if (result.versionCheck.severity === 'error') return true;
  if (failOn === 'version') return result.versionCheck.severity !== undefined;
  const worst = failOn === 'any' ? KIND_ORDER.length : KIND_ORDER.indexOf(failOn) + 1;
  return result.changes.some((c) => KIND_ORDER.indexOf(c.kind) < worst);
}
