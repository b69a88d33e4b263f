/**
 * Generated files and their banners. Every generated file starts with a banner that names the
 * tool, the spec and its hash, and says not to edit it. No ts-morph here: emitters that do not
 * print TypeScript structures must not pay for loading the compiler.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import type { ContractModel } from './model.js';
import { templatesDir, toolVersion } from './paths.js';

export interface GeneratedFile {
  /** Path relative to the output directory, POSIX separators. */
  readonly path: string;
  readonly content: string;
}

export type CommentStyle = 'line' | 'html';

let bannerTemplate: Handlebars.TemplateDelegate | undefined;

/**
 * The banner: tool, spec and hash, purpose, "do not edit". Without a model (the runtime copy)
 * it names no spec, so a spec change leaves those files alone.
 */
export function banner(model: Pick<ContractModel, 'specLabel' | 'specHash'> | undefined, description: string, style: CommentStyle): string {
  bannerTemplate ??= Handlebars.compile(readFileSync(join(templatesDir, 'banner.hbs'), 'utf8'), { noEscape: true });
  const spec = model ? { specLabel: model.specLabel, shortHash: model.specHash.slice(0, 16) } : {};
  const text = bannerTemplate({ toolVersion, description, ...spec }).trimEnd();
  const lines = text.split('\n');
  return style === 'line' ? lines.map((l) => `// ${l}`.trimEnd()).join('\n') + '\n' : `<!--\n${lines.join('\n')}\n-->\n`;
}

/** A generated file whose content is not printed by ts-morph (JSON, Markdown, library output). */
export function textFile(path: string, content: string): GeneratedFile {
  return { path, content: content.endsWith('\n') ? content : `${content}\n` };
}
