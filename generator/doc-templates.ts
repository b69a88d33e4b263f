/**
 * The Handlebars templates of the docs (templates/docs/*.hbs and partials/*.hbs). Compiling them
 * costs more than everything else the docs emitter does, so `npm run build:cli` precompiles them
 * into dist/templates/docs.compiled.js (see precompile.ts); a build uses that module
 * when its hash matches the .hbs files on disk and compiles the sources otherwise, so an edited
 * template is never served stale.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Handlebars from 'handlebars';
import { packageRoot, templatesDir } from './paths.js';
import { AUTO_ESCAPE_VERSION, autoEscape, KNOWN_ESCAPE_HELPERS } from './template-escape.js';

/**
 * How every docs template is compiled (at build time or now). Handlebars' own HTML escaping is
 * off because every `{{…}}` is rewritten into the Markdown escaper of its context first (G1).
 */
export const COMPILE_OPTIONS = { noEscape: true, strict: true, knownHelpers: KNOWN_ESCAPE_HELPERS } as const;

/** A template's source as the AST the compiler takes: parsed, then auto-escaped (template-escape.ts). */
export function templateAst(hb: typeof Handlebars, name: string, source: string): hbs.AST.Program {
  return autoEscape(hb.parseWithoutProcessing(source), name);
}

export const precompiledPath = join(packageRoot, 'dist', 'templates', 'docs.compiled.js');

export interface TemplateSources {
  /** sha256 of the Handlebars version and every template and partial, name and text. */
  readonly hash: string;
  /** Template file name (`backend-runtime.md.hbs`) → source. */
  readonly templates: Readonly<Record<string, string>>;
  /** Partial name (`catalogue`) → source. */
  readonly partials: Readonly<Record<string, string>>;
}

function readDir(dir: string, strip: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort()) out[strip ? basename(name, '.hbs') : name] = readFileSync(join(dir, name), 'utf8');
  return out;
}

export function readTemplateSources(handlebarsVersion: string): TemplateSources {
  const dir = join(templatesDir, 'docs');
  const templates = readDir(dir, false);
  const partials = readDir(join(dir, 'partials'), true);
  const h = createHash('sha256').update(`handlebars ${handlebarsVersion}\nauto-escape ${AUTO_ESCAPE_VERSION}\n`);
  for (const [kind, set] of [['template', templates], ['partial', partials]] as const) {
    for (const [name, text] of Object.entries(set)) h.update(`${kind} ${name} ${text.length}\n${text}\n`);
  }
  return { hash: h.digest('hex'), templates, partials };
}

type Spec = Parameters<typeof Handlebars.template>[0];
interface Precompiled {
  readonly hash: string;
  readonly templates: Readonly<Record<string, Spec>>;
  readonly partials: Readonly<Record<string, Spec>>;
}

async function precompiled(file: string, hash: string): Promise<Precompiled | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const mod = (await import(pathToFileURL(file).href)) as Precompiled;
    return mod.hash === hash ? mod : undefined;
  } catch {
    return undefined; // unreadable: compile the sources instead
  }
}

/**
 * Registers the partials on `hb` and returns the compiled templates by file name: precompiled
 * when the module (dist/ by default) matches the sources, compiled now otherwise.
 */
export async function loadTemplates(hb: typeof Handlebars, precompiledFile = precompiledPath): Promise<Map<string, Handlebars.TemplateDelegate>> {
  const sources = readTemplateSources(hb.VERSION);
  const ready = await precompiled(precompiledFile, sources.hash);
  for (const name of Object.keys(sources.partials)) {
    hb.registerPartial(name, ready ? hb.template(ready.partials[name]!) : hb.compile(templateAst(hb, `partials/${name}.hbs`, sources.partials[name]!), COMPILE_OPTIONS));
  }
  const out = new Map<string, Handlebars.TemplateDelegate>();
  for (const name of Object.keys(sources.templates)) out.set(name, ready ? hb.template(ready.templates[name]!) : hb.compile(templateAst(hb, name, sources.templates[name]!), COMPILE_OPTIONS));
  return out;
}
