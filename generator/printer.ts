/**
 * The printer (ts-morph emitters only): owns ts-morph settings, banners and imports. An emitter asks `file.use(name,
 * from)` for a symbol and gets back the local name to write; the printer dedupes, aliases
 * clashes, splits type-only from value imports and sorts them. No emitter writes an import line,
 * and no emitter reaches ts-morph or a writer: declarations take `Code` (escape.ts) only.
 */
import type { Project as ProjectType, SourceFileStructure, StatementStructures, WriterFunction } from 'ts-morph';
import { IndentationText, NewLineKind, Project, QuoteKind, StructureKind, VariableDeclarationKind } from './ts-morph.js';
import type { ContractModel } from './model.js';
import { isSafeIdentifier, jsDoc, tsIdentifier, tsString, type Code } from './escape.js';
import { banner, type GeneratedFile } from './files.js';
import { layout } from './formatter.js';

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

/** A JSDoc entry: spec text is fine here, the printer escapes it (`jsDoc`). */
type Docs = readonly string[];

/** An exported `type Name = …;`. */
/** A type parameter with its default, e.g. `Principal = undefined`. */
export interface TypeParameterSpec {
  readonly name: Code;
  readonly default: Code;
}

export interface TypeAliasSpec {
  readonly name: Code;
  readonly type: Code;
  readonly docs?: Docs;
  readonly typeParameters?: readonly TypeParameterSpec[];
}

export interface PropertySpec {
  readonly name: Code;
  readonly type: Code;
  readonly docs?: Docs;
  readonly optional?: boolean;
}

/** An exported `interface Name { … }` of readonly properties. */
export interface InterfaceSpec {
  readonly name: Code;
  readonly docs?: Docs;
  readonly properties: readonly PropertySpec[];
}

/** An exported `const name: type = initializer;`. */
export interface ConstSpec {
  readonly name: Code;
  readonly type?: Code;
  readonly initializer: Code;
  readonly docs?: Docs;
}

/** An exported `function name(parameters): returnType { body }`. */
export interface FunctionSpec {
  readonly name: Code;
  readonly docs?: Docs;
  readonly parameters: readonly { readonly name: Code; readonly type: Code }[];
  readonly returnType: Code;
  readonly body: Code;
  readonly typeParameters?: readonly TypeParameterSpec[];
}

/**
 * What an emitter may add to a file: exported declarations whose every code position is `Code`
 * (built by escape.ts's `ts` and its helpers, or returned by `use`), so no raw string reaches
 * emitted TypeScript; names are checked and docs escaped again by `guard` on the way (G1).
 */
export interface TsFile {
  /** Import `name` from `from` (a relative module like './types.js'); returns the local name. */
  use(name: string, from: string, options?: { type?: boolean }): Code;
  typeAlias(spec: TypeAliasSpec): void;
  interface(spec: InterfaceSpec): void;
  /** Added in one call: ts-morph re-parses the file on every insertion (quadratic in declarations). */
  consts(specs: readonly ConstSpec[]): void;
  function(spec: FunctionSpec): void;
  /** Finish: imports, banner, final newline. */
  done(): GeneratedFile;
}

interface ImportEntry {
  local: string;
  typeOnly: boolean;
}

function typeParameters(list: readonly TypeParameterSpec[] | undefined): { typeParameters?: { name: Code; default: Code }[] } {
  return list && list.length > 0 ? { typeParameters: list.map((t) => ({ name: t.name, default: t.default })) } : {};
}

