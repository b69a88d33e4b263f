/**
 * The format stage (generator/formatter.ts): lines are indented by the brackets open before
 * them and nothing else changes; brackets inside strings, templates, comments and regular
 * expressions do not count.
 */
import { describe, expect, it } from 'vitest';
import { formatFiles, layout } from '../generator/formatter.js';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('layout', () => {
  it.each([
    {
      name: 'nested object literals, one level a line',
      given: lines('export const a = {', 'b: {', 'c: 1,', '},', 'd: [{', 'e: "x",', '}],', '};'),
      want: lines('export const a = {', '  b: {', '    c: 1,', '  },', '  d: [{', '    e: "x",', '  }],', '};'),
    },
    {
      name: 'two brackets opened on one line indent once, and close together',
      given: lines('f("x", {', 'a: 1,', '});'),
      want: lines('f("x", {', '  a: 1,', '});'),
    },
    {
      name: 'brackets inside strings, comments and regular expressions do not count',
      given: lines('const s = "{[(";', '// {', '/* ( */ const r = /[{(]/u;', 'if (x) {', 'y();', '}'),
      want: lines('const s = "{[(";', '// {', '/* ( */ const r = /[{(]/u;', 'if (x) {', '  y();', '}'),
    },
    {
      name: 'a template literal keeps its lines; its ${} nests',
      given: lines('function f() {', 'return `a {', '  b ${g({ c: 1 })}', '}`;', '}'),
      want: lines('function f() {', '  return `a {', '  b ${g({ c: 1 })}', '}`;', '}'),
    },
    {
      name: 'JSDoc lines align under the comment start; trailing spaces go',
      given: lines('interface I {', '/**', '     * doc {', '     */', 'a: string   ', '}'),
      want: lines('interface I {', '  /**', '   * doc {', '   */', '  a: string', '}'),
    },
    {
      name: 'division is not a regular expression',
      given: lines('const a = {', 'b: x / 2, c: (y) / 3,', '};'),
      want: lines('const a = {', '  b: x / 2, c: (y) / 3,', '};'),
    },
  ])('$name', ({ given, want }) => {
    expect(layout(given)).toBe(want);
    expect(layout(want)).toBe(want); // stable: laying out twice changes nothing
  });

  it('formats only the files flagged `format`, and drops the flag', () => {
    const out = formatFiles([
      { path: 'a.ts', content: 'const a = {\nb: 1,\n};\n', format: true },
      { path: 'b.md', content: '{\nb\n}\n' },
    ]);
    expect(out).toEqual([
      { path: 'a.ts', content: 'const a = {\n  b: 1,\n};\n' },
      { path: 'b.md', content: '{\nb\n}\n' },
    ]);
  });
});
