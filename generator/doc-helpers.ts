/**
 * The Handlebars side of the docs: the helpers the templates use (formatting only, no prose) and
 * the compiled templates, loaded once per process (precompiled by `npm run build:cli`, see
 * doc-templates.ts).
 */
import Handlebars from 'handlebars';
import { loadTemplates } from './doc-templates.js';
import { markdownCode, markdownFence, SafeMarkdown } from './escape.js';
import { registerEscapeHelpers } from './template-escape.js';

export type Render = (view: object) => string;

let compiled: Promise<Map<string, Render>> | undefined;

/**
 * JSON for reading: a value that fits in `width` columns stays on one line (`{ "a": 1 }`),
 * anything longer is broken one member per line, two spaces deeper.
 */
export function readableJson(value: unknown, indent = 0, width = 96, prefix = 0): string {
  const flat = (v: unknown): string => {
    if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${v.map(flat).join(', ')}]`;
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${flat(x)}`).join(', ')} }`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  const one = flat(value);
  if (indent + prefix + one.length + 1 <= width || value === null || typeof value !== 'object') return one;
  const pad = ' '.repeat(indent + 2);
  const close = ' '.repeat(indent);
  if (Array.isArray(value)) return `[\n${value.map((x) => pad + readableJson(x, indent + 2, width)).join(',\n')}\n${close}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{\n${entries.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${readableJson(x, indent + 2, width, JSON.stringify(k).length + 2)}`).join(',\n')}\n${close}}`;
}

/**
 * The helpers the docs templates use: formatting only, no prose. Those that build Markdown return
 * a SafeMarkdown made by an escaper of escape.ts; every `{{…}}` is escaped for its context by
 * the template compiler (template-escape.ts), which lets only those fragments through as they are.
 */
export function registerDocHelpers(hb: typeof Handlebars): void {
  registerEscapeHelpers(hb);
  hb.registerHelper({
    code: (v: unknown) => new SafeMarkdown(markdownCode(v)),
    json: (v: unknown) => new SafeMarkdown(markdownFence('json', readableJson(v))),
    /** `(fence "python" text)`: a code block of that language holding the text as it is. */
    fence: (lang: unknown, text: unknown) => new SafeMarkdown(markdownFence(String(lang), String(text ?? ''))),
    codeList: (list: unknown) => new SafeMarkdown(Array.isArray(list) ? list.map((x) => markdownCode(x)).join(', ') : ''),
    /** `(concat "create" prefix "Server")`: plain text, for a code span around a value. */
    concat: (...args: unknown[]) => args.slice(0, -1).map((a) => String(a ?? '')).join(''),
    eq: (a: unknown, b: unknown) => a === b,
    or: (...args: unknown[]) => args.slice(0, -1).some(Boolean),
    join: (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''),
    pluck: (list: unknown, key: unknown) => (Array.isArray(list) ? list.map((x) => (x as Record<string, unknown>)[String(key)]) : []),
    /** `(among rule "S1 Q3")`: is the value one of the space-separated words? */
    among: (value: unknown, words: unknown) => String(words).split(/\s+/).includes(String(value)),
  });
}

/** The compiled templates, with the helpers, loaded once per process. */
export function templates(): Promise<Map<string, Render>> {
  compiled ??= (async () => {
    const hb = Handlebars.create();
    registerDocHelpers(hb);
    return loadTemplates(hb);
  })();
  return compiled;
}

/** Trailing spaces off, at most one blank line in a row, one final newline. */
export function tidy(markdown: string): string {
  return `${markdown
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
