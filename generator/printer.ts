/**
 * The printer (ts-morph emitters only): owns ts-morph settings, banners and imports. An emitter asks `file.use(name,
 * from)` for a symbol and gets back the local name to write; the printer dedupes, aliases
 * clashes, splits type-only from value imports and sorts them. No emitter writes an import line.
 */
import type { Project as ProjectType, SourceFile, ts as TS } from 'ts-morph';
import { IndentationText, NewLineKind, Project, QuoteKind, ts } from './ts-morph.js';
import type { ContractModel } from './model.js';
import { safeIdentifier } from './naming.js';
import { banner, type GeneratedFile } from './files.js';

/** One ts-morph project per build, with settings fixed so output never depends on the machine. */
export function createProject(): ProjectType {
  return new Project({
    useInMemoryFileSystem: true,
    skipFileDependencyResolution: true,
    manipulationSettings: {
      indentationText: IndentationText.TwoSpaces,
      newLineKind: NewLineKind.LineFeed,
      quoteKind: QuoteKind.Double,
      useTrailingCommas: true,
      usePrefixAndSuffixTextForRename: false,
      insertSpaceAfterOpeningAndBeforeClosingNonemptyBraces: true,
    },
  });
}

export interface TsFile {
  readonly source: SourceFile;
  /** Import `name` from `from` (a relative module like './types.js'); returns the local name. */
  use(name: string, from: string, options?: { type?: boolean }): string;
  /** Finish: imports, banner, final newline. */
  done(): GeneratedFile;
}

interface ImportEntry {
  local: string;
  typeOnly: boolean;
}

export function createTsFile(project: ProjectType, model: ContractModel, path: string, description: string, options: { header?: string } = {}): TsFile {
  const source = project.createSourceFile(`/out/${path}`, '', { overwrite: true });
  const imports = new Map<string, Map<string, ImportEntry>>();
  const taken = new Map<string, string>(); // local name → module

  return {
    source,
    use(name, from, opts = {}) {
      safeIdentifier(name);
      let byName = imports.get(from);
      if (!byName) imports.set(from, (byName = new Map()));
      const existing = byName.get(name);
      if (existing) {
        existing.typeOnly &&= !!opts.type;
        return existing.local;
      }
      let local = name;
      for (let i = 2; taken.has(local) && taken.get(local) !== from; i++) local = `${name}${i}`;
      taken.set(local, from);
      byName.set(name, { local, typeOnly: !!opts.type });
      return local;
    },
    done() {
      const modules = [...imports.keys()].sort(compareModules);
      source.insertImportDeclarations(
        0,
        modules.map((from) => {
          const entries = [...imports.get(from)!.entries()].sort(([a], [b]) => a.localeCompare(b));
          const allTypes = entries.every(([, e]) => e.typeOnly);
          return {
            moduleSpecifier: from,
            isTypeOnly: allTypes,
            namedImports: entries.map(([name, e]) => ({
              name,
              ...(e.local !== name ? { alias: e.local } : {}),
              ...(!allTypes && e.typeOnly ? { isTypeOnly: true } : {}),
            })),
          };
        }),
      );
      const head = banner(model, description, 'line') + (options.header ? `${options.header}\n` : '');
      const body = formattedText(source).trim();
      return { path, content: `${head}\n${body}\n` };
    },
  };
}

/** Packages before relative modules, then alphabetical. */
function compareModules(a: string, b: string): number {
  const ra = a.startsWith('.') ? 1 : 0;
  const rb = b.startsWith('.') ? 1 : 0;
  return ra - rb || a.localeCompare(b);
}

/** Fixed formatting settings: changing them changes every generated TypeScript file. */
const FORMAT: TS.FormatCodeSettings = {
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
};

/**
 * The text of `source` after one pass of the TypeScript formatter. Edits are applied to the text
 * (ts-morph's formatText refuses edits that add tokens, such as inserted semicolons).
 */
export function formattedText(source: SourceFile): string {
  const service = source.getProject().getLanguageService().compilerObject;
  const edits = service.getFormattingEditsForDocument(source.getFilePath(), FORMAT);
  const text = source.getFullText();
  // One pass, left to right (splicing edit by edit copies the whole text per edit: quadratic on
  // big specs). Same result as applying them from the end: spans do not overlap, and of two
  // insertions at one place the later edit's text comes first.
  const ordered = [...edits].sort((a, b) => b.span.start - a.span.start).reverse();
  const parts: string[] = [];
  let at = 0;
  for (const e of ordered) {
    parts.push(text.slice(at, e.span.start), e.newText);
    at = e.span.start + e.span.length;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
