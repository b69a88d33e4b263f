/**
 * Findings: what every stage reports about a spec. Each one names where (file, line, column,
 * JSON pointer), what is wrong, and what to do about it.
 */

export type Severity = 'error' | 'warning';

export interface Finding {
  readonly severity: Severity;
  /** Stable kebab-case id, e.g. `data-message-requires-seq`; tests and CI key on it. */
  readonly code: string;
  /** The DESIGN.md rule the finding protects (`Q1`, `W2`, …), when there is one. */
  readonly rule?: string;
  /** JSON pointer into the spec ('' is the document root). */
  readonly pointer: string;
  readonly message: string;
  /** What to change in the spec. */
  readonly hint: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/** A stage could not go on: the findings say why. */
export class ContractError extends Error {
  readonly findings: readonly Finding[];
  constructor(findings: readonly Finding[]) {
    const errors = findings.filter((f) => f.severity === 'error');
    super(`${errors.length} error(s) in the contract:\n${formatFindings(errors)}`);
    this.name = 'ContractError';
    this.findings = findings;
  }
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** One finding per block: `file:line:col severity [rule code] pointer` then the message and fix. */
export function formatFinding(f: Finding): string {
  const where = f.file ? `${f.file}${f.line ? `:${f.line}:${f.column ?? 1}` : ''} ` : '';
  const tag = [f.rule, f.code].filter(Boolean).join(' ');
  return `${where}${f.severity} [${tag}] ${f.pointer || '/'}\n  ${f.message}\n  fix: ${f.hint}`;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map(formatFinding).join('\n');
}

/** Errors first, then by position, then by code, so output is stable. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      a.pointer.localeCompare(b.pointer) ||
      a.code.localeCompare(b.code),
  );
}

/** RFC 6901 escaping of one reference token. */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  // Most tokens need nothing: two replaces per token were a sixth of a large spec's lint walks.
  if (!text.includes('~') && !text.includes('/')) return text;
  return text.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(...tokens: (string | number)[]): string {
  return tokens.map((t) => '/' + escapePointerToken(t)).join('');
}

/**
 * Tokens of a JSON pointer. Only the URI-fragment form (`#/…`, as in `$ref`) is percent-decoded;
 * a plain pointer is not (RFC 6901 §6), so a key such as `50%` neither throws nor is mangled.
 */
export function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '#') return [];
  const fragment = pointer.startsWith('#');
  const body = fragment ? pointer.slice(1) : pointer;
  return body
    .split('/')
    .slice(1)
    .map((t) => (fragment ? decodeFragmentToken(t) : t).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A malformed escape (`%zz`) is kept as written: the reference then fails to resolve and is reported. */
function decodeFragmentToken(token: string): string {
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
}
