/**
 * The vocabulary meta-schema validator that `npm run build:cli` precompiles into dist/ must be
 * the one a build uses, and must say exactly what compiling the meta-schema now says — on the
 * canonical spec and on every broken fixture (most of which the vocabulary itself rejects).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compiledVocabularyValidator, precompiledVocabularyPath, vocabularyValidator } from '../generator/vocabulary-validator.js';
import { brokenCases } from './fixtures/broken/cases.js';
import { canonicalSpec } from './helpers.js';

const precompiled = () => vocabularyValidator(precompiledVocabularyPath) as ReturnType<typeof vocabularyValidator> & { hash?: string };
const now = compiledVocabularyValidator();

/** The errors and the verdict, as data (schemas compared by value). */
function verdict(validate: ReturnType<typeof vocabularyValidator>, spec: unknown) {
  const ok = validate(spec);
  return { ok, errors: JSON.parse(JSON.stringify(validate.errors ?? [])) as unknown };
}

describe('the precompiled vocabulary validator', () => {
  it('exists after build:cli and matches the vocabulary and Ajv version (so builds use it)', () => {
    expect(existsSync(precompiledVocabularyPath)).toBe(true);
    expect(precompiled().hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the canonical spec, as compiling now does', () => {
    expect(verdict(precompiled(), canonicalSpec())).toEqual({ ok: true, errors: [] });
    expect(verdict(now, canonicalSpec())).toEqual({ ok: true, errors: [] });
  });

  it('gives the same verdict and errors as compiling now on every broken fixture', () => {
    let rejected = 0;
    for (const c of brokenCases) {
      const spec = canonicalSpec();
      c.mutate(spec);
      const a = verdict(precompiled(), spec);
      expect(a, c.name).toEqual(verdict(now, spec));
      if (!a.ok) rejected++;
    }
    expect(rejected).toBeGreaterThanOrEqual(4); // the comparison covers real errors, not only passes
  });

  it('is not used when it does not match: a module with another hash is ignored', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('./helpers.js');
    const file = join(tempDir(), 'stale.cjs');
    writeFileSync(file, 'module.exports = () => true; module.exports.hash = "stale";');
    const v = vocabularyValidator(file) as ReturnType<typeof vocabularyValidator> & { hash?: string };
    expect(v.hash).toBeUndefined();
    const spec = canonicalSpec();
    spec['x-contract'].replayWindw = 1;
    expect(v(spec)).toBe(false);
  });
});
