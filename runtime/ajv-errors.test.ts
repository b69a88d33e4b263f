/** The error helpers of the generated validators: the objects Ajv would make, located by their callers. */
import { describe, expect, it } from 'vitest';
import { createErrorHelpers, failWith, nestErrors } from './ajv-errors.js';
import { ajvMessage, toIssues, type RawValidationError } from './validation.js';

describe('ajv-errors', () => {
  const { fail, error } = createErrorHelpers([['type', { type: 'string' }], ['required', 'missingProperty'], ['uniqueItems']]);

  it('makes an error from its site: the keyword, constant params from the table, a varying one from the call', () => {
    const v: { errors?: readonly RawValidationError[] | null } = {};
    expect(fail(v, '/a', 0)).toBe(false);
    expect(v.errors).toEqual([{ instancePath: '/a', keyword: 'type', params: { type: 'string' } }]);
    expect(error('', 1, 'id')).toEqual({ instancePath: '', keyword: 'required', params: { missingProperty: 'id' } });
    expect(error('/l', 2, { i: 1, j: 0 })).toEqual({ instancePath: '/l', keyword: 'uniqueItems', params: { i: 1, j: 0 } });
    // Constant params are shared: frozen, so no caller can change another's.
    expect(Object.isFrozen(v.errors![0]!.params)).toBe(true);
  });

  it("locates a callee's errors from the caller's data, each level adding its own part", () => {
    const inner: { errors?: readonly RawValidationError[] | null } = {};
    const middle: { errors?: readonly RawValidationError[] | null } = {};
    const outer: { errors?: readonly RawValidationError[] | null } = {};
    fail(inner, '/session_id', 0);
    failWith(middle, inner, '/header');
    failWith(outer, middle, '/items/3');
    expect(outer.errors!.map((e) => e.instancePath)).toEqual(['/items/3/header/session_id']);
    const collected = nestErrors([error('', 2, { i: 1, j: 0 })], [error('/x', 0)], '/y');
    expect(collected.map((e) => e.instancePath)).toEqual(['', '/y/x']);
  });

  it('words an issue as Ajv does when the error has no message', () => {
    expect(ajvMessage('pattern', { pattern: '^a$' })).toBe('must match pattern "^a$"');
    expect(ajvMessage('maxLength', { limit: 3 })).toBe('must NOT have more than 3 characters');
    expect(ajvMessage('minimum', { comparison: '>=', limit: 1 })).toBe('must be >= 1');
    expect(ajvMessage('type', { type: ['string', 'null'] })).toBe('must be string,null');
    expect(toIssues([error('/a', 0)])).toEqual([{ path: '/a', message: 'must be string', keyword: 'type' }]);
  });
});
