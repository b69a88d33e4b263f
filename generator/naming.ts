/**
 * Names and literals. A spec is untrusted input: every identifier that reaches generated code
 * goes through `safeIdentifier`, every value through `literal` (the Ajv rule: nothing raw is
 * spliced into code). Both are the code-context escapers of escape.ts under their old names.
 */
import { tsIdentifier, tsLiteral, tsPropertyKey, tsString } from './escape.js';

export { isSafeIdentifier, UnsafeIdentifierError } from './escape.js';

/** Returns `name` if it is a plain, non-reserved ASCII identifier; throws otherwise (G1: checked, never escaped). */
export const safeIdentifier = tsIdentifier;

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

/** `protocol.resume_failed` → `protocolResumeFailed` */
export function camelCase(text: string): string {
  return words(text)
    .map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('');
}

/** `protocol.resume_failed` → `ProtocolResumeFailed` */
export function pascalCase(text: string): string {
  return words(text)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** `protocol.resume_failed` → `protocol_resume_failed`; `UiRender` → `ui_render`. */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase())
    .join('_');
}

/** A JSON value as a TypeScript/JavaScript literal (G1: the string-literal escaper of escape.ts). */
export const literal = tsLiteral;
export const stringLiteral = tsString;
export const propertyKey = tsPropertyKey;

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
