/**
 * Model stage — fields (generator/model/fields.ts): the declared properties of an object schema
 * through $ref and allOf, a oneOf payload's branches, and the short type labels docs show.
 */
import { describe, expect, it } from 'vitest';
import { fieldsOf, firstSentence, typeLabel, variantsOf } from '../../generator/model/fields.js';
import type { Schema } from '../../generator/schema-walk.js';

const root: Schema = {
  $defs: {
    SessionId: { type: 'string', description: 'S1: the session id.' },
    Base: { type: 'object', required: ['a'], properties: { a: { type: 'integer', minimum: 1 } } },
  },
};

describe('fieldsOf', () => {
  it.each([
    {
      name: 'declared properties in order, required or not',
      given: { type: 'object', required: ['x'], properties: { x: { type: 'string' }, y: { enum: ['a', 'b'] } } },
      want: [
        { name: 'x', required: true, typeLabel: 'string' },
        { name: 'y', required: false, typeLabel: '"a" | "b"' },
      ],
    },
    {
      name: 'a $ref field: its type name, and the target description when the field has none',
      given: { type: 'object', properties: { session_id: { $ref: '#/$defs/SessionId' } } },
      want: [{ name: 'session_id', required: false, typeLabel: 'SessionId', typeName: 'SessionId', description: 'S1: the session id.' }],
    },
    {
      name: 'through allOf and $ref, the first declaration wins',
      given: { allOf: [{ $ref: '#/$defs/Base' }, { properties: { a: { type: 'string' }, b: { type: 'array', items: { type: 'number', maximum: 9 } } } }] },
      want: [
        { name: 'a', required: true, typeLabel: 'integer >= 1' },
        { name: 'b', required: false, typeLabel: 'number <= 9[]' },
      ],
    },
  ])('$name', ({ given, want }) => {
    const fields = fieldsOf(root, given, '/x').map(({ schema: _, ...f }) => f);
    expect(fields).toEqual(want);
  });

  it('keeps the schema as declared (a $ref as written), for the exports', () => {
    expect(fieldsOf(root, { properties: { s: { $ref: '#/$defs/SessionId' } } }, '/x')[0]!.schema).toEqual({ $ref: '#/$defs/SessionId' });
  });
});

describe('variantsOf', () => {
  it.each([
    { name: 'a titled branch', given: { oneOf: [{ title: 'Text', properties: { t: { type: 'string' } } }] }, want: [{ label: 'Text', fields: ['t'] }] },
    { name: 'a discriminating const field', given: { anyOf: [{ properties: { kind: { const: 'tool' }, tool: { type: 'string' } } }] }, want: [{ label: 'kind = "tool"', fields: ['kind', 'tool'] }] },
    { name: 'neither: its position', given: { oneOf: [{ properties: { a: {} } }, { properties: { b: {} } }] }, want: [{ label: 'variant 1', fields: ['a'] }, { label: 'variant 2', fields: ['b'] }] },
    { name: 'one object shape: no variants', given: { properties: { a: {} } }, want: [] },
  ])('$name', ({ given, want }) => {
    expect(variantsOf(root, given, '/p').map((v) => ({ label: v.label, fields: v.fields.map((f) => f.name) }))).toEqual(want);
  });
});

describe('typeLabel and firstSentence', () => {
  it.each([
    { given: { $ref: '#/$defs/Seq' }, want: 'Seq' },
    { given: { const: 'x' }, want: '"x"' },
    { given: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, want: 'integer >= 0' },
    { given: { type: ['string', 'null'] }, want: 'string | null' },
    { given: { properties: {} }, want: 'object' },
    { given: {}, want: 'any JSON' },
  ])('$want', ({ given, want }) => expect(typeLabel(given)).toBe(want));

  it.each([
    { given: 'One.  Two.', want: 'One.' },
    { given: 'Across\n  lines. Then more.', want: 'Across lines.' },
    { given: '', want: '' },
  ])('first sentence of $given', ({ given, want }) => expect(firstSentence(given)).toBe(want));
});
