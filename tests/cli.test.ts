/**
 * The compiled CLI as users run it (`npm run build:cli` first): help and exit codes, lint output,
 * a failed build that writes nothing, `check` naming each drifted file, and `build` cleaning up
 * only what its manifest says it generated (G3). Everything it writes goes to temp dirs.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../generator/diagnostics.js';
import { STAGE_CODES } from '../generator/finding-codes.js';
import { rules } from '../generator/rules/index.js';
import { canonicalSpec, expectedPosition, removeTempDirs, runCli, serialize, specPath, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const EXIT_CODE_LINES = ['0  success', '1  the contract has errors', '2  usage error', '3  internal error'];

describe.concurrent('help', () => {
  it('--help lists the commands and exit codes (exit 0)', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['build', 'check', 'lint']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    for (const line of EXIT_CODE_LINES) expect(r.stdout).toContain(line);
    expect(r.stderr).toBe('');
  });

  it('no command prints the help and exits 2', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage: contractgen <command>');
  });

  it('--version prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it.each([
    ['build', ['--spec FILE', '--out DIR', '--quiet']],
    ['check', ['--spec FILE', '--out DIR']],
    ['lint', ['--spec FILE', '--format', '--strict', '--rules']],
  ] as const)('%s --help documents its options and exit codes', async (command, options) => {
    const r = await runCli([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: contractgen ${command}`);
    for (const o of options) expect(r.stdout).toContain(o);
    for (const line of EXIT_CODE_LINES) expect(r.stdout).toContain(line);
  });
});

describe.concurrent('usage errors exit 2', () => {
  it('an unknown command', async () => {
    const r = await runCli(['bild']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "bild"');
    expect(r.stdout).toBe('');
  });

  it('an unknown option', async () => {
    const r = await runCli(['build', '--sepc', 'x.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/contractgen build: .*--sepc/);
    expect(r.stderr).toContain('Usage: contractgen build');
  });

  it('an unexpected positional argument', async () => {
    const r = await runCli(['lint', 'spec.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected 0 argument(s), got 1');
  });

  it('a bad --format', async () => {
    const r = await runCli(['lint', '--format', 'xml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format must be text or json');
  });
});

describe('lint', () => {
  const dir = tempDir('contractgen-cli-lint-');
  const broken = canonicalSpec();
  broken.$defs.ProtocolHello.properties.payload.required = broken.$defs.ProtocolHello.properties.payload.required.filter((f: string) => f !== 'resume_token');
  broken['x-contract'].session.idBits = 64;
  const brokenFile = join(dir, 'broken.schema.json');
  const warnOnly = canonicalSpec();
  delete warnOnly['x-contract'].history[0].maxLimit;
  const warnFile = join(dir, 'warn.schema.json');

  beforeAll(() => {
    writeFileSync(brokenFile, serialize(broken));
    writeFileSync(warnFile, serialize(warnOnly));
  });

  it('the canonical spec is clean (exit 0)', async () => {
    const r = await runCli(['lint']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`spec/protocol.schema.json is clean (${rules.length} rules)`);
    expect(r.stderr).toBe('');
  });

  it('--format json on a broken spec: exit 1 and parseable findings with positions', async () => {
    const r = await runCli(['lint', '--spec', brokenFile, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; findings: Finding[] };
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => f.code)).toEqual(['session-entropy', 'hello-fields']);
    const hello = report.findings.find((f) => f.code === 'hello-fields')!;
    expect(hello).toMatchObject({ severity: 'error', rule: 'H1', pointer: '/$defs/ProtocolHello/properties/payload', file: brokenFile });
    expect({ line: hello.line, column: hello.column }).toEqual(expectedPosition(broken, hello.pointer));
  });

  it('text output on a broken spec names file:line:col, rule, pointer and fix', async () => {
    const r = await runCli(['lint', '--spec', brokenFile]);
    expect(r.code).toBe(1);
    const { line, column } = expectedPosition(broken, '/x-contract/session/idBits');
    expect(r.stderr).toContain(`${brokenFile}:${line}:${column} error [S1 session-entropy] /x-contract/session/idBits`);
    expect(r.stderr).toContain('fix: set "idBits": 128 or more');
  });

  it('warnings pass, unless --strict', async () => {
    const lax = await runCli(['lint', '--spec', warnFile]);
    expect(lax.code).toBe(0);
    expect(lax.stderr).toContain('warning [W2 history-max-limit]');
    const strict = await runCli(['lint', '--spec', warnFile, '--strict']);
    expect(strict.code).toBe(1);
  });

  it('a JSON syntax error is a finding with its position, not a crash', async () => {
    const file = join(dir, 'syntax.schema.json');
    writeFileSync(file, '{\n  "title": "x",\n  "x-contract": {,\n}\n');
    const r = await runCli(['lint', '--spec', file, '--format', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: Finding[] };
    expect(report.findings[0]).toMatchObject({ code: 'json-syntax', line: 3, column: 18 });
  });

  it('a missing spec file exits 1 with a hint', async () => {
    const r = await runCli(['lint', '--spec', join(dir, 'nope.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read the spec: the file does not exist');
  });

  it('--rules lists every finding code (the stages before the rules, then each rule with its DESIGN.md rule)', async () => {
    const r = await runCli(['lint', '--rules']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(STAGE_CODES.length + rules.length);
    for (const rule of [...STAGE_CODES, ...rules]) {
      const line = lines.find((l) => l.startsWith(`${rule.id} `));
      expect(line, rule.id).toBeDefined();
      expect(line).toContain(rule.sentence);
      if (rule.rule) expect(line).toContain(` ${rule.rule} `);
    }
  });
});

describe.concurrent('build and check', () => {
  /** A temp project: spec/protocol.schema.json, built into generated/ once. */
  async function builtProject(): Promise<{ root: string; spec: string; out: string }> {
    const root = tempDir('contractgen-cli-build-');
    mkdirSync(join(root, 'spec'));
    const spec = join(root, 'spec', 'protocol.schema.json');
    cpSync(specPath, spec);
    const out = join(root, 'generated');
    const r = await runCli(['build', '--spec', spec, '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    return { root, spec, out };
  }

  it('build on a broken spec exits 1, prints file:line:col and the pointer, and writes nothing', async () => {
    const dir = tempDir('contractgen-cli-broken-');
    const spec = canonicalSpec();
    spec.$defs.UiRender.properties.header = { $ref: '#/$defs/ClientHeader' };
    const file = join(dir, 'broken.schema.json');
    writeFileSync(file, serialize(spec));
    const out = join(dir, 'out');
    const r = await runCli(['build', '--spec', file, '--out', out]);
    expect(r.code).toBe(1);
    const pointer = '/$defs/UiRender/properties/header';
    const { line, column } = expectedPosition(spec, pointer);
    expect(r.stderr).toContain(`${file}:${line}:${column} error [Q1 data-message-requires-seq] ${pointer}`);
    expect(r.stderr).toContain('nothing was written');
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('build prints a summary, and a second build writes nothing new', async () => {
    const { spec, out } = await builtProject();
    const r = await runCli(['build', '--spec', spec, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/contractgen: (\d+) files in .*generated\/ \(0 written, \1 unchanged, 0 removed\)/);
  });

  it('check on a fresh build exits 0', async () => {
    const { spec, out } = await builtProject();
    const r = await runCli(['check', '--spec', spec, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('is fresh');
  });

  it('check reports a tampered file as stale, with the first differing line', async () => {
    const { spec, out } = await builtProject();
    const file = join(out, 'contract.ts');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[9] = `${lines[9]} // edited by hand`;
    writeFileSync(file, lines.join('\n'));
    const r = await runCli(['check', '--spec', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stale\s+contract\.ts \(first difference at line 10\)/);
    expect(r.stderr).toContain('1 file(s) differ');
    expect(r.stderr).toContain('Run `contractgen build');
  });

  it('check reports a deleted file as missing', async () => {
    const { spec, out } = await builtProject();
    rmSync(join(out, 'runtime', 'validation.ts'));
    const r = await runCli(['check', '--spec', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\s+runtime\/validation\.ts/);
  });

  /** Lists a file in the output's manifest, as if an earlier build had generated it. */
  function listInManifest(out: string, rel: string, content: string): void {
    const path = join(out, '.contractgen-manifest.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { files: Record<string, string> };
    manifest.files[rel] = createHash('sha256').update(content).digest('hex');
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  }

  it('check reports a file the manifest lists that is no longer generated as extra, and ignores every other file', async () => {
    const { spec, out } = await builtProject();
    const old = '// Generated by contractgen 0.0.1 from spec/protocol.schema.json (sha256 0000000000000000).\n// Old.\n// Do not edit: change the spec and run `contractgen build`.\nexport {};\n';
    writeFileSync(join(out, 'old-api.ts'), old);
    listInManifest(out, 'old-api.ts', old);
    writeFileSync(join(out, 'user-notes.ts'), 'export const mine = 1;\n');
    writeFileSync(join(out, 'other-banner.ts'), old); // a banner, but no manifest lists it: not ours to judge
    const r = await runCli(['check', '--spec', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/extra\s+old-api\.ts \(no longer generated\)/);
    expect(r.stderr).toMatch(/stale\s+\.contractgen-manifest\.json/);
    expect(r.stderr).not.toContain('user-notes.ts');
    expect(r.stderr).not.toContain('other-banner.ts');
  });

  it('build removes a file the previous manifest lists, unchanged, and leaves everything else alone', async () => {
    const { spec, out } = await builtProject();
    mkdirSync(join(out, 'nested'));
    const old = '// Generated by contractgen 0.0.1.\n// Do not edit: fix the source in contractgen and rebuild.\nexport {};\n';
    writeFileSync(join(out, 'nested', 'old-api.ts'), old);
    listInManifest(out, 'nested/old-api.ts', old);
    writeFileSync(join(out, 'other-banner.ts'), old);
    writeFileSync(join(out, 'user-notes.ts'), '// My notes. Do not edit.\nexport const mine = 1;\n');
    const r = await runCli(['build', '--spec', spec, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 removed');
    expect(r.stdout).toContain('removed nested/old-api.ts');
    expect(existsSync(join(out, 'nested'))).toBe(false); // emptied by the removal
    expect(readFileSync(join(out, 'other-banner.ts'), 'utf8')).toBe(old);
    expect(readFileSync(join(out, 'user-notes.ts'), 'utf8')).toBe('// My notes. Do not edit.\nexport const mine = 1;\n');
    const check = await runCli(['check', '--spec', spec, '--out', out]);
    expect(check.code).toBe(0);
  });

  it('build refuses to overwrite a hand-written server.ts: exit 1, the finding says what to do, nothing written', async () => {
    const { spec, out } = await builtProject();
    writeFileSync(join(out, 'server.ts'), 'export const mine = 1;\n');
    rmSync(join(out, 'client.ts'));
    const r = await runCli(['build', '--spec', spec, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(out, 'server.ts')} error [output-in-the-way]`);
    expect(r.stderr).toContain('was not generated by contractgen');
    expect(r.stderr).toContain('fix: move it out of the output folder');
    expect(r.stderr).toContain('1 file(s) in the output folder are in the way; nothing was written');
    expect(readFileSync(join(out, 'server.ts'), 'utf8')).toBe('export const mine = 1;\n');
    expect(existsSync(join(out, 'client.ts'))).toBe(false);
    const check = await runCli(['check', '--spec', spec, '--out', out]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/blocked\s+server\.ts \(server\.ts was not generated by contractgen/);
    expect(check.stderr).toMatch(/missing\s+client\.ts/);
  });

  it('build restores a tampered file', async () => {
    const { spec, out } = await builtProject();
    const file = join(out, 'types.ts');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('export type', 'export  type'));
    const r = await runCli(['build', '--spec', spec, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(1 written');
    expect(readFileSync(file, 'utf8')).toBe(original);
  });
});
