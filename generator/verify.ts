/**
 * Stage 5 — verify: checks on what a build generates, before anything is written. Each step is
 * named (a failed one is reported with its findings, as OutputCheckError):
 *
 * | step        | what must hold                                                               |
 * | ----------- | ---------------------------------------------------------------------------- |
 * | `trace`     | every row of the docs' trace names a generated file that exports the symbol  |
 * | `diagrams`  | every doc has one sequence and one state diagram, and both parse            |
 * | `typecheck` | the generated TypeScript compiles under --strict (opt-in: it loads tsc)      |
 *
 * The fix for a failure is in contractgen (its templates, trace table or runtime), not in the spec.
 */
import type { Finding } from './diagnostics.js';
import { OutputCheckError, type GeneratedFile } from './files.js';
import type { ResolvedTraceRow } from './trace-resolve.js';

export interface VerifyOptions {
  /** The trace rows of this build (trace-resolve.ts). */
  readonly trace: readonly ResolvedTraceRow[];
  /** Type-check the generated TypeScript (default off: it costs the compiler's start-up). */
  readonly typecheck?: { readonly out: string } | undefined;
}

export interface VerifyStep {
  readonly name: string;
  /** What must hold, as one sentence. */
  readonly sentence: string;
  run(files: readonly GeneratedFile[], options: VerifyOptions): Finding[] | Promise<Finding[]>;
}

export const VERIFY_STEPS: readonly VerifyStep[] = [
  { name: 'trace', sentence: 'Every trace row names a generated file that exports its symbol.', run: (files, o) => checkTrace(o.trace, files) },
  { name: 'diagrams', sentence: 'Every doc has exactly one sequence and one state diagram, and both parse.', run: (files) => checkDocDiagrams(files.filter((f) => /^docs\/[^/]+\.md$/.test(f.path))) },
  {
    name: 'typecheck',
    sentence: 'The generated TypeScript compiles under --strict with zero diagnostics.',
    run: async (files, o) => (o.typecheck ? (await import('./typecheck.js')).typecheck(files, o.typecheck.out) : []),
  },
];

/** Runs every step; throws OutputCheckError with the findings of those that failed. */
export async function verify(files: readonly GeneratedFile[], options: VerifyOptions): Promise<void> {
  const findings = (await Promise.all(VERIFY_STEPS.map((s) => s.run(files, options)))).flat();
  if (findings.length > 0) throw new OutputCheckError(findings);
}

/** Exactly two diagrams per doc, a sequence and a state diagram, both well formed. */
export async function checkDocDiagrams(files: readonly GeneratedFile[]): Promise<Finding[]> {
  // Loaded here, not at the top: only a build that emits docs pays for it.
  const { checkDiagram, mermaidBlocks } = await import('./mermaid.js');
  const findings: Finding[] = [];
  for (const file of files) {
    const blocks = mermaidBlocks(file.content);
    const fail = (line: number, pointer: string, message: string): void => {
      findings.push({ severity: 'error', code: 'docs-diagram', pointer, file: file.path, line, message, hint: 'fix the diagram partials in templates/docs/partials/ (or the template that includes them)' });
    };
    if (blocks.length !== 2) fail(1, 'mermaid blocks', `a scope doc has exactly two Mermaid diagrams; ${file.path} has ${blocks.length}`);
    const kinds = blocks.map((b, i) => {
      const result = checkDiagram(b.source);
      for (const issue of result.issues) fail(b.line + issue.line - 1, `mermaid block ${i + 1}${result.kind ? ` (${result.kind})` : ''}`, issue.message);
      return result.kind;
    });
    if (blocks.length === 2 && !(kinds.includes('sequence') && kinds.includes('state'))) {
      fail(blocks[0]!.line, 'mermaid blocks', `the two diagrams are a sequence diagram and a state diagram; ${file.path} has ${kinds.map((k) => k ?? 'unknown').join(' and ')}`);
    }
  }
  return findings;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Does `content` declare `symbol` as an export (function, const, interface, type or class)? */
export function exportsSymbol(content: string, symbol: string): boolean {
  const name = escapeRegExp(symbol);
  return new RegExp(`^export\\s+(?:(?:async\\s+)?function\\*?|const|let|interface|type|(?:abstract\\s+)?class|enum)\\s+${name}\\b`, 'm').test(content);
}

/**
 * Checks every resolved row against the files of this build: the file must be generated and
 * must export the symbol. Returns one finding per broken row.
 */
export function checkTrace(rows: readonly ResolvedTraceRow[], files: readonly GeneratedFile[]): Finding[] {
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const findings: Finding[] = [];
  for (const row of rows) {
    const content = byPath.get(row.file);
    const where = `trace ${row.rule} (${row.doc}) → ${row.file} \`${row.symbol}\``;
    if (content === undefined) {
      findings.push({
        severity: 'error',
        code: 'trace-file-missing',
        rule: row.rule,
        pointer: where,
        file: 'generator/trace.ts',
        message: `rule ${row.rule} is traced to ${row.file}, but this build generates no such file`,
        hint: `point the row at the generated file that now holds \`${row.symbol}\`, or remove the row from generator/trace.ts`,
      });
    } else if (!exportsSymbol(content, row.symbol)) {
      findings.push({
        severity: 'error',
        code: 'trace-symbol-missing',
        rule: row.rule,
        pointer: where,
        file: 'generator/trace.ts',
        message: `rule ${row.rule} is traced to \`${row.symbol}\` in ${row.file}, but that file exports no function, const, interface, type or class named ${row.symbol}`,
        hint: `name the symbol that enforces ${row.rule} now in generator/trace.ts, or restore the export`,
      });
    }
  }
  return findings;
}
