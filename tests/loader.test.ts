/**
 * Stage 1 (load): strict JSON, a content hash, and the mapping from a JSON pointer back to a line
 * and column that every finding uses.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePointer, pointerOf } from '../generator/diagnostics.js';
import { loadText } from '../generator/loader.js';
import { canonicalText } from './helpers.js';

const text = [
  '{', //                                           line 1
  '  "a": {', //                                     line 2
  '    "b": [10, 20,', //                            line 3
  '      { "c": true }],', //                        line 4
  '    "x/y": 1,', //                                line 5
  '    "t~n": 2,', //                                line 6
  '    "200": { "d": null },', //                    line 7
  '    "50%": "pct",', //                            line 8
  '    "": "empty"', //                              line 9
  '  },', //                                         line 10
  '  "z": "\u00e9\u{1F600}", "after": 0', //          line 11
  '}',
  '',
].join('\n');

describe('locate', () => {
  const spec = loadText('mini.json', text);

  it.each([
    ['', 1, 1],
    ['/a', 2, 3],
    ['/a/b', 3, 5],
    ['/a/b/0', 3, 11],
    ['/a/b/1', 3, 15],
    ['/a/b/2', 4, 7],
    ['/a/b/2/c', 4, 9],
    ['/a/x~1y', 5, 5],
    ['/a/t~0n', 6, 5],
    ['/a/200', 7, 5],
    ['/a/200/d', 7, 14],
    ['/a/50%', 8, 5],
    ['/a/', 9, 5],
    ['/z', 11, 3],
  ] as const)('%j is at %i:%i', (pointer, line, column) => {
    expect(spec.locate(pointer)).toEqual({ line, column });
  });

  it('counts columns in UTF-16 code units after astral characters on the same line', () => {
    // "z": "é😀" takes 3 + 1 + 4 code units for the value; "after" follows it.
    expect(spec.locate('/after')).toEqual({ line: 11, column: text.split('\n')[10]!.indexOf('"after"') + 1 });
  });

  it('falls back to the nearest existing parent', () => {
    expect(spec.locate('/a/missing')).toEqual({ line: 2, column: 3 });
    expect(spec.locate('/a/b/7')).toEqual({ line: 3, column: 5 });
    expect(spec.locate('/a/b/01')).toEqual({ line: 3, column: 5 }); // not an array index
    expect(spec.locate('/a/b/2/c/deeper')).toEqual({ line: 4, column: 9 });
    expect(spec.locate('/nope/deeper')).toEqual({ line: 1, column: 1 });
  });

  it('accepts the URI fragment form of a pointer', () => {
    expect(spec.locate('#/a/b/2')).toEqual({ line: 4, column: 7 });
  });

  it('finds every key of the canonical spec on the line it is written', () => {
    const canonical = loadText('spec.json', canonicalText);
    const lines = canonicalText.split('\n');
    for (const [name, def] of Object.entries(canonical.json.$defs as Record<string, unknown>)) {
      const at = canonical.locate(pointerOf('$defs', name));
      expect(at, name).toBeDefined();
      expect(lines[at!.line - 1]!.slice(at!.column - 1).startsWith(`"${name}":`), name).toBe(true);
      expect(def).toBeTypeOf('object');
    }
  });
});

describe('loadText', () => {
  it('hashes the exact bytes (sha256) and parses the JSON', () => {
    const spec = loadText('mini.json', text);
    expect(spec.hash).toBe(createHash('sha256').update(text).digest('hex'));
    expect(spec.json).toEqual(JSON.parse(text));
    expect(spec.file).toBe('mini.json');
    expect(spec.text).toBe(text);
  });

  it.each([
    { name: 'no comment', given: '{ "a": "// not a comment", "b": "/* nor this */" }' },
    { name: 'line and block comments (JSONC)', given: '// head\n{ "a": "// not a comment", /* x */ "b": "/* nor this */" // tail\n}' },
  ])('parses the value alike with or without comments: $name', ({ given }) => {
    expect(loadText('c.json', given).json).toEqual({ a: '// not a comment', b: '/* nor this */' });
  });

  it('a whitespace change changes the hash', () => {
    expect(loadText('a', '{}').hash).not.toBe(loadText('a', '{ }').hash);
  });
});

describe('parsePointer', () => {
  it.each([
    ['', []],
    ['#', []],
    ['/a/b', ['a', 'b']],
    ['/a~1b/c~0d', ['a/b', 'c~d']],
    ['/~01', ['~1']],
    ['/', ['']],
    ['/50%', ['50%']],
    ['/a%20b', ['a%20b']],
    ['#/a%20b', ['a b']],
    ['#/%zz', ['%zz']],
    ['#/$defs/Seq', ['$defs', 'Seq']],
  ] as const)('%j → %j', (pointer, tokens) => {
    expect(parsePointer(pointer)).toEqual(tokens);
  });

  it('inverts pointerOf', () => {
    const tokens = ['a/b', 'c~d', '0', '', 'x%y'];
    expect(parsePointer(pointerOf(...tokens))).toEqual(tokens);
  });
});
