import { describe, expect, it } from 'vitest';
import { jsonEqual } from './json-equal.js';

describe('jsonEqual', () => {
  it.each([
    [1, 1],
    ['a', 'a'],
    [true, true],
    [null, null],
    [Number.NaN, Number.NaN],
    [[], []],
    [{}, {}],
    [[1, [2, { a: 3 }]], [1, [2, { a: 3 }]]],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }],
    [{ a: { b: { c: [null] } } }, { a: { b: { c: [null] } } }],
  ] as const)('%j equals %j', (a, b) => {
    expect(jsonEqual(a, b)).toBe(true);
    expect(jsonEqual(b, a)).toBe(true);
  });

  it.each([
    [1, 2],
    [1, '1'],
    [0, false],
    [null, 0],
    [null, {}],
    [[], {}],
    [[1, 2], [2, 1]],
    [[1], [1, 1]],
    [{ a: 1 }, { a: 1, b: 1 }],
    [{ a: undefined }, { b: undefined }],
    [{ a: [1] }, { a: { 0: 1 } }],
    [{ a: { b: 1 } }, { a: { b: 2 } }],
    [Number.NaN, 0],
  ] as const)('%j differs from %j', (a, b) => {
    expect(jsonEqual(a, b)).toBe(false);
    expect(jsonEqual(b, a)).toBe(false);
  });

  it('does not treat inherited properties as own', () => {
    const proto = { a: 1 };
    const inherited = Object.create(proto) as Record<string, unknown>;
    inherited.b = 1;
    expect(jsonEqual(inherited, { a: 1 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
  });

  it('compares parsed JSON regardless of key order', () => {
    expect(jsonEqual(JSON.parse('{"x":[1,{"y":"z","w":null}],"v":2}'), JSON.parse('{"v":2,"x":[1,{"w":null,"y":"z"}]}'))).toBe(true);
  });
});
