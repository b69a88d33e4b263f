/**
 * Helpers of the diff suites: the frozen base spec of tests/fixtures/diff/, loading a mutated
 * copy the way `contractgen diff` loads a file, and running a diff in memory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffContracts, type DiffResult } from '../../generator/diff/contract-diff.js';
import { loadText } from '../../generator/loader.js';
import { repoRoot, serialize } from '../helpers.js';

export const diffFixtures = join(repoRoot, 'tests', 'fixtures', 'diff');
export const basePath = join(diffFixtures, 'base.json');
const baseText = readFileSync(basePath, 'utf8');

/** A fresh deep copy of the frozen base spec. */
export function baseSpec(): any {
  return JSON.parse(baseText);
}

/** A spec derived from the base by an in-place edit. */
export function derived(edit?: (spec: any) => void): any {
  const spec = baseSpec();
  edit?.(spec);
  return spec;
}

export function diffSpecs(oldSpec: unknown, newSpec: unknown): DiffResult {
  return diffContracts(loadText('old.json', serialize(oldSpec)), loadText('new.json', serialize(newSpec)));
}

export function diffFiles(oldFile: string, newFile: string): DiffResult {
  return diffContracts(loadText(oldFile, readFileSync(oldFile, 'utf8')), loadText(newFile, readFileSync(newFile, 'utf8')));
}

export const seedFixtures = {
  historyWindowing: { old: join(diffFixtures, 'seed-history-windowing', 'old.json'), new: join(diffFixtures, 'seed-history-windowing', 'new.json') },
  docOnly: { old: join(diffFixtures, 'seed-doc-only', 'old.json'), new: join(diffFixtures, 'seed-doc-only', 'new.json') },
} as const;
