/**
 * The package as a user gets it: `npm pack` (with its prepack build) from a copy of the sources,
 * the tarball's contents, then the README's quick start run word for word in a fresh project
 * under the system temp folder — no access to this repository's node_modules — with the tarball
 * in place of the registry's contractgen and everything else from the npm registry (cached in
 * .cache/npm). The generated server and client must talk, compiled by the project's own tsc.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, repoRoot, tempDir } from '../helpers.js';

afterAll(removeTempDirs);

const NPM_CACHE = join(repoRoot, '.cache', 'npm');
/** Registry traffic: retried, bounded, quiet. */
const NPM_ENV = {
  npm_config_cache: NPM_CACHE,
  npm_config_prefer_offline: 'true',
  npm_config_fetch_retries: '4',
  npm_config_fetch_timeout: '120000',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'warn',
};

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bash with a script, in `cwd`, with a clean npm environment (no npm_* of the outer `npm test`). */
function bash(script: string, cwd: string, timeoutMs: number): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== 'NODE_PATH' && k !== 'NODE_OPTIONS') env[k] = v;
  // The outer npm test puts this repository's node_modules/.bin first on PATH; a user's shell does not.
  env.PATH = (env.PATH ?? '').split(':').filter((p) => !p.includes('node_modules')).join(':');
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env: { ...env, ...NPM_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The README's quick start as one bash script: its sh blocks, and each `<!-- file: NAME -->` block written to NAME. */
function quickStartScript(readme: string): string {
  const start = readme.indexOf('\n## Quick start\n');
  const end = readme.indexOf('\n## ', start + 1);
  if (start < 0 || end < 0) throw new Error('README.md has no "## Quick start" section');
  const section = readme.slice(start, end);
  const parts: string[] = [];
  for (const m of section.matchAll(/(?:<!-- file: ([\w.-]+) -->\n)?```(\w+)\n([\s\S]*?)```/g)) {
    const [, file, lang, body] = m;
    if (file) parts.push(`cat > ${file} <<'QUICK_START_EOF'\n${body}QUICK_START_EOF`);
    else if (lang === 'sh') parts.push(body!);
  }
  return parts.join('\n');
}

describe('the npm package', () => {
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    // Pack a copy of the sources, so prepack's fresh dist/ does not pull the one other suites run from.
    const src = tempDir('contractgen-pack-src-');
    for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', 'generator', 'runtime', 'runtime-py', 'spec', 'templates', 'scripts']) {
      cpSync(join(repoRoot, entry), join(src, entry), { recursive: true });
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'), 'dir');
    const dest = tempDir('contractgen-pack-');
    const packed = await bash(`npm pack --json --pack-destination ${JSON.stringify(dest)}`, src, 240_000);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; size: number; files: { path: string }[] }];
    tarball = join(dest, info.filename);
    files = info.files.map((f) => f.path).sort();
  }, 300_000);

  it('holds the compiled CLI and API, the runtime it copies, templates, precompiled artefacts, the vocabulary and the kernel, and nothing else', () => {
    const allowed = [/^package\.json$/, /^README\.md$/, /^bin\/contractgen\.js$/, /^dist\/.+\.(js|d\.ts|cjs)$/, /^runtime\/.+\.ts$/, /^runtime-py\/contractgen_runtime\/.+\.(py|typed)$/, /^templates\/.+\.hbs$/, /^spec\/contract-vocabulary\.schema\.json$/, /^spec\/kernel\/\d+\.schema\.json$/];
    expect(files.filter((f) => !allowed.some((a) => a.test(f)))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.test.ts') || f.startsWith('tests/') || f.startsWith('bench/'))).toEqual([]);
    for (const needed of ['dist/generator/cli.js', 'dist/generator/api.js', 'dist/generator/api.d.ts', 'dist/templates/docs.compiled.js', 'dist/vocabulary-validator.compiled.cjs', 'runtime/server/server-core.ts', 'runtime/client/client-core.ts', 'templates/docs/protocol-contract.md.hbs', 'templates/python/server.py.hbs', 'runtime-py/contractgen_runtime/server/server_core.py', 'spec/kernel/1.schema.json']) {
      expect(files, needed).toContain(needed);
    }
  });

  it('walks the README quick start: init, build, check, the project\'s own tsc --strict, and a generated client receiving data from a generated server', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const script = quickStartScript(readme);
    const installs = script.match(/npm install contractgen\b/g) ?? [];
    expect(installs).toHaveLength(1);
    const parent = tempDir('contractgen-quick-start-');
    mkdirSync(NPM_CACHE, { recursive: true });
    const run = await bash(script.replace('npm install contractgen', `npm install ${JSON.stringify(tarball)}`), parent, 540_000);
    const project = join(parent, 'chat-demo');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('contractgen: wrote spec/protocol.schema.json');
    expect(run.stdout).toMatch(/contractgen: \d+ files in generated\/ \(\d+ written, 0 unchanged, 0 removed\)/);
    expect(run.stdout).toContain('contractgen: generated/ is fresh');
    expect(run.stdout).toContain('seq 1: server: echo: hello');
    // The docs say which definitions came from the shipped kernel.
    const kernelVersion = (JSON.parse(readFileSync(join(repoRoot, 'spec', 'kernel', '1.schema.json'), 'utf8')) as { 'x-kernel': { version: string } })['x-kernel'].version;
    expect(readFileSync(join(project, 'generated', 'docs', 'protocol-schema.md'), 'utf8')).toContain(`kernel ${kernelVersion} (\`https://contractgen.dev/kernel/1\`)`);
    // The installed package runs from the tarball, not from this checkout.
    expect(readFileSync(join(project, 'node_modules', 'contractgen', 'package.json'), 'utf8')).toContain('"name": "contractgen"');

    // init refuses to overwrite; the API's declarations type-check in the user's project, and the API runs.
    writeFileSync(
      join(project, 'api-use.ts'),
      [
        "import { build, check, diff, lint, type CheckResult, type LintResult } from 'contractgen';",
        'const linted: LintResult = await lint();',
        'const checked: CheckResult = await check();',
        "const compared = await diff('spec/protocol.schema.json', 'spec/protocol.schema.json', { failOn: 'breaking' });",
        'const built = await build();',
        "console.log(JSON.stringify({ lint: linted.ok, findings: linted.findings.length, check: checked.ok, diff: compared.ok && compared.recommendedBump, build: built.ok && built.targets[0]!.unchanged.length > 0 }));",
        '',
      ].join('\n'),
    );
    const api = await bash(
      'npx contractgen init || echo "init exit $?"; npx tsc --strict --noEmit --module nodenext --target es2022 --types node api-use.ts && npx tsc --strict --module nodenext --target es2022 --types node --outDir api-out api-use.ts && node api-out/api-use.js',
      project,
      180_000,
    );
    expect(api.stdout).toContain('init exit 1');
    expect(api.stderr).toContain('spec/protocol.schema.json exists; init never overwrites a file');
    expect(api.code, api.stderr).toBe(0);
    expect(JSON.parse(api.stdout.trim().split('\n').pop()!)).toEqual({ lint: true, findings: 0, check: true, diff: 'none', build: true });
  }, 600_000);
});
