/**
 * The stages of the lean rewrite (generator/lean-ajv/) on small pieces of Ajv-shaped code: the
 * lexer, the names, the error sites. The whole rewrite is held to Ajv by
 * validators-differential.test.ts; these say what each stage does on its own.
 */
import { describe, expect, it } from 'vitest';
import { createErrorSites } from '../../generator/lean-ajv/error-sites.js';
import { createNames } from '../../generator/lean-ajv/names.js';
import { createTokenView } from '../../generator/lean-ajv/token-view.js';
import { K, KIND_NAMES, tokenize } from '../../generator/lean-ajv/tokens.js';

const viewOf = (code: string) => {
  const tokens = tokenize(code);
  if (!tokens) throw new Error('not tokenized');
  return { view: createTokenView(code, tokens), tokens };
};

describe('lean-ajv tokens', () => {
  it.each([
    { name: 'a regular expression after `(`, a division after a name', given: 'f(/a\\/b[/]/u, x / 2)', want: ['name', '(', 'regexp', ',', 'name', '/', 'number', ')'] },
    { name: 'keywords by their own text, comments skipped', given: 'const x = 1; // note\nreturn false;', want: ['const', 'name', '=', 'number', ';', 'return', 'false', ';'] },
    { name: 'the longest punctuator first', given: 'a !== b', want: ['name', '!==', 'name'] },
  ])('$name', ({ given, want }) => {
    expect([...(tokenize(given)?.kinds ?? [])].map((kind) => KIND_NAMES[kind])).toEqual(want);
  });

  it('refuses what Ajv does not write: a template literal, a `$` name, an unterminated string', () => {
    for (const code of ['const x = `a`;', 'const $f = 1;', 'const s = "a\n";']) expect(tokenize(code)).toBeUndefined();
  });

  it('matches brackets, and refuses unbalanced ones', () => {
    const { view } = viewOf('f(a,[b,{c:1}],d)');
    expect(view.closer[1]).toBe(view.n - 1);
    expect(view.parts(1).map(([from, to]) => view.flat(from, to))).toEqual(['a', '[b,{c:1}]', 'd']);
    expect(view.spells(0, view.n, 'f(a,[b,{c:1}],d)')).toBe(true);
    for (const code of ['f(a]', 'f(a', 'a)', '{[}]']) expect(tokenize(code)).toBeUndefined();
  });

  it('gives every name one id, keywords included, and reads strings with escapes and quotes of the other kind', () => {
    const code = 'const a = "x\\"y", b = \'it"s\'; if (a) return a.b;';
    const { view, tokens } = viewOf(code);
    expect([...tokens.kinds].map((kind) => KIND_NAMES[kind])).toEqual(['const', 'name', '=', 'string', ',', 'name', '=', 'string', ';', 'if', '(', 'name', ')', 'return', 'name', '.', 'name', ';']);
    expect(view.txt(3)).toBe('"x\\"y"');
    expect(view.txt(7)).toBe(`'it"s'`);
    const a = view.idOf('a');
    expect([1, 11, 14].map((i) => tokens.ids[i])).toEqual([a, a, a]);
    expect(tokens.names[tokens.ids[0]!]).toBe('const');
    expect(view.is(16, K.Identifier, 'b')).toBe(true);
    expect(view.idOf('nothing')).toBe(-1);
    // Patterns: compared token by token, whitespace aside, names by id, literals by text.
    expect(view.matches(9, view.pattern('if(a) return'))).toBe(true);
    expect(view.matches(0, view.pattern('const a="x\\"y"'))).toBe(true);
    expect(view.matches(0, view.pattern('const a="x"'))).toBe(false);
    expect(view.matches(0, view.pattern('const nothing'))).toBe(false);
    expect(view.matches(14, view.pattern('a.b; c'))).toBe(false);
    // A newline in a string: refused, unless a backslash escapes it; an escape sequence `\n` is no newline.
    expect(tokenize(String.raw`"a\nb"`)).toBeDefined();
    expect(tokenize('"a\nb"')).toBeUndefined();
    expect(tokenize('"a\\\nb"')).toBeDefined();
    expect(tokenize('"\\"\nb"')).toBeUndefined();
  });
});

