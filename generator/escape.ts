/**
 * G1: a spec is untrusted input. Every string from it reaches generated output through the one
 * escaper of the context it lands in, and all of them live here:
 *
 * | context                      | function                     | used by                                        |
 * | ---------------------------- | ---------------------------- | ---------------------------------------------- |
 * | TS/JS string or JSON literal | `tsString`, `tsLiteral`      | every ts-morph emitter, validators.ajv imports |
 * | TS object key                | `tsPropertyKey`, `tsObject`  | contract.ts, validators.ts                     |
 * | TS identifier (checked)      | `tsIdentifier`               | the printer (every structure name and import)  |
 * | JSDoc / block comment        | `jsDoc`, `tsDoc`             | the printer (every `docs` entry), contract.ts  |
 * | `//` line comment            | `lineComment`                | banners of .ts files                           |
 * | Markdown prose               | `markdownText`               | docs templates: the default of `{{…}}`         |
 * | Markdown line start          | `markdownLineStart`          | docs templates: `{{…}}` at the start of a line |
 * | Markdown table cell          | `markdownCell`               | docs templates: `{{…}}` on a table row         |
 * | Markdown inline code         | `markdownCode`               | docs templates: `{{code …}}`                   |
 * | Markdown fenced block        | `markdownFence`              | docs templates: `{{json …}}`                   |
 * | Markdown link destination    | `markdownUrl`                | docs templates: `{{…}}` right after `](`       |
 * | Mermaid label                | `mermaidText`                | docs templates: `{{…}}` inside ```mermaid      |
 * | HTML text / HTML comment     | `htmlText`, `htmlComment`    | Markdown prose (`<`, `&`), banners of .md files |
 *
 * An identifier is never escaped into validity: a name that is not one is refused (the checker
 * reports it as a finding first, so the build never gets that far). The outputs of the code
 * contexts are branded `Code`, so a signature can ask for escaped code rather than any string.
 */

declare const codeBrand: unique symbol;
/** TypeScript source text that is safe to splice: an escaped literal, a checked identifier, or code built from those. */
export type Code = string & { readonly [codeBrand]: true };

// ── TypeScript / JavaScript ──────────────────────────────────────────────────────────────────────

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await any boolean number string symbol unknown never object ' +
    'undefined constructor prototype __proto__'
  ).split(' '),
);

/**
 * Names every plain object inherits. A spec name that becomes an object key in generated code or
 * a lookup in the generator must not be one of these, or `obj[name]` finds the prototype's member.
 */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export class UnsafeIdentifierError extends Error {}

export function isSafeIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED.has(name);
}

/** Returns `name` if it is a plain, non-reserved ASCII identifier; throws otherwise (never escapes). */
export function tsIdentifier(name: string): Code {
  if (!isSafeIdentifier(name)) throw new UnsafeIdentifierError(`"${name}" cannot be used as an identifier in generated code`);
  return name as Code;
}

/** A double-quoted string literal (the printer's quote style), safe in any JS source position. */
export function tsString(value: string): Code {
  // JSON.stringify escapes quotes, backslashes, control characters and lone surrogates; U+2028/9
  // are line terminators in older JS grammars, so they are escaped too.
  return JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') as Code;
}

/**
 * An object key: bare when it is an identifier name, quoted otherwise. `__proto__` is computed
 * (`["__proto__"]`): bare or quoted, it would set the prototype instead of an own property.
 */
export function tsPropertyKey(key: string): Code {
  if (key === '__proto__') return `[${tsString(key)}]` as Code;
  return (IDENTIFIER.test(key) ? key : tsString(key)) as Code;
}

/** A JSON value as a TypeScript/JavaScript literal (keys through `tsPropertyKey`, strings through `tsString`). */
export function tsLiteral(value: unknown): Code {
  if (typeof value === 'string') return tsString(value);
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(', ')}]` as Code;
  if (value !== null && typeof value === 'object') {
    const body = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${tsPropertyKey(k)}: ${tsLiteral(v)}`);
    return (body.length ? `{ ${body.join(', ')} }` : '{}') as Code;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('tsLiteral() takes finite numbers only');
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('tsLiteral() takes JSON values only');
  return text as Code;
}

