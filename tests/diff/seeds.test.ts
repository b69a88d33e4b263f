/**
 * The two deltas of the second seed (dispatch-web, CR-5), reproduced on our history endpoint as
 * committed fixtures, plus identical specs:
 * - transport-contract 0.9.0 → 0.10.0: GET /conversations/:id gains optional limit and beforeSeq
 *   query parameters next to sinceSeq → additive, minor.
 * - wire 0.6.0 → 0.6.1: the 1-based gap-free seq guarantee written on the stored item → doc-only,
 *   patch.
 * The OLD windowing spec fails lint (the checker wants all three parameters): diff must not care.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../../generator/checker.js';
import { diffContracts } from '../../generator/diff/contract-diff.js';
import { loadText } from '../../generator/loader.js';
import { basePath, diffFiles, seedFixtures } from './helpers.js';

describe('seed delta 1: optional limit and beforeSeq on the history query (0.9.0 → 0.10.0)', () => {
  const result = diffFiles(seedFixtures.historyWindowing.old, seedFixtures.historyWindowing.new);

  it('the OLD spec is not lint-clean, and diff works anyway', () => {
    const findings = check(loadText('old.json', readFileSync(seedFixtures.historyWindowing.old, 'utf8')));
    expect(findings.map((f) => f.code)).toContain('history-query-params');
    expect(result.changes.length).toBeGreaterThan(0);
  });

  it('recommends a minor bump: nothing breaks', () => {
    expect(result.recommendedBump).toBe('minor');
    expect(result.counts.breaking).toBe(0);
  });

  it.each([
    ['additive', '/$defs/HistoryQuery/properties/beforeSeq', 'new optional property "beforeSeq": old clients never send it, and their requests are still accepted'],
    ['additive', '/$defs/HistoryQuery/properties/limit', 'new optional property "limit"'],
    ['additive', '/x-contract/history/0/maxLimit', 'no old request carries a limit, so none exceeds it'],
    ['doc-only', '/$defs/HistoryQuery/description', 'documentation only'],
    ['doc-only', '/x-contract/history/0/summary', 'documentation only'],
  ] as const)('%s %s', (kind, pointer, reason) => {
    const c = result.changes.find((x) => x.pointer === pointer);
    expect(c).toBeDefined();
    expect(c!.kind).toBe(kind);
    expect(c!.reason).toContain(reason);
    expect(c!.endpoint).toMatch(/^conversationHistory/);
  });

  it('judges the query client→server', () => {
    for (const c of result.changes.filter((x) => x.pointer.startsWith('/$defs/HistoryQuery/'))) {
      expect(c.direction).toBe('client-to-server');
      expect(c.endpoint).toBe('conversationHistory query');
    }
  });

  it('accepts 0.9.0 → 0.10.0 (in 0.x a minor bump is more than an additive change needs)', () => {
    expect(result.versionCheck).toMatchObject({ old: '0.9.0', new: '0.10.0', actual: 'minor', required: 'patch', status: 'ok' });
    expect(result.versionCheck.severity).toBeUndefined();
  });

  it('reversed (limit and beforeSeq removed again) it breaks old clients that send them', () => {
    const back = diffFiles(seedFixtures.historyWindowing.new, seedFixtures.historyWindowing.old);
    expect(back.recommendedBump).toBe('major');
    const limit = back.changes.find((c) => c.pointer === '/$defs/HistoryQuery/properties/limit')!;
    expect(limit).toMatchObject({ kind: 'breaking', side: 'old' });
    expect(limit.reason).toContain('additionalProperties: false');
    expect(back.versionCheck).toMatchObject({ status: 'downgraded', severity: 'error' });
  });
});

describe('seed delta 2: the 1-based gap-free seq guarantee documented (0.6.0 → 0.6.1)', () => {
  const result = diffFiles(seedFixtures.docOnly.old, seedFixtures.docOnly.new);

  it('recommends a patch bump: only documentation changed', () => {
    expect(result.recommendedBump).toBe('patch');
    expect(result.counts).toEqual({ breaking: 0, additive: 0, 'doc-only': 2 });
  });

  it.each([
    ['/$defs/HistoryChunk/description', 'description changed: documentation only'],
    ['/$defs/HistoryChunk/properties/seq/description', 'description changed: documentation only'],
  ])('%s', (pointer, reason) => {
    const c = result.changes.find((x) => x.pointer === pointer)!;
    expect(c).toMatchObject({ kind: 'doc-only', category: 'schema', endpoint: 'conversationHistory response', direction: 'server-to-client' });
    expect(c.reason).toContain(reason);
  });

  it('accepts 0.6.0 → 0.6.1', () => {
    expect(result.versionCheck).toMatchObject({ actual: 'patch', required: 'patch', status: 'ok' });
  });
});

describe('identical specs', () => {
  it('have no changes and recommend no bump', () => {
    const result = diffFiles(basePath, basePath);
    expect(result.changes).toEqual([]);
    expect(result.recommendedBump).toBe('none');
    expect(result.versionCheck).toMatchObject({ status: 'ok', actual: 'none', required: 'none' });
  });

  it('a reformatted spec (same JSON, other whitespace and key order) has no changes either', () => {
    const text = readFileSync(basePath, 'utf8');
    const reordered = Object.fromEntries(Object.entries(JSON.parse(text)).reverse());
    const result = diffContracts(loadText('base.json', text), loadText('reordered.json', JSON.stringify(reordered)));
    expect(result.changes).toEqual([]);
    expect(result.recommendedBump).toBe('none');
  });
});