describe('lean-ajv names', () => {
  it('shortens the families whose short form is free, and inlines a data variable read once', () => {
    const code = 'function validate3(data){let data0 = data.a;if(typeof data0 !== "string"){return false;}const key1 = 1;}';
    const { view, tokens } = viewOf(code);
    const names = createNames(view, tokens.shortNames);
    expect(names.ren('validate3')).toBe('v3');
    expect(names.ren('data')).toBe('d');
    expect(names.ren('key1')).toBe('k1');
    // A name of the short form taken already (`v2` in the code): that family keeps its long names, the others do not.
    const taken = createNames(view, new Set(['v2']));
    expect([taken.ren('validate3'), taken.ren('data')]).toEqual(['validate3', 'd']);
    const read = [...tokens.kinds].findIndex((_, i) => i > 10 && view.txt(i) === 'data0');
    expect(names.nameAt(read)).toBe('d.a');
    expect(names.inlinedDeclarations.size).toBe(1);
  });
});

describe('lean-ajv error sites', () => {
  it('makes an error literal the helper arguments: relative path, table entry, varying value', () => {
    const code =
      'const schema1 = {"enum":["a","b"]};\n' +
      'function validate0(data, {instancePath=""}={}){' +
      'validate0.errors = [{instancePath:instancePath+"/kind",schemaPath:"#/enum",keyword:"enum",params:{allowedValues: schema1.enum},message:"must be equal to one of the allowed values"}];' +
      'validate0.errors = [{instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: missing0}}];' +
      'validate0.errors = [{instancePath:instancePath+"/kind",schemaPath:"#/enum",keyword:"enum",params:{allowedValues: schema1.enum}}];}';
    const { view, tokens } = viewOf(code);
    const sites = createErrorSites(view, createNames(view, tokens.shortNames));
    const literals = [...tokens.kinds].flatMap((k, i) => (k === K.OpenBraceToken && view.is(i + 1, K.Identifier, 'instancePath') && view.is(i - 1, K.OpenBracketToken) ? [i] : []));
    expect(literals.map((open) => sites.args(open))).toEqual(['"/kind",0', '"",1,m0', '"/kind",0']);
    expect(sites.table).toEqual(['["enum",{allowedValues:["a","b"]}]', '["required","missingProperty"]']);
    expect(sites.count()).toBe(3);
    // The schema constant is read by error literals only: once nothing else is kept, it goes.
    sites.countKept((i) => i < 10);
    expect(sites.unusedSchemaConstants()).toHaveLength(1);
  });

  it('makes the same literal the same arguments, unless it reads a variable inlined in one place and not in another', () => {
    const literal = '[{instancePath:instancePath+"/a",schemaPath:"#/x",keyword:"x",params:{value: data1}}]';
    // data1 is read once in the first function (inlined: `d.a`), twice in the second (kept: `d1`).
    const code =
      `function validate0(data){let data1 = data.a;validate0.errors = ${literal};validate0.errors = [{instancePath,schemaPath:"#/y",keyword:"y",params:{}}];}` +
      `function validate2(data){let data1 = data.b;f(data1);validate2.errors = ${literal};validate2.errors = [{instancePath,schemaPath:"#/y",keyword:"y",params:{}}];}`;
    const { view, tokens } = viewOf(code);
    const sites = createErrorSites(view, createNames(view, tokens.shortNames));
    const literals = [...tokens.kinds].flatMap((k, i) => (k === K.OpenBraceToken && view.is(i + 1, K.Identifier, 'instancePath') && view.is(i - 1, K.OpenBracketToken) ? [i] : []));
    expect(literals.map((open) => sites.args(open))).toEqual(['"/a",0,d.a', '"",1', '"/a",0,d1', '"",1']);
    expect(sites.count()).toBe(4);
  });
});