export function createTsFile(project: ProjectType, model: ContractModel, path: string, description: string, options: { header?: string } = {}): TsFile {
  // Declarations are collected and the file is printed once, in done(): ts-morph re-parses a
  // file on every insertion, which made a build quadratic in the number of messages.
  const statements: StatementStructures[] = [];
  const imports = new Map<string, Map<string, ImportEntry>>();
  const taken = new Map<string, string>(); // local name → module

  return {
    typeAlias(spec) {
      statements.push(guard({ kind: StructureKind.TypeAlias, isExported: true, name: spec.name, type: spec.type, ...(spec.docs ? { docs: [...spec.docs] } : {}), ...typeParameters(spec.typeParameters) }));
    },
    interface(spec) {
      statements.push(
        guard({
          kind: StructureKind.Interface,
          isExported: true,
          name: spec.name,
          ...(spec.docs ? { docs: [...spec.docs] } : {}),
          properties: spec.properties.map((p) => ({ name: p.name, type: p.type, isReadonly: true, ...(p.optional ? { hasQuestionToken: true } : {}), ...(p.docs ? { docs: [...p.docs] } : {}) })),
        }),
      );
    },
    consts(specs) {
      for (const c of specs) {
        statements.push(
          guard({
            kind: StructureKind.VariableStatement,
            isExported: true,
            declarationKind: VariableDeclarationKind.Const,
            ...(c.docs ? { docs: [...c.docs] } : {}),
            declarations: [{ name: c.name, initializer: c.initializer, ...(c.type ? { type: c.type } : {}) }],
          }),
        );
      }
    },
    function(spec) {
      statements.push(
        guard({
          kind: StructureKind.Function,
          isExported: true,
          name: spec.name,
          ...(spec.docs ? { docs: [...spec.docs] } : {}),
          parameters: spec.parameters.map((p) => ({ name: p.name, type: p.type })),
          ...typeParameters(spec.typeParameters),
          returnType: spec.returnType,
          statements: spec.body,
        }),
      );
    },
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
      const importStructures: StatementStructures[] = modules.map((from) => {
        const entries = [...imports.get(from)!.entries()].sort(([a], [b]) => a.localeCompare(b));
        const allTypes = entries.every(([, e]) => e.typeOnly);
        return {
          kind: StructureKind.ImportDeclaration,
          moduleSpecifier: from,
          isTypeOnly: allTypes,
          namedImports: entries.map(([name, e]) => ({
            name,
            ...(e.local !== name ? { alias: e.local } : {}),
            ...(!allTypes && e.typeOnly ? { isTypeOnly: true } : {}),
          })),
        };
      });
      const text = printStatements(project, `/out/${path}`, withBlankLines([...importStructures, ...statements]));
      // Every import must be used by the declarations, so look only past the import lines.
      const importLines = importStructures.length > 0 ? printStatements(project, `/out/${path}`, importStructures).trimEnd() : '';
      if (!text.startsWith(importLines)) throw new Error(`printer: ${path} does not start with its imports`);
      checkImportsUsed(text.slice(importLines.length), imports);
      const head = banner(model, description, 'line') + (options.header ? `${options.header}\n` : '');
      // Laid out here, where the compiler is loaded: the format stage has nothing left to do.
      const body = layout(text).trim();
      return { path, content: `${head}\n${body}\n` };
    },
  };
}

/** The parts of ts-morph's project that print a file's structures (not in its typings; see printStatements). */
interface StructurePrinting {
  readonly _context?: {
    createWriter(): { toString(): string };
    readonly structurePrinterFactory?: { forSourceFile(options: { isAmbient: boolean }): { printText(writer: unknown, structure: SourceFileStructure): void } };
  };
}

/**
 * The text ts-morph prints for a file of these statements, with the project's manipulation
 * settings. `project.createSourceFile(path, structure)` prints exactly this with the same printer
 * and then parses it into a syntax tree, which the printer never reads: the parse was half of the
 * ts-morph emitters' time (0.7 ms per message). When a ts-morph version no longer has the printer
 * where 28.x keeps it, the file is printed through createSourceFile: the same text, slower
 * (tests/printer.test.ts holds the two to the same bytes, and says which path runs).
 */
export function printStatements(project: ProjectType, path: string, statements: SourceFileStructure['statements']): string {
  const structure: SourceFileStructure = { kind: StructureKind.SourceFile, statements };
  const context = (project as unknown as StructurePrinting)._context;
  const printer = context?.structurePrinterFactory?.forSourceFile({ isAmbient: path.endsWith('.d.ts') });
  if (context && printer) {
    const writer = context.createWriter();
    printer.printText(writer, structure);
    return writer.toString();
  }
  const source = project.createSourceFile(path, structure, { overwrite: true });
  const text = source.getFullText();
  project.removeSourceFile(source);
  return text;
}

/** Which way printStatements prints with this ts-morph (for the test that holds both to the same bytes). */
export function printsWithoutParsing(project: ProjectType): boolean {
  return typeof (project as unknown as StructurePrinting)._context?.structurePrinterFactory?.forSourceFile === 'function';
}

/**
 * A blank line where the kind of statement changes (imports, then consts, then a type…), as
 * ts-morph puts one when statements are added one kind at a time. Writers are not text from a
 * spec: `blankLineIfLastNot` writes a line break only.
 */
function withBlankLines(statements: readonly StatementStructures[]): (StatementStructures | WriterFunction)[] {
  const out: (StatementStructures | WriterFunction)[] = [];
  statements.forEach((s, i) => {
    if (i > 0 && statements[i - 1]!.kind !== s.kind) out.push((writer) => writer.blankLineIfLastNot());
    out.push(s);
  });
  return out;
}

/**
 * The names `use()` returned are the only way to refer to an import: each must appear in the
 * file, and a symbol imported under an alias (a clash) must not be written under its own name.
 */
function checkImportsUsed(text: string, imports: ReadonlyMap<string, ReadonlyMap<string, ImportEntry>>): void {
  const words = new Set(text.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? []);
  for (const [from, byName] of imports) {
    for (const [name, entry] of byName) {
      if (!words.has(entry.local)) throw new Error(`printer: ${name} was imported from ${from} but the file never uses the name use() returned (${entry.local})`);
      if (entry.local !== name && words.has(name)) throw new Error(`printer: ${name} from ${from} is imported as ${entry.local}; write the name use() returned`);
    }
  }
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
