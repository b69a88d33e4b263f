import { describe, expect, it } from 'vitest';
import { createDispatcher, createValidator, describeIssues, toIssues, type RawValidationError, type RawValidator } from './validation.js';

/** A fake Ajv standalone function: fails with `errors` when `pass` says so. */
function fakeRaw(pass: (v: unknown) => boolean, errors: RawValidationError[]): RawValidator {
  const fn = ((value: unknown) => {
    const ok = pass(value);
    fn.errors = ok ? null : errors;
    return ok;
  }) as RawValidator;
  return fn;
}

describe('toIssues', () => {
  it('puts the missing property into the path of a required error', () => {
    expect(toIssues([{ instancePath: '/header', keyword: 'required', params: { missingProperty: 'seq' }, message: "must have required property 'seq'" }])).toEqual([
      { path: '/header/seq', message: 'is required', keyword: 'required' },
    ]);
  });

  it('puts the extra property into the path of an additionalProperties error', () => {
    expect(toIssues([{ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'extra' } }])).toEqual([
      { path: '/extra', message: 'is not allowed here', keyword: 'additionalProperties' },
    ]);
  });

  it('escapes ~ and / in property names (RFC 6901)', () => {
    const [issue] = toIssues([{ instancePath: '/a', keyword: 'required', params: { missingProperty: 'x/y~z' } }]);
    expect(issue!.path).toBe('/a/x~1y~0z');
  });

  it('lists the allowed values of enum and const', () => {
    expect(toIssues([{ instancePath: '/payload/action', keyword: 'enum', params: { allowedValues: ['click', 'submit', 1, null] } }])[0]).toEqual({
      path: '/payload/action',
      message: 'must be one of "click", "submit", 1, null',
      keyword: 'enum',
    });
    expect(toIssues([{ instancePath: '/type', keyword: 'const', params: { allowedValue: 'ui.render' } }])[0]!.message).toBe('must be "ui.render"');
  });

  it("keeps Ajv's message for other keywords, and words one as Ajv does when there is none (generated validators leave it out)", () => {
    expect(toIssues([{ instancePath: '/seq', keyword: 'minimum', params: { limit: 1 }, message: 'must be >= 1' }])[0]).toEqual({ path: '/seq', message: 'must be >= 1', keyword: 'minimum' });
    expect(toIssues([{ instancePath: '/x', keyword: 'multipleOf', params: { multipleOf: 3 } }])[0]).toEqual({ path: '/x', message: 'must be multiple of 3', keyword: 'multipleOf' });
    expect(toIssues([{ instancePath: '/x', keyword: 'custom', params: {} }])[0]).toEqual({ path: '/x', message: 'must pass "custom" keyword validation', keyword: 'custom' });
  });

  it('returns no issues for null or undefined', () => {
    expect(toIssues(null)).toEqual([]);
    expect(toIssues(undefined)).toEqual([]);
  });
});

describe('describeIssues', () => {
  it('prefixes the type, writes / for the root and joins with "; "', () => {
    expect(
      describeIssues({
        type: 'ui.action',
        issues: [
          { path: '/payload/view_id', message: 'must be string', keyword: 'type' },
          { path: '', message: 'must be object', keyword: 'type' },
        ],
      }),
    ).toBe('ui.action: /payload/view_id must be string; ui.action: / must be object');
  });

  it('has no prefix without a type', () => {
    expect(describeIssues({ issues: [{ path: '/limit', message: 'must be >= 1', keyword: 'minimum' }] })).toBe('/limit must be >= 1');
  });
});

describe('createValidator', () => {
  const raw = fakeRaw((v) => v === 'good', [{ instancePath: '', keyword: 'const', params: { allowedValue: 'good' } }]);
  const validate = createValidator<'good'>('Good', raw);

  it('returns the value on success and issues on failure', () => {
    expect(validate('good')).toEqual({ ok: true, value: 'good' });
    expect(validate('bad')).toMatchObject({ ok: false, type: 'Good', issues: [{ path: '', message: 'must be "good"', keyword: 'const' }] });
    expect(validate('bad').ok).toBe(false);
  });

  it('words the issues of a failure once, when they are first read, and lists them in JSON', () => {
    const errors = [{ instancePath: '/x', keyword: 'enum', params: { allowedValues: ['a', 'b'] } }];
    let calls = 0;
    const counting = Object.assign((v: unknown) => (calls++, (counting.errors = v === 'good' ? null : errors), v === 'good'), { errors: null as RawValidator['errors'] });
    const result = createValidator('Counted', counting)('bad');
    if (result.ok) throw new Error('expected a failure');
    // The next failure (Ajv assigns a new errors array per call) must not change this result.
    counting.errors = null;
    createValidator('Counted', fakeRaw(() => false, [{ instancePath: '/other', keyword: 'const', params: { allowedValue: 1 } }]))('x');
    const first = result.issues;
    expect(first).toEqual([{ path: '/x', message: 'must be one of "a", "b"', keyword: 'enum' }]);
    expect(result.issues).toBe(first);
    expect(calls).toBe(1);
    expect(JSON.parse(JSON.stringify(result))).toEqual({ ok: false, type: 'Counted', issues: [{ path: '/x', message: 'must be one of "a", "b"', keyword: 'enum' }] });
  });

  it('offers a type guard and names its subject', () => {
    expect(validate.is('good')).toBe(true);
    expect(validate.is('bad')).toBe(false);
    expect(validate.subject).toBe('Good');
  });
});

describe('createDispatcher', () => {
  const a = createValidator<{ type: 'a' }>('a', fakeRaw((v) => (v as { ok?: boolean }).ok === true, [{ instancePath: '/ok', keyword: 'const', params: { allowedValue: true } }]));
  const b = createValidator<{ type: 'b' }>('b', fakeRaw(() => true, []));
  const dispatch = createDispatcher<{ type: 'a' } | { type: 'b' }>('test', { b, a });

  it('lists its types sorted', () => {
    expect(dispatch.types).toEqual(['a', 'b']);
    expect(dispatch.subject).toBe('test');
  });

  it('delegates to the validator of the type', () => {
    expect(dispatch({ type: 'a', ok: true })).toMatchObject({ ok: true });
    expect(dispatch({ type: 'a', ok: false })).toMatchObject({ ok: false, type: 'a', issues: [{ path: '/ok', message: 'must be true', keyword: 'const' }] });
    expect(dispatch({ type: 'b' })).toMatchObject({ ok: true });
    expect(dispatch.is({ type: 'b' })).toBe(true);
  });

  it.each([null, 'a', 3, [{ type: 'a' }], undefined])('rejects %j as not a message', (value) => {
    expect(dispatch(value)).toEqual({ ok: false, issues: [{ path: '', message: 'must be a JSON object with a "type"', keyword: 'not-a-message' }] });
    expect(dispatch.is(value)).toBe(false);
  });

  it('rejects a missing or non-string type', () => {
    for (const value of [{}, { type: 1 }, { type: null }]) {
      expect(dispatch(value)).toEqual({ ok: false, issues: [{ path: '/type', message: 'must be a string naming the message type', keyword: 'not-a-message' }] });
    }
  });

  it.each(['c', 'toString', '__proto__', 'constructor', 'hasOwnProperty'])('reports %s as an unknown type, not a crash', (type) => {
    expect(dispatch({ type })).toEqual({ ok: false, type, issues: [{ path: '/type', message: `"${type}" is not a test message (expected one of a, b)`, keyword: 'unknown-type' }] });
  });
});
