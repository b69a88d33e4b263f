/**
 * Stage 2 (check) and the loader's rejections, table-driven: every broken spec in
 * tests/fixtures/broken/cases.ts must produce its finding with the right code, rule, pointer,
 * wording, fix and position — and nothing unexpected besides.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../generator/checker.js';
import { ContractError, formatFinding, type Finding } from '../generator/diagnostics.js';
import { load, loadText } from '../generator/loader.js';
import { rules } from '../generator/rules/index.js';
import { brokenCases, brokenTextCases } from './fixtures/broken/cases.js';
import { canonicalSpec, canonicalText, expectedPosition, positionAt, removeTempDirs, serialize, specPath, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** What loading reports: a syntax error stops it (ContractError); other defects it records and goes on. */
function loaderFindings(file: string, text: string): readonly Finding[] {
  try {
    const spec = loadText(file, text);
    if (spec.findings.length > 0) return spec.findings;
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return (err as ContractError).findings;
  }
  throw new Error('expected the loader to report the text');
}

describe('the canonical spec', () => {
  it('has zero findings (no errors, no warnings)', () => {
    expect(check(load(specPath))).toEqual([]);
  });

  it('is checked by every rule id exactly once', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of rules) expect(r.sentence.length).toBeGreaterThan(10);
  });
});

describe('broken specs', () => {
  const dir = tempDir('contractgen-broken-');

  it('has enough cases, each with a unique name', () => {
    expect(brokenCases.length).toBeGreaterThanOrEqual(14);
    expect(new Set(brokenCases.map((c) => c.name)).size).toBe(brokenCases.length);
  });

  it.each(brokenCases.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const spec = canonicalSpec();
    c.mutate(spec);
    const text = serialize(spec);
    const file = join(dir, `case-${i}.schema.json`);
    writeFileSync(file, text);

    const findings = check(load(file));
    const hit = findings.find((f) => f.code === c.code && f.pointer === c.pointer && f.message.includes(c.mentions));
    expect(hit, `no ${c.code} at ${c.pointer} mentioning ${JSON.stringify(c.mentions)}; got:\n${findings.map(formatFinding).join('\n')}`).toBeDefined();
    const f = hit!;

    expect(f.severity).toBe(c.severity ?? 'error');
    expect(f.rule).toBe(c.rule);
    expect(f.hint.trim()).not.toBe('');
    if (c.hint) expect(f.hint).toContain(c.hint);
    expect(f.file).toBe(file);
    expect({ line: f.line, column: f.column }).toEqual(expectedPosition(spec, c.pointer));

    // Nothing unexpected: the codes found are exactly the case's code and the ones it lists.
    expect([...new Set(findings.map((x) => x.code))].sort()).toEqual([...new Set([c.code, ...(c.also ?? [])])].sort());
    // The printed form names file:line:col, the rule and the pointer.
    const printed = formatFinding(f);
    expect(printed).toContain(`${file}:${f.line}:${f.column}`);
    expect(printed).toContain(f.pointer || '/');
    if (c.rule) expect(printed).toContain(`[${c.rule} ${c.code}]`);
  });

  it('sorts errors before warnings, then by position', () => {
    const spec = canonicalSpec();
    delete spec['x-contract'].history[0].maxLimit; // a warning early in the file
    spec.$defs.HistoryChunk.required = ['role', 'chunk']; // an error later
    spec['x-contract'].session.idBits = 64; // an error earlier
    const findings = check(loadText('sorted.json', serialize(spec)));
    expect(findings.map((f) => f.code)).toEqual(['session-entropy', 'history-item-seq', 'history-max-limit']);
    expect(findings.map((f) => f.severity)).toEqual(['error', 'error', 'warning']);
  });
});

describe('specs the loader rejects', () => {
  it.each(brokenTextCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const text = c.edit(canonicalText);
    const findings = loaderFindings('broken.json', text);
    expect(findings.length).toBeGreaterThan(0);
    const f = findings[0]!;
    expect(f.code).toBe(c.code);
    expect(f.severity).toBe('error');
    expect(f.pointer).toBe(c.pointer);
    expect(f.message).toContain(c.mentions);
    expect(f.hint.trim()).not.toBe('');
    expect(f.file).toBe('broken.json');
    expect({ line: f.line, column: f.column }).toEqual(positionAt(text, c.at(text)));
  });

  it('a ContractError message lists every error with its position', () => {
    const text = canonicalText.replace('"heartbeatMs": 15000,', '"heartbeatMs": 15000');
    try {
      loadText('spec.json', text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ContractError);
      const e = err as ContractError;
      const { line, column } = positionAt(text, text.indexOf('"maxFrameBytes"'));
      expect(e.message).toContain(`spec.json:${line}:${column} error [json-syntax] /`);
      expect(e.findings).toHaveLength(1);
    }
  });

  it('an empty file', () => {
    const [f] = loaderFindings('empty.json', '');
    expect(f).toMatchObject({ code: 'json-syntax', line: 1, column: 1 });
  });

  it('a file that does not exist', () => {
    try {
      load(join(tempDir(), 'nope.json'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ContractError);
      const [f] = (err as ContractError).findings;
      expect(f).toMatchObject({ code: 'spec-unreadable', pointer: '' });
      expect(f!.message).toContain('does not exist');
      expect(f!.hint).toContain('--spec');
    }
  });
});
