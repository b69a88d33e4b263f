/**
 * Generated files and their banners. Every generated file starts with a banner that names the
 * tool, the spec and its hash, and says not to edit it. No ts-morph here: emitters that do not
 * print TypeScript structures must not pay for loading the compiler.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { ContractError, type Finding } from './diagnostics.js';
import { htmlComment, lineComment } from './escape.js';
import type { ContractModel } from './model.js';
import { templatesDir, toolVersion } from './paths.js';

export interface GeneratedFile {
  /** Path relative to the output directory, POSIX separators. */
  readonly path: string;
  readonly content: string;
  /** TypeScript that the format stage (formatter.ts) lays out before it is written. */
  readonly format?: boolean;
  /**
   * Ajv standalone code the finish stage (emitters.ts `finishFiles`) makes lean and appends to
   * `content`, on the compiler's thread: the main thread is still busy there, the worker is not.
   */
  readonly ajv?: AjvStandalone;
}

/** Ajv standalone code before the lean rewrite (emit/validators-ajv.ts): the module's code and the imports it needs. */
export interface AjvStandalone {
  readonly imports: readonly string[];
  readonly code: string;
}

export type CommentStyle = 'line' | 'html' | 'hash';

let bannerTemplate: Handlebars.TemplateDelegate | undefined;

/** The banner's lines: tool, spec and hash, purpose, "do not edit". */
function bannerLines(model: Pick<ContractModel, 'specLabel' | 'specHash'> | undefined, description: string): string[] {
  bannerTemplate ??= Handlebars.compile(readFileSync(join(templatesDir, 'banner.hbs'), 'utf8'), { noEscape: true });
  // The spec label is a path the user chose: one line, whatever it holds (G1).
  const spec = model ? { specLabel: lineComment(model.specLabel), shortHash: model.specHash.slice(0, 16) } : {};
  return bannerTemplate({ toolVersion, description, ...spec }).trimEnd().split('\n');
}

/**
 * The banner: tool, spec and hash, purpose, "do not edit". Without a model (the runtime copy)
 * it names no spec, so a spec change leaves those files alone.
 */
export function banner(model: Pick<ContractModel, 'specLabel' | 'specHash'> | undefined, description: string, style: CommentStyle): string {
  const lines = bannerLines(model, description);
  // A line break would end the comment: lineComment folds every kind of it (Python's and JavaScript's).
  if (style === 'hash') return lines.map((l) => `# ${lineComment(l)}`.trimEnd()).join('\n') + '\n';
  return style === 'line' ? lines.map((l) => `// ${lineComment(l)}`.trimEnd()).join('\n') + '\n' : `<!--\n${lines.map(htmlComment).join('\n')}\n-->\n`;
}

/** The banner as one line of plain text, for formats without comments (JSON: info.x-generated-by). */
export function bannerText(model: Pick<ContractModel, 'specLabel' | 'specHash'>, description: string): string {
  return bannerLines(model, description).join(' ');
}

/**
 * A check on what a build generates failed (a trace row names a symbol no generated file
 * exports, a diagram does not parse). Reported like a contract error, but the fix is in
 * contractgen's templates, trace table or runtime, not in the spec.
 */
export class OutputCheckError extends ContractError {
  constructor(findings: readonly Finding[]) {
    super(findings);
    this.name = 'OutputCheckError';
    this.message = `${findings.length} check(s) on the generated output failed:\n${this.message.split('\n').slice(1).join('\n')}`;
  }
}

/** A generated file whose content is not printed by ts-morph (JSON, Markdown, library output). */
export function textFile(path: string, content: string): GeneratedFile {
  return { path, content: content.endsWith('\n') ? content : `${content}\n` };
}
