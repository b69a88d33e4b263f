/**
 * The code builder (generator/escape.ts: `ts` and its helpers) and the printer that takes only
 * its output (generator/printer.ts): spec text reaches emitted TypeScript only as an escaped
 * literal, a checked identifier or escaped JSDoc, and an import is referred to only by the name
 * `use()` returned.
 */
import { describe, expect, it } from 'vitest';
import { ts, tsDoc, tsIdentifier, tsJoin, tsObject, tsObjectInline, tsString, tsTypeLiteral, type Code } from '../generator/escape.js';
import { createProject, createTsFile } from '../generator/printer.js';
import { fixtureSpec, modelOf } from './support/model.js';

/** Evaluates generated expression text as JavaScript. */
const evaluate = (code: string): unknown => new Function(`"use strict"; return (${code});`)();

describe('the builders', () => {
  it.each([
    { name: 'an object, one property a line, keys made safe', given: () => tsObject([['ui.render', tsString('x')], ['__proto__', ts`1`], ['plain', ts`2`]]), want: { 'ui.render': 'x', ['__proto__']: 1, plain: 2 } },
    { name: 'an inline object with shorthand', given: () => tsObjectInline([['a', ts`1`], ['b', ts`2`]]), want: { a: 1, b: 2 } },
    { name: 'joined code', given: () => ts`[${tsJoin([ts`1`, tsString('*/')], ts`, `)}]`, want: [1, '*/'] },
  ])('$name', ({ given, want }) => {
    const value = evaluate(given()) as object;
    expect(value).toEqual(want);
  });

  it('writes shorthand only where the value is the key', () => {
    const contract = tsIdentifier('contract');
    expect(tsObjectInline([['contract', contract], ['validators', ts`v2`]])).toBe('{ contract, validators: v2 }');
  });

  it.each([
    { name: 'a comment end in a description', given: 'A */ B', want: '/** A *\\/ B */' },
    { name: 'several lines', given: 'One.\nTwo.', want: '/**\n * One.\n * Two.\n */' },
  ])('tsDoc: $name', ({ given, want }) => expect(tsDoc(given)).toBe(want));

  it('a type literal: JSDoc escaped, keys quoted when they are not identifiers', () => {
    expect(tsTypeLiteral([{ name: 'a-b', type: ts`string`, doc: 'x */' }])).toBe('{\n/** x *\\/ */\nreadonly "a-b": string;\n}');
  });

  it('takes only Code: a raw string is a type error', () => {
    const raw: string = 'x; globalThis.pwned = 1';
    // @ts-expect-error spec text must go through an escaper first
    expect(ts`${raw}`).toBe(raw);
    // @ts-expect-error a value of an object literal is code too
    tsObject([['k', raw]]);
  });
});

describe('the printer', () => {
  const model = modelOf(fixtureSpec('chat-mini'));

  it('refuses an import whose name use() returned is never written', () => {
    const file = createTsFile(createProject(), model, 'x.ts', 'test');
    file.use('contract', './contract.js');
    file.typeAlias({ name: ts`X`, type: ts`number` });
    expect(() => file.done()).toThrow(/never uses the name use\(\) returned/);
  });

  it('aliases a clash, and refuses the original name written by hand', () => {
    const file = createTsFile(createProject(), model, 'x.ts', 'test');
    const a = file.use('Thing', './a.js', { type: true });
    const b = file.use('Thing', './b.js', { type: true });
    expect([a, b]).toEqual(['Thing', 'Thing2']);
    file.typeAlias({ name: ts`X`, type: ts`${b}` });
    file.typeAlias({ name: ts`Y`, type: ts`Thing` });
    void a;
    expect(() => file.done()).toThrow(/is imported as Thing2/);
  });

  it('escapes docs and checks names of every declaration', () => {
    const file = createTsFile(createProject(), model, 'x.ts', 'test');
    file.typeAlias({ name: ts`X`, type: ts`number`, docs: ['ends */ here'] });
    expect(file.done().content).toContain('ends *\\/ here');
    const other = createTsFile(createProject(), model, 'y.ts', 'test');
    expect(() => other.typeAlias({ name: 'not valid' as Code, type: ts`number` })).toThrow(/identifier/);
  });
});
