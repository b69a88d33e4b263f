/**
 * G2: what the ReDoS check (recheck, pure JavaScript backend) says about patterns, table-driven,
 * and its on-disk memo of decided verdicts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkPattern } from '../generator/rules/pattern-check.js';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

type Row = readonly [name: string, { readonly given: string; readonly want: 'linear' | 'vulnerable'; readonly complexity?: string }];

describe('checkPattern', () => {
  it.each<Row>([
    ['nested quantifiers', { given: '^(a+)+$', want: 'vulnerable', complexity: 'exponential' }],
    ['a repeated group of optional parts', { given: '^(\\w+\\s?)*$', want: 'vulnerable', complexity: 'exponential' }],
    ['an alternation that overlaps itself', { given: '^(a|a)*$', want: 'vulnerable', complexity: 'exponential' }],
    ['a slug with an optional separator', { given: '^([a-z0-9]+-?)+$', want: 'vulnerable', complexity: 'exponential' }],
    ['adjacent quantifiers over the same characters', { given: '^[a-z0-9-]*-?[a-z0-9-]+$', want: 'vulnerable', complexity: '2nd degree polynomial' }],
    ['three dot-stars', { given: '^.*a.*a.*a.*$', want: 'vulnerable', complexity: '4th degree polynomial' }],
    ['a bounded character class', { given: '^[A-Za-z0-9_-]{22,128}$', want: 'linear' }],
    ['a path of segments', { given: '^(/[^/]*)+$', want: 'linear' }],
    ['a dotted name', { given: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$', want: 'linear' }],
    ['a lookbehind', { given: '(?<=a)b+', want: 'linear' }],
  ])('%s', (_name, { given, want, complexity }) => {
    const verdict = checkPattern(given);
    expect(verdict.status).toBe(want);
    if (verdict.status === 'vulnerable') {
      expect(verdict.complexity).toBe(complexity);
      expect(verdict.attack.length).toBeGreaterThan(0);
    }
  });
});

describe('the memo on disk', () => {
  it('is written under node_modules/.cache of the working directory and read by the next process', async () => {
    const dir = tempDir('contractgen-pattern-cache-');
    mkdirSync(join(dir, 'node_modules'));
    const file = join(dir, 'node_modules', '.cache', 'contractgen', 'pattern-verdicts.json');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      vi.resetModules();
      const first = (await import('../generator/rules/pattern-check.js')).checkPattern;
      expect(first('^(b+)+$').status).toBe('vulnerable');
      expect(existsSync(file)).toBe(true);
      // A fresh module (as the next process) takes the verdict from the file: change it there to see.
      const memo = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const [key] = Object.keys(memo);
      writeFileSync(file, JSON.stringify({ [key!]: { status: 'linear' } }));
      vi.resetModules();
      const second = (await import('../generator/rules/pattern-check.js')).checkPattern;
      expect(second('^(b+)+$').status).toBe('linear');
    } finally {
      process.chdir(cwd);
      vi.resetModules();
    }
  });
});
