/**
 * The schema and semantics diff, table-driven over tests/fixtures/diff/cases.ts: each delta gives
 * exactly the expected changes (classification, pointer, reason, subject) and the expected bump.
 */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../generator/diff/change.js';
import { diffCases, type ExpectedChange } from '../fixtures/diff/cases.js';
import { derived, diffSpecs } from './helpers.js';

function matches(c: Change, e: ExpectedChange): boolean {
  return (
    c.kind === e.kind &&
    c.pointer === e.pointer &&
    c.reason.includes(e.reason) &&
    (e.message === undefined || (c.messages ?? []).includes(e.message)) &&
    (e.messages === undefined || JSON.stringify(c.messages) === JSON.stringify(e.messages)) &&
    (e.endpoint === undefined || c.endpoint === e.endpoint) &&
    (e.direction === undefined || c.direction === e.direction) &&
    (e.category === undefined || c.category === e.category)
  );
}

const show = (changes: readonly Change[]) => changes.map((c) => `${c.kind} ${c.pointer} [${c.messages?.join(', ') ?? c.endpoint ?? ''}] ${c.reason}`).join('\n');

describe.each(diffCases)('$name', (testCase) => {
  const result = diffSpecs(derived(testCase.old), derived(testCase.new));

  it('reports every expected change', () => {
    for (const e of testCase.expect) {
      expect(result.changes.some((c) => matches(c, e)), `missing ${e.kind} ${e.pointer} "${e.reason}" in:\n${show(result.changes)}`).toBe(true);
    }
  });

  it('reports nothing else', () => {
    const unexpected = result.changes.filter((c) => !testCase.expect.some((e) => matches(c, e)));
    expect(unexpected, `unexpected:\n${show(unexpected)}`).toEqual([]);
  });

  it(`recommends a ${testCase.bump} bump`, () => {
    expect(result.recommendedBump).toBe(testCase.bump);
  });

  it('gives every change a one-line reason and a pointer on its side', () => {
    for (const c of result.changes) {
      expect(c.reason).not.toMatch(/\n/);
      expect(c.reason.length).toBeGreaterThan(10);
      expect(c.pointer).toMatch(/^\//);
      expect(c.line).toBeGreaterThan(0);
    }
  });
});

describe('reversing a delta', () => {
  it.each(diffCases.filter((c) => c.bump !== 'none'))('$name: reversed, still finds changes', (testCase) => {
    const result = diffSpecs(derived(testCase.new), derived(testCase.old));
    expect(result.changes.length).toBeGreaterThan(0);
  });
});
