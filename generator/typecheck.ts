/**
 * The `typecheck` step of the verify stage: the generated TypeScript, still in memory, compiled
 * with the settings a strict service would use (tsconfig.generated.json's), against the types
 * installed where the output folder is (`@types/node`, `ws`). Opt-in: it loads the compiler
 * (ts-morph's copy, so an installed contractgen needs nothing more).
 */
import { join, resolve } from 'node:path';
import type { Finding } from './diagnostics.js';
import type { GeneratedFile } from './files.js';
import { ts } from './ts-morph.js';

/** The compiler settings generated code is held to (the same as tsconfig.generated.json). */
export const GENERATED_COMPILER_OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitReturns: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
} as const;

export function typecheck(files: readonly GeneratedFile[], out: string): Finding[] {
  const root = resolve(out);
  const memory = new Map(files.filter((f) => f.path.endsWith('.ts')).map((f) => [join(root, f.path), f.content]));
  const options: Parameters<typeof ts.createProgram>[1] = { ...GENERATED_COMPILER_OPTIONS, lib: [...GENERATED_COMPILER_OPTIONS.lib], types: [...GENERATED_COMPILER_OPTIONS.types] };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => memory.has(f) || fileExists.call(host, f);
  host.readFile = (f) => memory.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError, create) => {
    const text = memory.get(f);
    return text !== undefined ? ts.createSourceFile(f, text, language, true) : getSourceFile.call(host, f, language, onError, create);
  };
  host.getCurrentDirectory = () => root;
  const program = ts.createProgram([...memory.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const file = d.file ? d.file.fileName.slice(root.length + 1) : out;
    return {
      severity: 'error',
      code: 'output-typecheck',
      pointer: `TS${d.code}`,
      file,
      ...(at ? { line: at.line + 1, column: at.character + 1 } : {}),
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      hint: 'the generated code does not compile: fix the emitter or the runtime in contractgen (or install @types/node and ws where the output folder is)',
    } satisfies Finding;
  });
}
