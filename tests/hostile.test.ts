/**
 * G1–G3 attacked: every spec of tests/fixtures/hostile/cases.ts either stops at its finding (with
 * file:line:col and pointer, exit 1 — never a crash) or builds into output that type-checks under
 * `tsc --strict` (all of them in one program), runs nothing of the spec when imported, and renders
 * to HTML without a live tag; every output-folder state either makes the build refuse, naming
 * what is in the way, or is written without touching what the build does not own.
 */
import { lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { marked } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check } from '../generator/checker.js';
import { ContractError, formatFinding, type Finding } from '../generator/diagnostics.js';
import type { GeneratedFile } from '../generator/files.js';
import { load } from '../generator/loader.js';
import { generate } from '../generator/pipeline.js';
import { compareFiles, OutputConflictError, writeFiles } from '../generator/writer.js';
import { outputCases, specCases, type SpecCase } from './fixtures/hostile/cases.js';
import { canonicalSpec, canonicalText, expectedPosition, positionAt, removeTempDirs, repoRoot, runCli, runNode, serialize, specPath, tempDir } from './helpers.js';

afterAll(removeTempDirs);

// Under the repository, so the generated code finds `ws` and the type declarations.
const corpus = join(repoRoot, 'tests', '.generated', 'hostile');
const sharedRuntime = join(corpus, 'runtime');

const builds = specCases.filter((c): c is SpecCase & { want: { builds: unknown } } => 'builds' in c.want);
const findings = specCases.filter((c): c is SpecCase & { want: { finding: unknown } } => 'finding' in c.want);

function dirOf(c: SpecCase): string {
  return join(corpus, `case-${specCases.indexOf(c)}`);
}

/** Writes the case's spec into its folder; returns the file and its text (and the mutated spec, for positions). */
function writeSpec(c: SpecCase): { file: string; text: string; spec?: unknown } {
  const dir = dirOf(c);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, c.given.file ?? 'spec.json');
  mkdirSync(dirname(file), { recursive: true }); // a file name with "*/" in it has a folder "x *"
  if (c.given.text) {
    const text = c.given.text(canonicalText);
    writeFileSync(file, text);
    return { file, text };
  }
  const spec = canonicalSpec();
  c.given.mutate?.(spec);
  const text = serialize(spec);
  writeFileSync(file, text);
  return { file, text, spec };
}

function findingsOf(file: string): readonly Finding[] {
  try {
    return check(load(file));
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return (err as ContractError).findings;
  }
}

beforeAll(() => {
  rmSync(corpus, { recursive: true, force: true });
  mkdirSync(corpus, { recursive: true });
});

