/**
 * The Handlebars templates of the Python target (templates/python/*.hbs). Python is not HTML, so
 * Handlebars' own escaping is off; instead every `{{…}}` must call one of the escaper helpers
 * below, and a template that splices a value any other way is refused when it is loaded (G1):
 *
 *   {{code x}}     PyCode built by the code builders (a plain string throws)
 *   {{str x}}      a Python string literal of any text
 *   {{doc x}}      text inside a """docstring"""
 *   {{comment x}}  text after a # on one line
 *   {{ident x}}    a checked Python identifier
 *   {{toml x}}     a TOML basic string (pyproject.toml)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../paths.js';
import { PyCode, pyComment, pyDocstring, pyIdentifier, pyString } from './escape.js';

const HELPERS: Readonly<Record<string, (value: unknown) => string>> = {
  code(value) {
    if (!(value instanceof PyCode)) throw new TypeError(`python template: {{code}} takes PyCode, got ${typeof value}; use {{str}}, {{doc}}, {{comment}} or {{ident}} for text`);
    return value.text;
  },
  str: (value) => pyString(String(value)).text,
  doc: (value) => pyDocstring(String(value)).text,
  comment: (value) => pyComment(String(value)).text,
  ident: (value) => (value instanceof PyCode ? value.text : pyIdentifier(String(value)).text),
  // TOML basic strings share JSON's escapes; U+2028/2029 are escaped as in every other context.
  toml: (value) => JSON.stringify(String(value)).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'),
};
const BLOCKS = new Set(['each', 'if', 'unless']);

const hb = Handlebars.create();
for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn);

/** G1: every mustache in a Python template calls an escaper helper; anything else is a bug in the template. */
export function lintPythonTemplate(name: string, source: string): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as { type?: string; path?: { original?: unknown }; params?: unknown[]; program?: unknown; inverse?: unknown; body?: unknown; loc?: { start: { line: number } } };
    if (n.type === 'MustacheStatement') {
      const helper = String(n.path?.original);
      if (!(helper in HELPERS) || n.params?.length !== 1) {
        throw new Error(`templates/python/${name}:${n.loc?.start.line ?? 0}: {{${helper}…}} splices a value without an escaper; use {{code|str|doc|comment|ident|toml value}}`);
      }
    } else if (n.type === 'BlockStatement' && !BLOCKS.has(String(n.path?.original))) {
      throw new Error(`templates/python/${name}:${n.loc?.start.line ?? 0}: block helper {{#${String(n.path?.original)}}} is not allowed in Python templates`);
    }
    visit(n.body);
    visit(n.program);
    visit(n.inverse);
  };
  visit(hb.parse(source));
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders templates/python/`name` with `context`. */
export function renderPython(name: string, context: object): string {
  let template = cache.get(name);
  if (!template) {
    const source = readFileSync(join(templatesDir, 'python', name), 'utf8');
    lintPythonTemplate(name, source);
    template = hb.compile(source, { noEscape: true, strict: true });
    cache.set(name, template);
  }
  return template(context);
}
