/**
 * Stage 4b — format: every emitted TypeScript file is laid out by prettier with fixed options,
 * whichever library printed it (json-schema-to-typescript, ts-morph), so the output style never
 * depends on the machine. Whichever thread is free formats: the worker formats what it printed
 * until the main thread, done with its own files, takes over the rest (ts-morph-worker.ts), so
 * formatting (the largest cost of a large contract) runs on both threads.
 */
import type { GeneratedFile } from './files.js';

/**
 * Fixed options: changing them changes every generated file. babel-ts lays out this code as the
 * typescript parser does and loads ~70 ms faster (a build's largest single cost is prettier).
 */
export const PRETTIER_OPTIONS = { parser: 'babel-ts', printWidth: 120, singleQuote: false, trailingComma: 'all', semi: true, endOfLine: 'lf' } as const;

type Prettier = typeof import('prettier');
let prettier: Promise<Prettier> | undefined;

/** Starts loading prettier (a worker does this early, while it waits for the model). */
export function loadPrettier(): Promise<Prettier> {
  prettier ??= import('prettier');
  return prettier;
}

/**
 * The formatted text of the files of the last builds, by their printed text: a build in the same
 * process (build --watch) formats only what printed differently. Bounded: older texts are dropped.
 */
const formatted = new Map<string, string>();
const FORMATTED_ENTRIES = 64;

async function format(p: Prettier, content: string): Promise<string> {
  let out = formatted.get(content);
  if (out === undefined) out = await p.format(content, PRETTIER_OPTIONS);
  formatted.delete(content);
  formatted.set(content, out);
  while (formatted.size > FORMATTED_ENTRIES) formatted.delete(formatted.keys().next().value as string);
  return out;
}

/** Formats the files flagged `format` and drops the flag; the others pass through. */
export async function formatFiles(files: readonly GeneratedFile[]): Promise<GeneratedFile[]> {
  if (!files.some((f) => f.format)) return files.map(({ path, content }) => ({ path, content }));
  const p = await loadPrettier();
  return Promise.all(files.map(async ({ path, content, format: wanted }) => ({ path, content: wanted ? await format(p, content) : content })));
}