describe('hostile specs', () => {
  it('the corpus has at least 30 specs, each named once, findings and builds both', () => {
    expect(specCases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(specCases.map((c) => c.name)).size).toBe(specCases.length);
    expect(builds.length).toBeGreaterThanOrEqual(10);
    expect(findings.length).toBeGreaterThanOrEqual(20);
  });

  describe('stop at their finding: file:line:col and pointer, exit 1, never a crash', () => {
    it.each(findings.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const { finding: want, also = [] } = c.want as Extract<SpecCase['want'], { finding: unknown }>;
      const { file, text, spec } = writeSpec(c);
      const all = findingsOf(file);
      const hit = all.find((f) => f.code === want.code && f.pointer === want.pointer && (!want.mentions || f.message.includes(want.mentions)));
      expect(hit, `no ${want.code} at ${want.pointer}; got:\n${all.map(formatFinding).join('\n')}`).toBeDefined();
      expect(hit!.severity).toBe(want.severity ?? 'error');
      expect(hit!.file).toBe(file);
      expect(hit!.hint.trim()).not.toBe('');
      const position = want.at ? positionAt(text, want.at(text)) : spec ? expectedPosition(spec, want.pointer) : { line: 1, column: 1 };
      expect({ line: hit!.line, column: hit!.column }).toEqual(position);
      expect([...new Set(all.map((f) => f.code))].sort()).toEqual([...new Set([want.code, ...also])].sort());
      // The build stops on the same spec with a contract error (exit 1), not an internal one (exit 3).
      const error = await generate({ spec: file, out: join(dirOf(c), 'generated'), worker: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ContractError);
      expect((error as Error).name).toBe('ContractError');
    });
  });

  describe('build into code that type-checks, runs nothing of the spec, and renders no live tag', () => {
    let runtimeWritten = false;

    it.each(builds.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const { file } = writeSpec(c);
      const out = join(dirOf(c), 'generated');
      const result = await generate({ spec: file, out, worker: false });
      expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const own = result.files.filter((f) => !f.path.startsWith('runtime/'));
      for (const f of own) {
        mkdirSync(join(out, f.path, '..'), { recursive: true });
        writeFileSync(join(out, f.path), f.content);
      }
      // One runtime copy for the whole corpus (it does not depend on the spec), so tsc checks it once.
      if (!runtimeWritten) {
        for (const f of result.files.filter((x) => x.path.startsWith('runtime/'))) {
          mkdirSync(join(corpus, f.path, '..'), { recursive: true });
          writeFileSync(join(corpus, f.path), f.content);
        }
        runtimeWritten = true;
      }
      symlinkSync(sharedRuntime, join(out, 'runtime'));

      const content = (path: string): string => result.files.find((f) => f.path === path)?.content ?? '';
      for (const [path, text] of (c.want as { builds: { shows: readonly (readonly [string, string])[] } }).builds.shows) {
        expect(content(path), `${path} should show ${JSON.stringify(text)}`).toContain(text);
      }
      for (const doc of result.files.filter((f) => f.path.endsWith('.md'))) expectNoLiveMarkup(doc);
    }, 60_000);

    it('every built spec type-checks under tsc --strict, in one program', async () => {
      const generatedConfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.generated.json'), 'utf8')) as { compilerOptions: object };
      writeFileSync(join(corpus, 'tsconfig.json'), JSON.stringify({ compilerOptions: generatedConfig.compilerOptions, include: ['case-*/generated/*.ts', 'runtime/**/*.ts'] }, null, 2));
      const r = await runNode([join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(corpus, 'tsconfig.json')]);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    }, 300_000);

    it('importing every generated module runs nothing of the spec: no global appears', async () => {
      const before = new Set(Object.getOwnPropertyNames(globalThis));
      for (const c of builds) {
        for (const module of ['types.ts', 'contract.ts', 'validators.ts', 'server.ts', 'client.ts']) {
          await import(pathToFileURL(join(dirOf(c), 'generated', module)).href);
          const added = Object.getOwnPropertyNames(globalThis).filter((k) => !before.has(k));
          expect(added, `${c.name}: ${module}`).toEqual([]);
        }
      }
    }, 120_000);

    it('a property named constructor is required when the spec says so, and toString is optional', async () => {
      const c = builds.find((x) => x.name.startsWith('a required property named constructor'))!;
      const { validateChatSend } = (await import(pathToFileURL(join(dirOf(c), 'generated', 'validators.ts')).href)) as { validateChatSend: (v: unknown) => { ok: boolean } };
      const frame = (payload: object) => ({ type: 'chat.send', header: { session_id: 'q3Jt0Yz8uVbK2mXw5LcP9a' }, payload: { conversation_id: 'c-1', text: 'hi', ...payload } });
      expect(validateChatSend(frame({ constructor: 'c' })).ok).toBe(true);
      expect(validateChatSend(frame({})).ok).toBe(false); // `data.constructor` is Object's, but not an own property
      expect(validateChatSend(frame({ constructor: 'c', toString: 1 })).ok).toBe(false);
    });
  });

  it('the compiled CLI: once exit 3 or a clean lint, now exit 1 with the finding (and a first-sentence */ builds)', async () => {
    const byName = (start: string) => specCases.find((c) => c.name.startsWith(start))!;
    for (const [start, command, code] of [
      ['a spec nested 100 000 deep', 'build', 'spec-too-deep'],
      ['two $defs that refer to each other', 'lint', 'ref-cycle'],
      ['two $defs that refer to each other', 'build', 'ref-cycle'],
      ['an exponential pattern', 'lint', 'pattern-linear'],
    ] as const) {
      const { file } = writeSpec(byName(start));
      const r = await runCli([command, '--spec', file, ...(command === 'build' ? ['--out', join(corpus, 'cli-out')] : [])]);
      expect(r.code, `${command} ${start}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`[${code}]`);
    }
    const { file } = writeSpec(byName('a client message description that closes the comment'));
    const r = await runCli(['build', '--spec', file, '--out', join(corpus, 'cli-out'), '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);
});

/** Rendered as a Markdown renderer would (raw HTML passes through it): no element that runs code. */
function expectNoLiveMarkup(doc: GeneratedFile): void {
  // HTML comments are inert; htmlComment() keeps "--" out of them, so each ends where it should.
  const html = marked.parse(doc.content, { async: false }).replace(/<!--[\s\S]*?-->/g, '');
  expect(html, doc.path).not.toMatch(/<(script|img|iframe|svg|object|embed|details|style|link|meta)\b/i);
  expect(html, doc.path).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
}

describe('the output folder (G3)', () => {
  let files: readonly GeneratedFile[];
  let label: string;

  beforeAll(async () => {
    const result = await generate({ spec: specPath, out: join(repoRoot, 'generated'), worker: false });
    files = result.files;
    label = result.model.specLabel;
  }, 60_000);

  it.each(outputCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const root = tempDir('contractgen-hostile-out-');
    const out = join(root, 'out');
    const untouched = c.given.setup({ root, out, build: () => writeFiles(out, files, label) });
    const before = untouched.map((p) => readFileSync(p, 'utf8'));
    const manifest = join(out, '.contractgen-manifest.json');
    const manifestBefore = exists(manifest) ? readFileSync(manifest, 'utf8') : undefined;

    const want = c.want;
    if ('refused' in want) {
      let error: unknown;
      try {
        writeFiles(out, files, label);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OutputConflictError);
      const hit = (error as OutputConflictError).findings.find((f) => f.file === join(out, want.refused));
      expect(hit, (error as Error).message).toBeDefined();
      expect(hit!.code).toBe('output-in-the-way');
      expect(hit!.message).toContain(want.mentions);
      expect(hit!.hint).toMatch(/move|remove|pass/);
      // Nothing written: not even the manifest.
      expect(exists(manifest) ? readFileSync(manifest, 'utf8') : undefined).toBe(manifestBefore);
      // check tells the same story: the path is blocked.
      expect(compareFiles(out, files, label).filter((d) => d.path === want.refused).map((d) => d.kind)).toEqual(['blocked']);
    } else {
      const report = writeFiles(out, files, label);
      expect(report.removed).toEqual(want.removed ?? []);
      expect(report.kept.map((k) => k.path)).toEqual(want.kept ?? []);
      expect(compareFiles(out, files, label).filter((d) => d.kind !== 'extra')).toEqual([]);
    }
    untouched.forEach((p, i) => expect(readFileSync(p, 'utf8'), p).toBe(before[i]));
  });
});

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