/**
 * The code builder (Ajv's `_` template, protoplugin's `print`): code from a template whose every
 * interpolation must already be `Code` (an escaped literal, a checked identifier, code built here)
 * or a number; anything else is a type error, so spec text cannot be spliced raw. The printer
 * (printer.ts) takes `Code` in every code position, so this is the only way into emitted TypeScript.
 */
export function ts(strings: TemplateStringsArray, ...values: readonly (Code | number)[]): Code {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '') as Code;
}

/** Pieces of code joined by a separator (itself code). */
export function tsJoin(parts: readonly Code[], separator: Code): Code {
  return parts.join(separator) as Code;
}

/**
 * An object literal, one property a line (the layout the format stage keeps): keys are spec text
 * made into keys here (`tsPropertyKey`), values are code.
 */
export function tsObject(entries: readonly (readonly [key: string, value: Code])[]): Code {
  if (entries.length === 0) return '{}' as Code;
  return `{\n${entries.map(([k, v]) => `${tsPropertyKey(k)}: ${v},\n`).join('')}}` as Code;
}

/** An object literal on one line; a property whose value is its own name is written shorthand (`{ contract }`). */
export function tsObjectInline(entries: readonly (readonly [key: string, value: Code])[]): Code {
  if (entries.length === 0) return '{}' as Code;
  return `{ ${entries.map(([k, v]) => (k === v && IDENTIFIER.test(k) ? k : `${tsPropertyKey(k)}: ${v}`)).join(', ')} }` as Code;
}

/** A member of an object type literal (`tsTypeLiteral`). */
export interface TypeMember {
  readonly name: string;
  readonly type: Code;
  /** Spec text is fine: it goes through `jsDoc`. */
  readonly doc?: string | undefined;
  readonly optional?: boolean | undefined;
}

/** An object type literal, readonly members one a line, each with its JSDoc (escaped by `jsDoc`). */
export function tsTypeLiteral(members: readonly TypeMember[]): Code {
  if (members.length === 0) return '{}' as Code;
  const lines = members.map((m) => `${m.doc ? `${tsDoc(m.doc)}\n` : ''}readonly ${tsPropertyKey(m.name)}${m.optional ? '?' : ''}: ${m.type};\n`);
  return `{\n${lines.join('')}}` as Code;
}

/** A JSDoc block of spec text: it can never end the comment (`jsDoc`). */
export function tsDoc(text: string): Code {
  const lines = jsDoc(text).split('\n');
  return (lines.length === 1 ? `/** ${lines[0]} */` : `/**\n${lines.map((l) => ` * ${l}`.trimEnd()).join('\n')}\n */`) as Code;
}

/** Text inside a `/** … *\/` comment: it can never end the comment. */
export function jsDoc(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\*\//g, '*\\/');
}

/** Text of one `//` comment line: line terminators would end the comment, so they become spaces. */
export function lineComment(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ');
}

// ── HTML ─────────────────────────────────────────────────────────────────────────────────────────

/** Text in HTML element content or a quoted attribute. */
export function htmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Text inside `<!-- … -->`: no `--` (so no `-->`, `--!>` or `<!--`), and it cannot end in `-`. */
export function htmlComment(value: string): string {
  return value.replace(/-(?=-)/g, '- ').replace(/-$/, '- ').replace(/^>/, ' >');
}

// ── Markdown (CommonMark + GFM tables) ───────────────────────────────────────────────────────────

/** One line: a value never starts a new block (a line break in a list item, a table row, …). */
function oneLine(value: unknown): string {
  return String(value ?? '').replace(/\s*[\r\n\u2028\u2029]\s*/g, ' ');
}

