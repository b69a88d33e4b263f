/**
 * A user's project through the compiled CLI: `init` (the starter, its size, never overwriting),
 * settings in contractgen.config.json or package.json (commands without flags, clear errors), JSONC
 * specs, and lint showing every finding in one run with hints that name what the user has.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../generator/diagnostics.js';
import { findingCodes } from '../generator/finding-codes.js';
import { canonicalSpec, canonicalText, removeTempDirs, runCli, serialize, tempDir } from './helpers.js';

afterAll(removeTempDirs);

async function initProject(args: string[] = []): Promise<string> {
  const root = tempDir('contractgen-project-');
  const r = await runCli(['init', ...args], { cwd: root });
  expect(r.code, r.stderr).toBe(0);
  return root;
}

async function lintJson(cwd: string, args: string[] = []): Promise<{ code: number | null; findings: Finding[] }> {
  const r = await runCli(['lint', '--format', 'json', ...args], { cwd });
  return { code: r.code, findings: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
}

describe.concurrent('contractgen init', () => {
  it('writes a starter whose $defs fit in 40 lines, a settings file, and prints the next commands; lint is clean, strict', async () => {
    const root = tempDir('contractgen-project-');
    const r = await runCli(['init', '--name', 'team-chat'], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wrote spec/protocol.schema.json');
    expect(r.stdout).toContain('wrote contractgen.config.json');
    for (const next of ['npx contractgen lint', 'npx contractgen build', 'npx contractgen check']) expect(r.stdout).toContain(next);
    const text = readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8');
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith('  "$defs": {'));
    const end = lines.findIndex((l, i) => i > start && l === '  }');
    expect(end - start + 1).toBeLessThanOrEqual(40);
    const spec = JSON.parse(text);
    expect(spec['x-contract'].name).toBe('team-chat');
    expect(Object.keys(spec.$defs).filter((k) => !k.startsWith('Protocol'))).toEqual(['RoomId', 'ChatSend', 'ChatMessage', 'ChatPresence']);
    expect(JSON.parse(readFileSync(join(root, 'contractgen.config.json'), 'utf8'))).toEqual({ spec: 'spec/protocol.schema.json', targets: [{ language: 'typescript', out: 'generated' }] });
    expect(await lintJson(root, ['--strict'])).toEqual({ code: 0, findings: [] });
  });

  it('refuses to overwrite an existing file and writes nothing', async () => {
    const root = await initProject();
    const spec = join(root, 'spec', 'protocol.schema.json');
    writeFileSync(spec, '{ "mine": true }\n');
    const r = await runCli(['init'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('spec/protocol.schema.json exists; init never overwrites a file');
    expect(readFileSync(spec, 'utf8')).toBe('{ "mine": true }\n');
  });

  it('--transports picks the transports; a bad name or list is a usage error', async () => {
    const root = await initProject(['--transports', 'websocket']);
    expect(Object.keys(JSON.parse(readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8'))['x-contract'].transports)).toEqual(['websocket']);
    const other = tempDir('contractgen-project-');
    expect((await runCli(['init', '--transports', 'websocket,carrier-pigeon'], { cwd: other })).code).toBe(2);
    expect((await runCli(['init', '--name', 'Chat App'], { cwd: other })).code).toBe(2);
    expect(existsSync(join(other, 'spec'))).toBe(false);
  });
});

describe.concurrent('settings', () => {
  it('build and check need no flags: spec and out come from contractgen.config.json (comments allowed)', async () => {
    const root = tempDir('contractgen-project-');
    mkdirSync(join(root, 'contracts'));
    writeFileSync(join(root, 'contracts', 'agent.json'), canonicalText);
    writeFileSync(join(root, 'contractgen.config.json'), '// where the contract lives\n{ "spec": "contracts/agent.json", "targets": [{ "language": "typescript", "out": "src/gen" }] }\n');
    const built = await runCli(['build'], { cwd: root });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toContain('files in src/gen/');
    expect(existsSync(join(root, 'src', 'gen', 'server.ts'))).toBe(true);
    const checked = await runCli(['check'], { cwd: root });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain('src/gen/ is fresh');
    // A flag wins over the file.
    const elsewhere = await runCli(['check', '--out', 'other'], { cwd: root });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('other/ is stale');
  });

  it('with two targets, build writes both; --target picks one; --out alone names the TypeScript folder and builds only it', async () => {
    const root = tempDir('contractgen-project-');
    writeFileSync(join(root, 'contract.json'), canonicalText);
    writeFileSync(join(root, 'contractgen.config.json'), '{ "spec": "contract.json", "targets": [{ "language": "typescript", "out": "ts" }, { "language": "python", "out": "py" }] }\n');
    const built = await runCli(['build'], { cwd: root });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toContain('files in ts/');
    expect(built.stdout).toContain('files in py/');
    expect(existsSync(join(root, 'py', 'agent_ui', 'server.py'))).toBe(true);
    const python = await runCli(['check', '--target', 'python'], { cwd: root });
    expect(python.code, python.stderr).toBe(0);
    expect(python.stdout).toContain('py/ is fresh');
    expect(python.stdout).not.toContain('ts/');
    const other = await runCli(['build', '--out', 'other'], { cwd: root });
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('files in other/');
    expect(other.stdout).not.toContain('py/');
    const unknown = await runCli(['build', '--target', 'cobol'], { cwd: root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--target must be one of typescript, python');
  });

  it('the contractgen key of package.json, found from a subfolder', async () => {
    const root = tempDir('contractgen-project-');
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app', contractgen: { spec: 'api/contract.json' } }));
    mkdirSync(join(root, 'api'));
    writeFileSync(join(root, 'api', 'contract.json'), canonicalText);
    const r = await runCli(['lint'], { cwd: join(root, 'api') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('contract.json is clean');
  });

  it.each([
    ['an unknown language', '{ "targets": [{ "language": "cobol", "out": "x" }] }', ':1:17: /targets/0/language must be one of typescript'],
    ['an unknown setting', '{\n  "specs": "a.json"\n}', ':2:3: /specs is not a setting'],
    ['out and targets together', '{ "out": "a", "targets": [{ "language": "typescript", "out": "b" }] }', ':1:3: /out and "targets" cannot both be given'],
  ])('%s is a usage error naming the file, line and column', async (_name, config, says) => {
    const root = tempDir('contractgen-project-');
    writeFileSync(join(root, 'contractgen.config.json'), config);
    const r = await runCli(['lint'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`contractgen.config.json${says}`);
  });
});

describe.concurrent('lint', () => {
  it('accepts a spec with comments (JSONC)', async () => {
    const root = tempDir('contractgen-project-');
    const text = canonicalText.replace('"heartbeatMs": 15000,', '// Q4: keepalive\n    "heartbeatMs": 15000, /* ms */');
    writeFileSync(join(root, 'spec.jsonc'), text);
    expect(await lintJson(root, ['--spec', 'spec.jsonc'])).toEqual({ code: 0, findings: [] });
  });

  it('shows the vocabulary\'s findings and the rules\' in one run', async () => {
    const root = tempDir('contractgen-project-');
    const s = canonicalSpec();
    s['x-contract'].heartbeatMs = 'often'; // the vocabulary rejects it, so rules that read x-contract wait
    s.$defs.UiAction['x-message'].role = 'input'; // the vocabulary rejects it; rules leave ui.action out
    delete s.$defs.ChatSend.examples; // a rule finds this
    s.$defs.UiPatch.properties.payload.properties.view_id.pattren = '^x$'; // and this
    writeFileSync(join(root, 'spec.json'), serialize(s));
    const { code, findings } = await lintJson(root, ['--spec', 'spec.json']);
    expect(code).toBe(1);
    expect(findings.map((f) => `${f.code} ${f.pointer}`).sort()).toEqual([
      'known-keywords /$defs/UiPatch/properties/payload/properties/view_id/pattren',
      'message-has-example /$defs/ChatSend',
      'vocabulary /$defs/UiAction/x-message/role',
      'vocabulary /x-contract/heartbeatMs',
    ]);
  });

  it('every hint names something the user has: a path that exists from where lint ran, or a README section, or a --rules code', async () => {
    const root = tempDir('contractgen-project-');
    const s = canonicalSpec();
    s['x-contract'].heartbeatMs = 0;
    s['x-contract'].transports.poll.holdMs = 'long';
    writeFileSync(join(root, 'spec.json'), serialize(s));
    const { findings } = await lintJson(root, ['--spec', 'spec.json']);
    expect(findings.length).toBeGreaterThanOrEqual(2);
    const codes = new Set(findingCodes().map((c) => c.id));
    for (const f of findings) {
      expect(codes.has(f.code), f.code).toBe(true);
      for (const path of f.hint.match(/[\w./-]+\.schema\.json/g) ?? []) expect(existsSync(join(root, path)), `${f.hint} names ${path}`).toBe(true);
    }
    expect(findings.find((f) => f.pointer === '/x-contract/heartbeatMs')!.hint).toMatch(/contract-vocabulary\.schema\.json at #\/\$defs\/contract\/properties\/heartbeatMs \(README: "Writing a contract"\)/);
  });
});
