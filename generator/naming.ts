/**
 * Names and literals. A spec is untrusted input: every identifier that reaches generated code
 * goes through `safeIdentifier`, every value through `literal` (the Ajv rule: nothing raw is
 * spliced into code).
 */

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await any boolean number string symbol unknown never object ' +
    'undefined constructor prototype __proto__'
  ).split(' '),
);

export class UnsafeIdentifierError extends Error {}

/** Returns `name` if it is a plain, non-reserved ASCII identifier; throws otherwise. */
export function safeIdentifier(name: string): string {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || RESERVED.has(name)) {
    throw new UnsafeIdentifierError(`"${name}" cannot be used as an identifier in generated code`);
  }
  return name;
}

export function isSafeIdentifier(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !RESERVED.has(name);
}

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

/**
 * A JSON value as a TypeScript/JavaScript literal. JSON.stringify escapes quotes and control
 * characters; U+2028/2029 are escaped too so the text is safe in any JS source position.
 */
export function literal(value: unknown): string {
  if (typeof value === 'string') return stringLiteral(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const body = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${propertyKey(k)}: ${literal(v)}`);
    return body.length ? `{ ${body.join(', ')} }` : '{}';
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('literal() takes finite numbers only');
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('literal() takes JSON values only');
  return text;
}

/** A double-quoted string literal (the printer's quote style), safe in any JS source position. */
export function stringLiteral(value: string): string {
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * An object key: bare when it is an identifier name, quoted otherwise. `__proto__` is computed
 * (`["__proto__"]`): bare or quoted, it would set the prototype instead of an own property.
 */
export function propertyKey(key: string): string {
  if (key === '__proto__') return `[${stringLiteral(key)}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : stringLiteral(key);
}

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
