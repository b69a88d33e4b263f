/**
 * What `contractgen diff` reports: one classified change per row, and the semver bump the set of
 * them calls for. Every stage of generator/diff/ produces or reads these types.
 */

/** How a change affects peers built against the OLD contract. Ordered by severity. */
export type ChangeKind = 'breaking' | 'additive' | 'doc-only';

/** Where the change was seen: the JSON Schema of a message or endpoint, or x-contract / x-message. */
export type ChangeCategory = 'schema' | 'semantics';

export type Direction = 'client-to-server' | 'server-to-client';

export type Bump = 'major' | 'minor' | 'patch' | 'none';

export interface Change {
  readonly kind: ChangeKind;
  /** Stable kebab-case id of what changed (`property-added`, `enum-value-removed`, …); CI can key on it. */
  readonly code: string;
  /** JSON pointer in NEW, or in OLD when the thing was removed (see `side`). */
  readonly pointer: string;
  readonly side: 'old' | 'new';
  readonly category: ChangeCategory;
  /**
   * The wire types of the messages the change concerns (`ui.render`), sorted, when there are any:
   * one edit to a shared $defs entry is one change for every message (of one direction) using it.
   */
  readonly messages?: readonly string[];
  /** The history endpoint and part (`conversationHistory query`), when the change concerns one. */
  readonly endpoint?: string;
  /** Who sends what the changed schema describes; it decides breaking vs additive. */
  readonly direction?: Direction;
  /** One line: what changed and why that is its classification. */
  readonly reason: string;
  /** 1-based position of `pointer` in the file of `side` (or of its nearest existing parent). */
  readonly line?: number;
  readonly column?: number;
}

export const KIND_ORDER: readonly ChangeKind[] = ['breaking', 'additive', 'doc-only'];

const BUMP_RANK: Readonly<Record<Bump, number>> = { none: 0, patch: 1, minor: 2, major: 3 };

export function bumpRank(b: Bump): number {
  return BUMP_RANK[b];
}

/** Major if anything breaks, minor if anything is added, patch for documentation only, none if identical. */
export function recommendBump(changes: readonly Change[]): Bump {
  if (changes.some((c) => c.kind === 'breaking')) return 'major';
  if (changes.some((c) => c.kind === 'additive')) return 'minor';
  if (changes.length > 0) return 'patch';
  return 'none';
}

/** The deterministic order of every output: severity, then pointer, then subject, then code. */
export function sortChanges(changes: readonly Change[]): Change[] {
  const subject = (c: Change): string => c.messages?.join(',') ?? c.endpoint ?? '';
  return [...changes].sort(
    (a, b) =>
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      compareText(a.pointer, b.pointer) ||
      compareText(subject(a), subject(b)) ||
      compareText(a.code, b.code) ||
      compareText(a.reason, b.reason),
  );
}

/** Code-unit order, independent of the locale the CLI runs in. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One change per edit: the same change reached twice (a shared $defs entry seen through two paths,
 * or from several messages of one direction) is reported once, listing every message it concerns.
 */
export function foldChanges(changes: readonly Change[]): Change[] {
  const byKey = new Map<string, { change: Change; messages: Set<string> }>();
  for (const c of changes) {
    const key = [c.kind, c.code, c.pointer, c.side, c.category, c.endpoint ?? '', c.direction ?? '', c.reason].join('\u0000');
    const entry = byKey.get(key) ?? { change: c, messages: new Set<string>() };
    for (const m of c.messages ?? []) entry.messages.add(m);
    byKey.set(key, entry);
  }
  return [...byKey.values()].map(({ change, messages }) => {
    const { messages: _, ...rest } = change;
    return messages.size > 0 ? { ...rest, messages: [...messages].sort(compareText) } : rest;
  });
}

export function countByKind(changes: readonly Change[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { breaking: 0, additive: 0, 'doc-only': 0 };
  for (const c of changes) counts[c.kind]++;
  return counts;
}

/** JSON with sorted object keys, so two equal values always print the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort(compareText)
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
