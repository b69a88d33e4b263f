/**
 * OLD and NEW as git revisions: `git:REF:path` is read with `git show REF:path` in the current
 * directory. A temporary repository in os.tmpdir() holds a committed spec and a modified working
 * copy; errors name the ref and path and say what to check.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../../generator/diagnostics.js';
import { parseSource, readSource } from '../../generator/diff/source.js';
import { removeTempDirs, runCli, serialize, tempDir } from '../helpers.js';
import { derived } from './helpers.js';

afterAll(removeTempDirs);

let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=contractgen test', '-c', 'user.email=test@contractgen.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function readError(arg: string, cwd: string): string {
  try {
    readSource(arg, cwd);
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    const f = (err as ContractError).findings[0]!;
    return `${f.message} | ${f.hint}`;
  }
  throw new Error(`expected ${arg} to fail`);
}

beforeAll(() => {
  repo = tempDir('contractgen-diff-git-');
  git('init', '--quiet');
  writeFileSync(join(repo, 'spec.json'), serialize(derived()));
  git('add', 'spec.json');
  git('commit', '--quiet', '-m', 'spec 1.0.0');
  // The working copy: a new protocol version (additive) with a minor bump.
  writeFileSync(
    join(repo, 'spec.json'),
    serialize(
      derived((s) => {
        s['x-contract'].protocolVersions.push('1.2');
        s['x-contract'].version = '1.1.0';
      }),
    ),
  );
});

describe('parseSource', () => {
  it.each([
    ['spec/protocol.schema.json', { kind: 'file', path: 'spec/protocol.schema.json' }],
    ['git:HEAD:spec.json', { kind: 'git', ref: 'HEAD', path: 'spec.json' }],
    ['git:origin/main:spec/protocol.schema.json', { kind: 'git', ref: 'origin/main', path: 'spec/protocol.schema.json' }],
    ['git:HEAD~2:./spec.json', { kind: 'git', ref: 'HEAD~2', path: './spec.json' }],
  ])('%s', (arg, expected) => {
    expect(parseSource(arg)).toMatchObject(expected);
  });

  it.each(['git:', 'git:HEAD', 'git::spec.json', 'git:HEAD:'])('rejects %s', (arg) => {
    expect(() => parseSource(arg)).toThrow(/not of the form git:REF:path/);
  });
});

describe('readSource with git:REF:path', () => {
  it('reads the committed revision, not the working copy', () => {
    const spec = readSource('git:HEAD:spec.json', repo);
    expect((spec.json['x-contract'] as { version: string }).version).toBe('1.0.0');
    expect(spec.file).toBe('git:HEAD:spec.json');
  });

  it('names a missing ref', () => {
    expect(readError('git:no-such-branch:spec.json', repo)).toMatch(/git show no-such-branch:spec.json failed: .*no-such-branch/);
  });

  it('names a path missing in the revision', () => {
    expect(readError('git:HEAD:missing.json', repo)).toMatch(/git show HEAD:missing.json failed: .*missing\.json/);
  });

  it('says so outside a git repository', () => {
    expect(readError('git:HEAD:spec.json', tempDir('contractgen-not-a-repo-'))).toMatch(/failed: .*not a git repository/i);
  });

  it('says so when git is not installed', () => {
    const path = process.env.PATH;
    process.env.PATH = tempDir('contractgen-empty-path-');
    try {
      expect(readError('git:HEAD:spec.json', repo)).toContain('cannot run git: it is not installed or not on PATH');
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('contractgen diff git:HEAD:spec.json spec.json', () => {
  it('diffs the committed spec against the working copy', async () => {
    const r = await runCli(['diff', 'git:HEAD:spec.json', 'spec.json', '--format', 'json'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.old).toMatchObject({ source: 'git:HEAD:spec.json', version: '1.0.0' });
    expect(json.new).toMatchObject({ source: 'spec.json', version: '1.1.0' });
    expect(json.recommendedBump).toBe('minor');
    expect(json.versionCheck).toMatchObject({ status: 'ok', actual: 'minor' });
    expect(json.changes).toEqual([
      expect.objectContaining({ kind: 'additive', category: 'semantics', pointer: '/x-contract/protocolVersions/2', reason: expect.stringContaining('protocol version 1.2 added') }),
    ]);
  });

  it('fails clearly (exit 1) on a missing ref', async () => {
    const r = await runCli(['diff', 'git:v9.9.9:spec.json', 'spec.json'], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('git show v9.9.9:spec.json failed');
    expect(r.stderr).toContain('cannot read OLD (git:v9.9.9:spec.json)');
  });
});
