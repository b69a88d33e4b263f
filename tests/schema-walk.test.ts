/**
 * walkSchemas (generator/schema-walk.ts): every subschema once, depth first, with its JSON
 * pointer escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`) and the property name it describes.
 */
import { describe, expect, it } from 'vitest';
import { escapePointerToken, pointerOf } from '../generator/diagnostics.js';
import { walkSchemas, type Schema } from '../generator/schema-walk.js';

function visits(root: Schema): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  walkSchemas(root, (_s, pointer, propertyName) => out.push([pointer, propertyName]));
  return out;
}

describe('walkSchemas', () => {
  it.each([
    {
      name: 'names with "/" and "~" are escaped; keywords and indexes are not',
      given: { $defs: { 'a/b': { properties: { 'x~y': { type: 'string' }, plain: { items: { anyOf: [{}, { not: {} }] } } } } } },
      want: [
        ['', undefined],
        [pointerOf('$defs', 'a/b'), undefined],
        [pointerOf('$defs', 'a/b', 'properties', 'x~y'), 'x~y'],
        [pointerOf('$defs', 'a/b', 'properties', 'plain'), 'plain'],
        [pointerOf('$defs', 'a/b', 'properties', 'plain', 'items'), undefined],
        [pointerOf('$defs', 'a/b', 'properties', 'plain', 'items', 'anyOf', 0), undefined],
        [pointerOf('$defs', 'a/b', 'properties', 'plain', 'items', 'anyOf', 1), undefined],
        [pointerOf('$defs', 'a/b', 'properties', 'plain', 'items', 'anyOf', 1, 'not'), undefined],
      ],
    },
    {
      name: 'every kind of place a subschema sits',
      given: { patternProperties: { '^a/': {} }, dependentSchemas: { d: {} }, prefixItems: [{}], if: {}, then: {}, else: {}, additionalProperties: {} },
      want: [
        ['', undefined],
        ['/patternProperties/^a~1', undefined],
        ['/dependentSchemas/d', undefined],
        ['/additionalProperties', undefined],
        ['/if', undefined],
        ['/then', undefined],
        ['/else', undefined],
        ['/prefixItems/0', undefined],
      ],
    },
  ] as const)('$name', ({ given, want }) => {
    expect(visits(given as Schema)).toEqual(want);
  });

  it.each([
    ['plain', 'plain'],
    ['a/b', 'a~1b'],
    ['a~b', 'a~0b'],
    ['~/', '~0~1'],
    [3, '3'],
  ] as const)('escapePointerToken(%j) is %j', (given, want) => expect(escapePointerToken(given)).toBe(want));
});
