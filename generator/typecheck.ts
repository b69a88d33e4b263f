/**
 * The `typecheck` step of the verify stage: the generated TypeScript, still in memory, compiled
 * with the settings a strict service would use (tsconfig.generated.json's), against the types
 * installed where the output folder is (`@types/node`, `ws`). Opt-in: it loads the compiler
 * (ts-morph's, so an installed contractgen needs nothing more).
 */
import { join, resolve } from 'node:path';
import type { Finding } from './diagnostics.js';
import type { GeneratedFile } from './files.js';
import { Project, ts } from './ts-morph.js';

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
  // The real file system for the libraries; the generated files from memory (they need not be written).
  const project = new Project({ compilerOptions: { ...GENERATED_COMPILER_OPTIONS, lib: [...GENERATED_COMPILER_OPTIONS.lib], types: [...GENERATED_COMPILER_OPTIONS.types] }, skipAddingFilesFromTsConfig: true });
  for (const f of files) if (f.path.endsWith('.ts')) project.createSourceFile(join(root, f.path), f.content, { overwrite: true });
  return project.getPreEmitDiagnostics().map((d) => {
    const source = d.getSourceFile();
    const start = d.getStart();
    const at = source && start !== undefined ? source.getLineAndColumnAtPos(start) : undefined;
    const message = d.getMessageText();
    return {
      severity: 'error',
      code: 'output-typecheck',
      pointer: `TS${d.getCode()}`,
      file: source ? source.getFilePath().slice(root.length + 1) : out,
      ...(at ? { line: at.line, column: at.column } : {}),
      message: typeof message === 'string' ? message : ts.flattenDiagnosticMessageText(message.compilerObject, '\n'),
      hint: 'the generated code does not compile: fix the emitter or the runtime in contractgen (or install @types/node and ws where the output folder is)',
    } satisfies Finding;
  });
}
