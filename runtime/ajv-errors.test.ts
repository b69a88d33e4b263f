/** The error helpers of the generated validators: the objects Ajv would make, located by their callers. */
import { describe, expect, it } from 'vitest';
import { createErrorHelpers, exported, failCollected, failWith, nestErrors } from './ajv-errors.js';
import { ajvMessage, toIssues, type RawValidationError } from './validation.js';

describe('ajv-errors', () => {
  const { fail, error } = createErrorHelpers([['type', { type: 'string' }], ['required', 'missingProperty'], ['uniqueItems']]);

  it('makes an error from its site: the keyword, constant params from the table, a varying one from the call', () => {
    const v = exported((data) => data === 'ok' || fail('/a', 0));
    expect(v('no')).toBe(false);
    expect(v.errors).toEqual([{ instancePath: '/a', keyword: 'type', params: { type: 'string' } }]);
    expect(error('', 1, 'id')).toEqual({ instancePath: '', keyword: 'required', params: { missingProperty: 'id' } });
    expect(error('/l', 2, { i: 1, j: 0 })).toEqual({ instancePath: '/l', keyword: 'uniqueItems', params: { i: 1, j: 0 } });
    // Constant params are shared: frozen, so no caller can change another's.
    expect(Object.isFrozen(v.errors![0]!.params)).toBe(true);
  });

  it('gives an exported validator the errors of its last call, and null when it passed, as Ajv does', () => {
    const v = exported((data) => data === 'ok' || fail('', 1, 'id'));
    const other = exported(() => fail('/b', 0));
    expect(v('no')).toBe(false);
    const first = v.errors;
    expect(other('x')).toBe(false);
    // Another validator's failure does not change this one's errors.
    expect(v.errors).toBe(first);
    expect(v('ok')).toBe(true);
    expect(v.errors).toBeNull();
  });

  it("locates a callee's errors from the caller's data, each level adding its own part", () => {
    const inner = (data: unknown): boolean => data === 'ok' || fail('/session_id', 0);
    const middle = (data: unknown): boolean => inner(data) || failWith('/header');
    const outer = exported((data) => middle(data) || failWith('/items/3'));
    expect(outer('no')).toBe(false);
    expect(outer.errors!.map((e) => e.instancePath)).toEqual(['/items/3/header/session_id']);
    // A composite rule collects errors, its callees' located from its data, and fails with them.
    const collecting = exported((data) => {
      let collected: RawValidationError[] | null = [error('', 2, { i: 1, j: 0 })];
      if (!inner(data)) collected = nestErrors(collected, '/y');
      if (!inner(data)) collected = nestErrors(collected, '');
      return failCollected(collected);
    });
    expect(collecting('no')).toBe(false);
    expect(collecting.errors!.map((e) => e.instancePath)).toEqual(['', '/y/session_id', '/session_id']);
  });

  it('words an issue as Ajv does when the error has no message', () => {
    expect(ajvMessage('pattern', { pattern: '^a$' })).toBe('must match pattern "^a$"');
    expect(ajvMessage('maxLength', { limit: 3 })).toBe('must NOT have more than 3 characters');
    expect(ajvMessage('minimum', { comparison: '>=', limit: 1 })).toBe('must be >= 1');
    expect(ajvMessage('type', { type: ['string', 'null'] })).toBe('must be string,null');
    expect(toIssues([error('/a', 0)])).toEqual([{ path: '/a', message: 'must be string', keyword: 'type' }]);
  });
});
