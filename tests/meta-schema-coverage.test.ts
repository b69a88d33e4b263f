/**
 * The build's Ajv does not check the spec's defs against the 2020-12 meta-schema once the
 * checker's vocabulary meta-schema has passed them (generator/compiled-schemas.ts
 * `metaSchemaChecked`): that check must reject every def Ajv's own would. Specs are untrusted
 * (G2), so this is held on hostile defs, named and generated: whatever Ajv's meta-schema check
 * refuses, the vocabulary check refuses too, at a pointer inside that def, and the build stops.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check } from '../generator/checker.js';
import { compiledSchemas } from '../generator/compiled-schemas.js';
import { hasErrors } from '../generator/diagnostics.js';
import { loadText } from '../generator/loader.js';
import { vocabularyValidator } from '../generator/vocabulary-validator.js';
import { fixtureSpec } from './support/model.js';

const ID = 'https://contractgen.invalid/meta-coverage.schema.json';

/** Does Ajv, as the build configures it, refuse these defs in its own meta-schema check? */
function ajvRefuses(defs: Record<string, unknown>): boolean {
  const hash = createHash('sha256').update(JSON.stringify(defs)).digest('hex');
  try {
    compiledSchemas(hash, ID, defs);
    return false;
  } catch (err) {
    return /^schema is invalid/.test((err as Error).message);
  }
}

/** The vocabulary check's errors inside `$defs/Bad`, for a spec whose only extra def is `bad`. */
function vocabularyErrorsInside(bad: unknown): string[] {
  const spec = { ...fixtureSpec('chat-mini') };
  spec.$defs = { ...spec.$defs, Bad: bad };
  const validate = vocabularyValidator();
  if (validate(spec)) return [];
  return (validate.errors ?? []).map((e) => e.instancePath).filter((p) => p === '/$defs/Bad' || p.startsWith('/$defs/Bad/'));
}

const HOSTILE: readonly [string, unknown][] = [
  ['a type that is a number', { type: 5 }],
  ['a type that names no type', { type: 'strin' }],
  ['properties as an array', { type: 'object', properties: [] }],
  ['required as a string', { required: 'id' }],
  ['required with a number', { required: [1] }],
  ['required with a repeated name', { required: ['a', 'a'] }],
  ['a minimum that is a string', { minimum: '0' }],
  ['a negative maxLength', { maxLength: -1 }],
  ['a fractional minItems', { minItems: 1.5 }],
  ['a pattern that is a number', { pattern: 7 }],
  ['enum as a string', { enum: 'a' }],
  ['items as a number', { items: 5 }],
  ['prefixItems as an object', { prefixItems: {} }],
  ['additionalProperties as a string', { additionalProperties: 'no' }],
  ['a $ref that is a number', { $ref: 5 }],
  ['an empty anyOf', { anyOf: [] }],
  ['oneOf as an object', { oneOf: { type: 'string' } }],
  ['a multipleOf of zero', { multipleOf: 0 }],
  ['uniqueItems as a string', { uniqueItems: 'yes' }],
  ['dependentRequired with a string', { dependentRequired: { a: 'b' } }],
  ['propertyNames as a number', { propertyNames: 5 }],
  ['if as a string', { if: 'x' }],
  ['a schema that is a string', 'string'],
  ['a schema that is an array', [{ type: 'string' }]],
  ['deep in properties and items', { type: 'object', properties: { a: { type: 'array', items: { properties: { b: { type: 7 } } } } } }],
  ['deep in an anyOf branch', { anyOf: [{ type: 'string' }, { not: { maximum: 'x' } }] }],
  ['in a nested $defs', { $defs: { inner: { type: 1 } } }],
  ['in patternProperties', { patternProperties: { '^a': { minLength: 'one' } } }],
  ['in dependentSchemas', { dependentSchemas: { a: { required: 3 } } }],
  ['in contains', { type: 'array', contains: { minimum: null } }],
  ['in unevaluatedProperties', { unevaluatedProperties: { enum: {} } }],
];

describe('the vocabulary check covers Ajv meta-schema check of the defs', () => {
  it.each(HOSTILE)('%s: Ajv refuses it, so do the vocabulary check and the checker', (_name, bad) => {
    expect(ajvRefuses({ Bad: bad })).toBe(true);
    expect(vocabularyErrorsInside(bad)).not.toEqual([]);
    const spec = fixtureSpec('chat-mini');
    spec.$defs.Bad = bad;
    const findings = check(loadText('spec.json', JSON.stringify(spec, null, 2)));
    expect(hasErrors(findings)).toBe(true);
    expect(findings.some((f) => f.severity === 'error' && f.code === 'vocabulary' && f.pointer.startsWith('/$defs/Bad'))).toBe(true);
  });

  it('on generated schemas: whatever Ajv refuses, the vocabulary check refuses inside that def', () => {
    const anyValue = fc.jsonValue({ maxDepth: 2 });
    const { schema } = fc.letrec((tie) => ({
      schema: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.boolean(),
        anyValue,
        fc.dictionary(
          fc.constantFrom('type', 'properties', 'required', 'items', 'prefixItems', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else', 'enum', 'const', 'minimum', 'maxLength', 'pattern', 'additionalProperties', 'patternProperties', '$defs', '$ref', 'minItems', 'uniqueItems', 'dependentRequired', 'propertyNames', 'contains', 'format', 'multipleOf', 'description', 'examples'),
          fc.oneof(
            tie('schema'),
            fc.array(tie('schema'), { maxLength: 3 }),
            fc.dictionary(fc.constantFrom('a', 'b', 'id'), tie('schema'), { maxKeys: 2 }),
            fc.constantFrom('string', 'object', 'integer', 'strin', '#/$defs/Bad', '^a', -1, 0, 1.5, 3),
            anyValue,
          ),
          { maxKeys: 4 },
        ),
      ),
    }));
    let refused = 0;
    fc.assert(
      fc.property(schema, (bad) => {
        if (!ajvRefuses({ Bad: bad })) return;
        refused++;
        expect(vocabularyErrorsInside(bad)).not.toEqual([]);
      }),
      { numRuns: 400, seed: 18 },
    );
    // The generator must reach the case that matters.
    expect(refused).toBeGreaterThan(50);
  });
});