/**
 * Prose outside code spans: no raw HTML (`<` before a tag, comment or declaration is `&lt;`, an
 * entity is kept literal), no dangling backslash or backtick that would pair with the template's
 * own code spans, and no block marker at the start. Readable text stays as it is: `(>= 0)`,
 * `a_b`, `*emphasis*`.
 */
function prose(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/`/g, '\\`')
    .replace(/&(?=#?\w+;)/g, '&amp;')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

/**
 * Spec text in Markdown prose, on one line. Balanced inline code spans (`` `x` ``) are kept as the
 * author wrote them (their content is inert); everything else goes through `prose`. A value can
 * therefore neither open HTML nor leave a code span open for the template's next one.
 */
export function markdownText(value: unknown): string {
  const text = oneLine(value);
  let out = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('`', i);
    if (open < 0) break;
    const run = /^`+/.exec(text.slice(open))![0];
    const close = findClosingRun(text, open + run.length, run.length);
    if (close < 0) {
      out += prose(text.slice(i, open + run.length));
      i = open + run.length;
      continue;
    }
    out += prose(text.slice(i, open)) + text.slice(open, close + run.length);
    i = close + run.length;
  }
  return out + prose(text.slice(i));
}

/**
 * Spec text at the start of a Markdown line: as `markdownText`, and a leading block marker (`#`,
 * `>`, `-`, `+`, `*`, `=`, `|`, `~`, `1.`) is made literal, so the value cannot become a heading,
 * a quote, a list, a table or a fence.
 */
export function markdownLineStart(value: unknown): string {
  return markdownText(value).replace(/^(\s*)(?:([#>+\-*=|~])|(\d+)([.)]))/, (_all, space: string, marker?: string, digits?: string, dot?: string) =>
    marker ? `${space}\\${marker}` : `${space}${digits}\\${dot}`,
  );
}

/** Index of the next backtick run of exactly `length` at or after `from`, or -1. */
function findClosingRun(text: string, from: number, length: number): number {
  for (const m of text.slice(from).matchAll(/`+/g)) if (m[0].length === length) return from + m.index!;
  return -1;
}

/** Spec text (or a `SafeMarkdown` fragment) in a GFM table cell: a pipe ends the cell even inside a code span, so every one is escaped. */
export function markdownCell(value: unknown): string {
  return pipes(markdownText(value));
}

/** Escapes the cell delimiter of already-safe inline Markdown (a code span, escaped prose). */
export function pipes(markdown: string): string {
  return markdown.replace(/\|/g, '\\|');
}

/** An inline code span that survives backticks in its content (its content is never Markdown). */
export function markdownCode(value: unknown): string {
  const text = oneLine(value);
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fenced block whose fence is longer than any backtick run inside, with a checked info string. */
export function markdownFence(lang: string, body: string): string {
  if (!/^[a-z]*$/.test(lang)) throw new TypeError(`markdownFence: "${lang}" is not a language name`);
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${body.replace(/\r\n?/g, '\n').replace(/\n+$/, '')}\n${ticks}`;
}

/** A link destination `[…](here)`: percent-encoded, so no space, parenthesis or `<` ends it early. */
export function markdownUrl(value: unknown): string {
  return encodeURI(oneLine(value)).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// ── Mermaid ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Free text in a Mermaid diagram line (a message, a note, a transition label): everything Mermaid
 * reads as syntax (`;` ends a statement, `:` a state label, `#` starts an entity, `%` a comment,
 * `<`/`>` are HTML, quotes and backticks delimit strings) becomes a Mermaid entity code `#59;`.
 */
export function mermaidText(value: unknown): string {
  return oneLine(value).replace(/[;:#%<>"'`&\\{}]/g, (c) => `#${c.charCodeAt(0)};`);
}

// ── Handlebars ───────────────────────────────────────────────────────────────────────────────────

/**
 * A Markdown fragment a docs helper built through one of the escapers above (`code`, `json`,
 * `codeList`). The templates' default escaping passes it through and escapes everything else.
 */
export class SafeMarkdown {
  constructor(readonly markdown: string) {}
  toString(): string {
    return this.markdown;
  }
}
