/**
 * The printer (ts-morph emitters only): owns ts-morph settings, banners and imports. An emitter asks `file.use(name,
 * from)` for a symbol and gets back the local name to write; the printer dedupes, aliases
 * clashes, splits type-only from value imports and sorts them. No emitter writes an import line.
 */
import type { Project as ProjectType, SourceFile } from 'ts-morph';
import { IndentationText, NewLineKind, Project, QuoteKind } from './ts-morph.js';
import type { ContractModel } from './model.js';
import { isSafeIdentifier, jsDoc, tsIdentifier, tsString, type Code } from './escape.js';
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

/**
 * What an emitter may add to a file. Not the SourceFile itself: every structure goes through
 * `guard` first, so no emitter can put spec text into a comment unescaped or a name unchecked (G1).
 */
export type TsSource = Pick<SourceFile, 'addInterface' | 'addTypeAlias' | 'addFunction' | 'addVariableStatement' | 'addVariableStatements'>;

export interface TsFile {
  readonly source: TsSource;
  /** Import `name` from `from` (a relative module like './types.js'); returns the local name. */
  use(name: string, from: string, options?: { type?: boolean }): Code;
  /** Finish: imports, banner, final newline. */
  done(): GeneratedFile;
}

interface ImportEntry {
  local: string;
  typeOnly: boolean;
}

export function createTsFile(project: ProjectType, model: ContractModel, path: string, description: string, options: { header?: string } = {}): TsFile {
  const source = project.createSourceFile(`/out/${path}`, '', { overwrite: true });
  const guarded: TsSource = {
    addInterface: (s) => source.addInterface(guard(s)),
    addTypeAlias: (s) => source.addTypeAlias(guard(s)),
    addFunction: (s) => source.addFunction(guard(s)),
    addVariableStatement: (s) => source.addVariableStatement(guard(s)),
    addVariableStatements: (s) => source.addVariableStatements(guard(s)),
  };
  const imports = new Map<string, Map<string, ImportEntry>>();
  const taken = new Map<string, string>(); // local name → module

  return {
    source: guarded,
    use(name, from, opts = {}) {
      tsIdentifier(name);
      let byName = imports.get(from);
      if (!byName) imports.set(from, (byName = new Map()));
      const existing = byName.get(name);
      if (existing) {
        existing.typeOnly &&= !!opts.type;
        return existing.local as Code;
      }
      let local = name;
      for (let i = 2; taken.has(local) && taken.get(local) !== from; i++) local = `${name}${i}`;
      taken.set(local, from);
      byName.set(name, { local, typeOnly: !!opts.type });
      return local as Code;
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
      const body = source.getFullText().trim();
      return { path, content: `${head}\n${body}\n`, format: true };
    },
  };
}

/** Packages before relative modules, then alphabetical. */
function compareModules(a: string, b: string): number {
  const ra = a.startsWith('.') ? 1 : 0;
  const rb = b.startsWith('.') ? 1 : 0;
  return ra - rb || a.localeCompare(b);
}

/**
 * G1, in one place for every ts-morph emitter: each `docs` entry becomes JSDoc text through
 * `jsDoc` (a description can never end the comment), and each `name` must be an identifier or a
 * string literal `tsString` made (never escaped into validity). Structures are walked whole:
 * members, parameters and declarations are structures too. Writers are code and left alone.
 */
export function guard<T>(structure: T): T {
  if (Array.isArray(structure)) return structure.map((s: unknown) => guard(s)) as T;
  if (typeof structure !== 'object' || structure === null) return structure;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(structure)) {
    if (key === 'docs') out[key] = (value as unknown[] | undefined)?.map(docEntry);
    else if (key === 'name' && typeof value === 'string') out[key] = checkedName(value);
    else out[key] = typeof value === 'object' ? guard(value) : value;
  }
  return out as T;
}

function docEntry(doc: unknown): unknown {
  if (typeof doc === 'string') return jsDoc(doc);
  if (typeof doc === 'object' && doc !== null && typeof (doc as { description?: unknown }).description === 'string' && !('tags' in doc)) {
    return { ...doc, description: jsDoc((doc as { description: string }).description) };
  }
  throw new TypeError('printer: docs must be text (a writer or tags could put anything in the comment)');
}

function checkedName(name: string): string {
  if (isSafeIdentifier(name)) return name;
  if (name.startsWith('"') && tsString(parseString(name)) === name) return name;
  return tsIdentifier(name); // throws
}

function parseString(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}
