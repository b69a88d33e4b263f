/**
 * Stage 4b — format: every emitted TypeScript file is laid out by the TypeScript compiler's own
 * formatter with fixed settings, whichever library printed it (json-schema-to-typescript,
 * ts-morph), so the output style never depends on the machine. The printer (printer.ts) formats
 * its files as it prints them, in the thread that holds the compiler; other files flagged
 * `format` are sent there (emitters.ts). The compiler is loaded anyway for ts-morph, so this
 * costs no second formatter's load, and it is several times cheaper than prettier was (the
 * largest single cost of a large contract). It does not wrap long lines.
 */
import type { FormatCodeSettings, Project as ProjectType, SourceFile } from 'ts-morph';
import type { GeneratedFile } from './files.js';
import { Project, ts } from './ts-morph.js';

/** Fixed settings: changing them changes every generated file. */
export const FORMAT_SETTINGS: FormatCodeSettings = {
  indentSize: 2,
  tabSize: 2,
  convertTabsToSpaces: true,
  newLineCharacter: '\n',
  semicolons: ts.SemicolonPreference.Insert,
  insertSpaceAfterOpeningAndBeforeClosingNonemptyBraces: true,
  insertSpaceAfterCommaDelimiter: true,
  insertSpaceBeforeAndAfterBinaryOperators: true,
  insertSpaceAfterKeywordsInControlFlowStatements: true,
  placeOpenBraceOnNewLineForFunctions: false,
  placeOpenBraceOnNewLineForControlBlocks: false,
  trimTrailingWhitespace: true,
};

/**
 * The formatted text of the files of the last builds, by their printed text: a build in the same
 * process (build --watch) formats only what printed differently. Bounded: older texts are dropped.
 */
const formatted = new Map<string, string>();
const FORMATTED_ENTRIES = 64;

/**
 * `text` laid out with FORMAT_SETTINGS: `source` if it holds that text already (no second parse),
 * else a scratch file of `project`, removed after.
 */
export function formatTypeScript(project: ProjectType, text: string, source?: SourceFile): string {
  let out = formatted.get(text);
  if (out === undefined) {
    const file = source ?? project.createSourceFile('/format/file.ts', text, { overwrite: true });
    out = project.getLanguageService().getFormattedDocumentText(file.getFilePath(), FORMAT_SETTINGS);
    if (!source) project.removeSourceFile(file);
  }
  formatted.delete(text);
  formatted.set(text, out);
  while (formatted.size > FORMATTED_ENTRIES) formatted.delete(formatted.keys().next().value as string);
  return out;
}

let scratch: ProjectType | undefined;

/** Formats the files flagged `format` and drops the flag; the others pass through. */
export function formatFiles(files: readonly GeneratedFile[]): GeneratedFile[] {
  return files.map(({ path, content, format }) => {
    if (!format) return { path, content };
    scratch ??= new Project({ useInMemoryFileSystem: true, skipFileDependencyResolution: true });
    return { path, content: formatTypeScript(scratch, content) };
  });
}
