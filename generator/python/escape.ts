/**
 * G1 for the Python target: one escaper per Python context, and `PyCode`, the only thing a Python
 * template or code builder splices in as is. A spec string reaches Python output through exactly
 * one of these: a string literal (`pyString`), a docstring (`pyDocstring`), a `#` comment
 * (`pyComment`), an identifier (`pyIdentifier`: checked against the grammar and the keywords,
 * never escaped into validity) or a literal of a JSON value (`pyLiteral`). The `py` tagged
 * template turns every interpolation that is not already PyCode into a literal (as Ajv's `_`
 * does for JavaScript), so an unescaped string cannot become code.
 */

/** Python source that is known to be safe: built only by this module's functions. */
export class PyCode {
  /** @internal use `py`, `pyRaw`… — never construct from spec text. */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Python keywords, soft keywords that would confuse readers, and builtins the output relies on. */
const PY_RESERVED = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if ' +
    'import in is lambda nonlocal not or pass raise return try while with yield match case type _ ' +
    'object str int float bool list dict tuple set print len isinstance'
  ).split(' '),
);

export class UnsafePythonIdentifierError extends Error {}

/** G1: `name` if it is a plain ASCII Python identifier that is not reserved; throws otherwise. */
export function pyIdentifier(name: string): PyCode {
  if (!isPyIdentifier(name)) throw new UnsafePythonIdentifierError(`"${name}" cannot be used as a Python identifier in generated code`);
  return new PyCode(name);
}

export function isPyIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_RESERVED.has(name) && !name.startsWith('__');
}

/** G1: a double-quoted Python string literal of any text (control characters, quotes and line separators escaped). */
export function pyString(value: string): PyCode {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0x85 || (c >= 0xd800 && c <= 0xdfff) || c === 0xfeff) {
      out += c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return new PyCode(`${out}"`);
}

/**
 * G1: text for the inside of a `"""…"""` docstring. Backslashes and every quote are escaped, so
 * no run of quotes can close the docstring; control characters are escaped as in a string.
 */
export function pyDocstring(text: string): PyCode {
  const literal = pyString(text).text.slice(1, -1);
  return new PyCode(literal);
}

/** G1: text for a `# …` comment: one line, nothing after a line break can escape the comment. */
export function pyComment(text: string): PyCode {
  return new PyCode(pyString(text).text.slice(1, -1));
}

/** A JSON value as a Python expression (dict/list/str/int/float/True/False/None). */
export function pyLiteral(value: unknown): PyCode {
  if (value === null) return new PyCode('None');
  if (value === true) return new PyCode('True');
  if (value === false) return new PyCode('False');
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('pyLiteral() takes finite numbers only');
    // JSON numbers: integral values print as Python ints (1e21 → 1000000000000000000000), others as floats.
    if (Number.isInteger(value)) return new PyCode(BigInt(value).toString());
    const text = String(value);
    return new PyCode(/[.e]/.test(text) ? text : `${text}.0`);
  }
  if (Array.isArray(value)) return new PyCode(`[${value.map((v) => pyLiteral(v).text).join(', ')}]`);
  if (typeof value === 'object') {
    return new PyCode(`{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyString(k).text}: ${pyLiteral(v).text}`).join(', ')}}`);
  }
  throw new TypeError(`pyLiteral() takes JSON values only, got ${typeof value}`);
}

/** Python code with every interpolation that is not PyCode turned into a literal. */
export function py(strings: TemplateStringsArray, ...values: unknown[]): PyCode {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += (v instanceof PyCode ? v : pyLiteral(v)).text + strings[i + 1]!;
  }
  return new PyCode(out);
}

/** Lines of code joined, each indented by `depth` levels of four spaces. */
export function pyBlock(lines: readonly PyCode[], depth = 0): PyCode {
  const pad = '    '.repeat(depth);
  return new PyCode(lines.flatMap((l) => l.text.split('\n').map((x) => (x === '' ? '' : pad + x))).join('\n'));
}

/** Moved to naming.ts with the other word cases (the model computes every name); re-exported for the Python modules. */
export { snakeCase } from '../naming.js';

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);

/** A key usable as a TypedDict class-syntax field (an identifier, not a hard keyword); others go in the functional syntax. */
export function isPyFieldName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !PY_KEYWORDS.has(name) && !name.startsWith('__');
}
