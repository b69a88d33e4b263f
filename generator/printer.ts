/**
 * The printer (ts-morph emitters only): owns ts-morph settings, banners and imports. An emitter asks `file.use(name,
 * from)` for a symbol and gets back the local name to write; the printer dedupes, aliases
 * clashes, splits type-only from value imports and sorts them. No emitter writes an import line.
 */
import type { Project as ProjectType, SourceFile } from 'ts-morph';
import { IndentationText, NewLineKind, Project, QuoteKind } from './ts-morph.js';
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
