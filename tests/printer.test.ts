/**
 * The printer (generator/printer.ts) prints a file's structures with ts-morph's own structure
 * printer, without parsing the text into a syntax tree it never reads. The same file printed
 * through `createSourceFile` (what printStatements falls back to when ts-morph's internals move)
 * must have the same bytes, for every ts-morph emitter.
 */
import type { Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { EMITTERS } from '../generator/emitters.js';
import { createProject, printsWithoutParsing } from '../generator/printer.js';
import { fixtureSpec, modelOf } from './support/model.js';

/** The project, as a ts-morph without the structure printer where 28.x keeps it looks to printStatements. */
function withoutStructurePrinter(project: Project): Project {
  return new Proxy(project, {
    get(target, key) {
      if (key === '_context') return undefined;
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('the printer', () => {
  it('prints without parsing with the ts-morph this package installs', () => {
    expect(printsWithoutParsing(createProject())).toBe(true);
    expect(printsWithoutParsing(withoutStructurePrinter(createProject()))).toBe(false);
  });

  it.each(['agent-ui', 'chat-mini'] as const)('every ts-morph emitter prints the same bytes both ways (%s)', async (spec) => {
    const model = modelOf(fixtureSpec(spec));
    const fast = createProject();
    const parsed = createProject();
    for (const entry of EMITTERS) {
      if (entry.printer !== 'ts-morph') continue;
      const emit = await entry.load();
      const want = emit(model, withoutStructurePrinter(parsed));
      expect(want.length).toBeGreaterThan(0);
      expect(emit(model, fast)).toEqual(want);
    }
    // The fallback leaves no source file behind in its project.
    expect(parsed.getSourceFiles()).toEqual([]);
  });
});
