/**
 * `contractgen diff` as users run it (the compiled CLI, `npm run build:cli` first): help, formats,
 * the Markdown PR comment, deterministic output, --fail-on exit codes, and clear failures on
 * unreadable input. Everything it writes goes to temp dirs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, runCli, serialize, tempDir } from '../helpers.js';
import { basePath, derived, seedFixtures } from './helpers.js';

afterAll(removeTempDirs);

const EXIT_CODE_LINES = ['0  success', '1  the contract has errors', '2  usage error', '3  internal error'];
const seed1 = [seedFixtures.historyWindowing.old, seedFixtures.historyWindowing.new];
const seed2 = [seedFixtures.docOnly.old, seedFixtures.docOnly.new];

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = tempDir('contractgen-diff-cli-');
  const write = (name: string, spec: unknown) => writeFileSync(file(name), serialize(spec));
  // A breaking change (a removed server→client message) without, and with, a major bump.
  write('breaking-unbumped.json', derived((s) => delete s.$defs.UiPatch));
  write('breaking-major.json', derived((s) => (delete s.$defs.UiPatch, (s['x-contract'].version = '2.0.0'))));
  // No change at all, but the version goes backwards: the version check fails on its own.
  write('downgraded.json', derived((s) => (s['x-contract'].version = '0.9.0')));
  writeFileSync(file('invalid.json'), '{ "x-contract": { "version": "1.0.0", } }\n');
  writeFileSync(file('array.json'), '[]\n');
});

describe('help', () => {
  it('diff --help documents the arguments, options, rules and exit codes', async () => {
    const r = await runCli(['diff', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: contractgen diff OLD NEW');
    for (const text of ['git:REF:path', '--format', 'markdown', '--fail-on', 'breaking', 'additive', 'any', 'client→server', 'server→client', 'additionalProperties: false', 'In 0.x', 'maxLimit', 'replay window']) {
      expect(r.stdout).toContain(text);
    }
    for (const line of EXIT_CODE_LINES) expect(r.stdout).toContain(line);
  });

  it('the main help lists diff', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toMatch(/^  diff +classify the changes/m);
  });
});

describe('formats', () => {
  it('markdown for seed delta 1: a summary line with the bump, then one table', async () => {
    const r = await runCli(['diff', ...seed1, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('### Contract diff: agent-ui 0.9.0 → 0.10.0');
    expect(r.stdout).toContain('**Recommended bump: minor** (0 breaking, 3 additive, 4 doc-only).');
    expect(r.stdout).toContain('Version check: **ok** — 0.9.0 → 0.10.0 is a minor bump');
    expect(r.stdout).toContain('| Change | Pointer | Message | Reason |\n| --- | --- | --- | --- |\n');
    expect(r.stdout).toContain('| additive | `/$defs/HistoryQuery/properties/beforeSeq` | conversationHistory query (c→s) | new optional property "beforeSeq": old clients never send it, and their requests are still accepted |');
    expect(r.stdout).toContain('| doc-only | `/$defs/HistoryQuery/description` | conversationHistory query (c→s) | description changed: documentation only; validation is unchanged |');
    // Grouped by classification: every additive row before every doc-only row.
    const kinds = lines.filter((l) => /^\| (\*\*breaking\*\*|additive|doc-only) \|/.test(l)).map((l) => l.split(' | ')[0]);
    expect(kinds).toEqual(['| additive', '| additive', '| additive', '| doc-only', '| doc-only', '| doc-only', '| doc-only']);
  });

  it('markdown for seed delta 2: a patch', async () => {
    const r = await runCli(['diff', ...seed2, '--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('**Recommended bump: patch** (0 breaking, 0 additive, 2 doc-only).');
    expect(r.stdout).toContain('| doc-only | `/$defs/HistoryChunk/description` | conversationHistory response (s→c) | description changed');
  });

  it('markdown folds one change to a shared schema into one row listing every message', async () => {
    const r = await runCli(['diff', basePath, file('breaking-unbumped.json'), '--format', 'markdown']);
    expect(r.stdout).toContain('| **breaking** | `/$defs/UiPatch` | `ui.patch` (s→c) | server→client message removed');
    expect(r.stdout).toContain('Version check: **error** — version not bumped (still 1.0.0): breaking changes need at least a major bump, e.g. 2.0.0');
  });

  it('markdown for identical specs: the bump line and no table', async () => {
    const r = await runCli(['diff', basePath, basePath, '--format', 'markdown']);
    expect(r.stdout).toContain('**Recommended bump: none** (the contracts are identical).');
    expect(r.stdout).not.toContain('| Change |');
  });

  it('text is the default', async () => {
    const r = await runCli(['diff', ...seed2]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('recommended bump: patch (0 breaking, 0 additive, 2 doc-only)');
    expect(r.stdout).toMatch(/^doc-only \(2\)$/m);
    expect(r.stdout).toMatch(/^ {2}\/\$defs\/HistoryChunk\/description {2}\[conversationHistory response \(server→client\)\] {2}.*new\.json:\d+:\d+$/m);
  });

  it('json is machine readable', async () => {
    const r = await runCli(['diff', ...seed1, '--format', 'json']);
    const json = JSON.parse(r.stdout);
    expect(json.recommendedBump).toBe('minor');
    expect(json.versionCheck).toMatchObject({ old: '0.9.0', new: '0.10.0', status: 'ok' });
    expect(json.counts).toEqual({ breaking: 0, additive: 3, 'doc-only': 4 });
    for (const c of json.changes) {
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['kind', 'pointer', 'reason', 'category']));
      expect(['breaking', 'additive', 'doc-only']).toContain(c.kind);
      expect(['schema', 'semantics']).toContain(c.category);
    }
    expect(json.changes[0]).toMatchObject({ kind: 'additive', pointer: '/$defs/HistoryQuery/properties/beforeSeq', endpoint: 'conversationHistory query', direction: 'client-to-server', category: 'schema' });
  });

  it('output is deterministic: by classification severity, then pointer', async () => {
    const [a, b] = await Promise.all([runCli(['diff', basePath, file('breaking-unbumped.json'), '--format', 'json']), runCli(['diff', basePath, file('breaking-unbumped.json'), '--format', 'json'])]);
    expect(a.stdout).toBe(b.stdout);
    const r = await runCli(['diff', ...seed1, '--format', 'json']);
    const changes = JSON.parse(r.stdout).changes as { kind: string; pointer: string }[];
    const order = ['breaking', 'additive', 'doc-only'];
    const sorted = [...changes].sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind) || (x.pointer < y.pointer ? -1 : x.pointer > y.pointer ? 1 : 0));
    expect(changes).toEqual(sorted);
  });
});

describe('--fail-on', () => {
  it.each([
    ['no --fail-on: breaking changes still exit 0', [basePath, 'breaking-unbumped.json'], [], 0],
    ['breaking, with a breaking change', [basePath, 'breaking-major.json'], ['--fail-on', 'breaking'], 1],
    ['breaking, with additive changes only', seed1, ['--fail-on', 'breaking'], 0],
    ['additive, with additive changes', seed1, ['--fail-on', 'additive'], 1],
    ['additive, with doc-only changes', seed2, ['--fail-on', 'additive'], 0],
    ['any, with doc-only changes', seed2, ['--fail-on', 'any'], 1],
    ['any, with identical specs', [basePath, basePath], ['--fail-on', 'any'], 0],
    ['version, a breaking change without a major bump', [basePath, 'breaking-unbumped.json'], ['--fail-on', 'version'], 1],
    ['version, a breaking change with a major bump', [basePath, 'breaking-major.json'], ['--fail-on', 'version'], 0],
    ['version, properly bumped seed deltas', seed1, ['--fail-on', 'version'], 0],
    ['breaking, no change but the version went backwards (a version-check error)', [basePath, 'downgraded.json'], ['--fail-on', 'breaking'], 1],
  ] as const)('%s (%j %j) → exit %i', async (_name, pair, flags, code) => {
    const [a, b] = pair.map((p) => (p.includes('/') ? p : file(p)));
    const r = await runCli(['diff', a!, b!, ...flags]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(code);
  });
});

describe('failures', () => {
  it('invalid JSON exits 1 and says where', async () => {
    const r = await runCli(['diff', basePath, file('invalid.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/invalid\.json:1:\d+ error \[json-syntax\]/);
    expect(r.stderr).toContain('invalid JSON');
    expect(r.stderr).toContain(`cannot read NEW (${file('invalid.json')}); nothing was compared`);
  });

  it('a JSON document that is not an object exits 1', async () => {
    const r = await runCli(['diff', file('array.json'), basePath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the spec must be a JSON object');
    expect(r.stderr).toContain('cannot read OLD');
  });

  it('a missing file exits 1', async () => {
    const r = await runCli(['diff', file('nope.json'), basePath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the file does not exist');
  });

  it.each([
    ['one argument', ['diff', basePath], 'expected 2 argument(s), got 1'],
    ['three arguments', ['diff', basePath, basePath, basePath], 'expected 2 argument(s), got 3'],
    ['an unknown format', ['diff', basePath, basePath, '--format', 'html'], '--format must be one of text, markdown, json, not html'],
    ['an unknown --fail-on level', ['diff', basePath, basePath, '--fail-on', 'major'], '--fail-on must be one of breaking, additive, any, version, not major'],
    ['an unknown option', ['diff', basePath, basePath, '--strict'], "Unknown option '--strict'"],
  ])('%s is a usage error (exit 2)', async (_name, args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
