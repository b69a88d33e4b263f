/**
 * G1: the escaper of each output context (generator/escape.ts), table-driven, and the Handlebars
 * pass that picks the escaper from where a `{{…}}` stands (generator/template-escape.ts).
 */
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { templateAst, COMPILE_OPTIONS } from '../generator/doc-templates.js';
import { registerDocHelpers } from '../generator/doc-helpers.js';
import {
  htmlComment,
  htmlText,
  jsDoc,
  lineComment,
  markdownCell,
  markdownCode,
  markdownFence,
  markdownLineStart,
  markdownText,
  markdownUrl,
  mermaidText,
  ts,
  tsIdentifier,
  tsLiteral,
  tsPropertyKey,
  tsString,
} from '../generator/escape.js';
import { guard } from '../generator/printer.js';
import { TemplateError } from '../generator/template-escape.js';

type Row = readonly [name: string, { readonly given: unknown; readonly want: string }];

const table = (escape: (v: never) => string, rows: readonly Row[]) =>
  it.each(rows)('%s', (_name, { given, want }) => expect(escape(given as never)).toBe(want));

describe('TypeScript contexts', () => {
  describe('tsString', () =>
    table(tsString, [
      ['quotes and backslashes', { given: 'a"b\\c', want: '"a\\"b\\\\c"' }],
      ['line terminators, U+2028 and U+2029', { given: 'a\nb\u2028c\u2029', want: '"a\\nb\\u2028c\\u2029"' }],
      ['a lone surrogate', { given: '\ud800', want: '"\\ud800"' }],
      ['a comment opener stays inside the string', { given: '*/ x /*', want: '"*/ x /*"' }],
    ]));
  describe('tsPropertyKey', () =>
    table(tsPropertyKey, [
      ['an identifier stays bare', { given: 'view_id', want: 'view_id' }],
      ['anything else is quoted', { given: 'a-b', want: '"a-b"' }],
      ['__proto__ is computed, so it stays an own property', { given: '__proto__', want: '["__proto__"]' }],
    ]));
  describe('tsLiteral', () =>
    table(tsLiteral, [
      ['nested values', { given: { a: [1, 'x"'], 'b c': null }, want: '{ a: [1, "x\\""], "b c": null }' }],
      ['__proto__ as a key', { given: JSON.parse('{"__proto__":{"x":1}}'), want: '{ ["__proto__"]: { x: 1 } }' }],
    ]));
  it('tsLiteral refuses what is not JSON', () => {
    expect(() => tsLiteral(Infinity)).toThrow(/finite/);
    expect(() => tsLiteral(undefined)).toThrow(/JSON/);
  });
  it('tsIdentifier checks and never escapes', () => {
    expect(tsIdentifier('UiRender')).toBe('UiRender');
    for (const bad of ['a b', '1a', 'constructor', '__proto__', 'delete', 'x*/y', '']) expect(() => tsIdentifier(bad)).toThrow(/cannot be used as an identifier/);
  });
  it('ts`…` splices only Code and numbers', () => {
    const name = tsIdentifier('chatSend');
    expect(ts`send(${tsString('a"b')}, ${name}, ${3})`).toBe('send("a\\"b", chatSend, 3)');
    // @ts-expect-error a plain string is not Code: spec text cannot be spliced raw
    expect(ts`${'x'}`).toBe('x');
  });
  describe('jsDoc', () =>
    table(jsDoc, [
      ['a comment end cannot close the comment', { given: 'x */ } globalThis.__pwned = 1; /* y', want: 'x *\\/ } globalThis.__pwned = 1; /* y' }],
      ['every one of them', { given: '**/*/', want: '**\\/*\\/' }],
      ['CRLF becomes LF', { given: 'a\r\nb\rc', want: 'a\nb\nc' }],
    ]));
  describe('lineComment', () =>
    table(lineComment, [['no line terminator survives', { given: 'a\nb\r\nc\u2028d', want: 'a b c d' }]]));
});

describe('HTML contexts', () => {
  describe('htmlText', () => table(htmlText, [['markup characters', { given: `<img src=x onerror="a('b')">&`, want: '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;' }]]));
  describe('htmlComment', () =>
    table(htmlComment, [
      ['a comment end', { given: 'x --> <script>', want: 'x - -> <script>' }],
      ['a trailing dash', { given: 'x-', want: 'x- ' }],
      ['a leading >', { given: '>x', want: ' >x' }],
    ]));
});

describe('Markdown contexts', () => {
  describe('markdownText', () =>
    table(markdownText, [
      ['plain prose stays as written', { given: 'A value (>= 0), a_b, *emphasis*.', want: 'A value (>= 0), a_b, *emphasis*.' }],
      ['a tag is text', { given: '<script>alert(1)</script>', want: '&lt;script>alert(1)&lt;/script>' }],
      ['an image with onerror is text', { given: '<img src=x onerror=alert(1)>', want: '&lt;img src=x onerror=alert(1)>' }],
      ['comments and declarations', { given: '<!-- x --> <!DOCTYPE> <?php', want: '&lt;!-- x --> &lt;!DOCTYPE> &lt;?php' }],
      ['an entity stays literal', { given: '&lt;script&gt;', want: '&amp;lt;script&amp;gt;' }],
      ['balanced code spans are kept, their content inert', { given: 'use `<T>` and ``a`b``', want: 'use `<T>` and ``a`b``' }],
      ['an unbalanced backtick cannot pair with the template’s next code span', { given: 'a ` b', want: 'a \\` b' }],
      ['a trailing backslash cannot escape the template’s next character', { given: 'a\\', want: 'a\\\\' }],
      ['line breaks cannot start a new block', { given: 'a\n\n# b\n<script>', want: 'a # b &lt;script>' }],
    ]));
  describe('markdownLineStart', () =>
    table(markdownLineStart, [
      ['a heading', { given: '# x', want: '\\# x' }],
      ['a list or fence marker', { given: '~~~', want: '\\~~~' }],
      ['an ordered list', { given: '1. x', want: '1\\. x' }],
      ['a quote', { given: '> x', want: '\\> x' }],
      ['a version mid-text is left alone', { given: 'v 1.2.0', want: 'v 1.2.0' }],
    ]));
  describe('markdownCell', () => table(markdownCell, [['pipes end no cell', { given: 'a | b `c|d`', want: 'a \\| b `c\\|d`' }]]));
  describe('markdownCode', () =>
    table(markdownCode, [
      ['plain', { given: 'ui.render', want: '`ui.render`' }],
      ['backticks inside', { given: 'a`b', want: '``a`b``' }],
      ['starting with a backtick', { given: '`x', want: '`` `x ``' }],
      ['one line', { given: 'a\n\nb', want: '`a b`' }],
    ]));
  it('markdownFence: the fence outlasts every backtick run of the body', () => {
    expect(markdownFence('json', '"```"')).toBe('````json\n"```"\n````');
    expect(() => markdownFence('json\n<script>', '')).toThrow();
  });
  describe('markdownUrl', () => table(markdownUrl, [['spaces and parentheses', { given: '../a b)(c', want: '../a%20b%29%28c' }]]));
});

describe('Mermaid context', () => {
  describe('mermaidText', () =>
    table(mermaidText, [
      ['plain labels stay', { given: 'ui.render with seq 1', want: 'ui.render with seq 1' }],
      ['statement ends, entities, comments, HTML', { given: 'a; b #x %% <br>', want: 'a#59; b #35;x #37;#37; #60;br#62;' }],
      ['a new line cannot start a statement', { given: 'a\nend', want: 'a end' }],
    ]));
});

describe('the printer guard (every ts-morph structure)', () => {
  it('escapes every docs entry, however deep', () => {
    const out = guard({ name: 'X', docs: ['a */ b'], methods: [{ name: 'm', docs: [{ description: '*/' }], parameters: [{ name: 'p' }] }] });
    expect(out).toEqual({ name: 'X', docs: ['a *\\/ b'], methods: [{ name: 'm', docs: [{ description: '*\\/' }], parameters: [{ name: 'p' }] }] });
  });
  it('refuses a name that is neither an identifier nor a string literal, and docs it cannot read', () => {
    expect(() => guard({ name: 'a; globalThis.x = 1' })).toThrow(/identifier/);
    expect(guard({ name: '"ui.render"' })).toEqual({ name: '"ui.render"' });
    expect(() => guard({ name: '"a" + b' })).toThrow(/identifier/);
    expect(() => guard({ docs: [() => undefined] })).toThrow(/docs must be text/);
  });
});

describe('docs templates: every {{…}} is escaped for where it stands', () => {
  const render = (source: string, view: object): string => {
    const hb = Handlebars.create();
    registerDocHelpers(hb);
    return hb.compile(templateAst(hb, 't.hbs', source), COMPILE_OPTIONS)(view);
  };
  const evil = '<script>x</script> | a;b';
  const rows: readonly Row[] = [
    ['prose', { given: 'see {{v}} here', want: 'see &lt;script>x&lt;/script> | a;b here' }],
    ['line start', { given: '{{v}}', want: '&lt;script>x&lt;/script> | a;b' }],
    ['table row', { given: '| {{v}} | {{code v}} |', want: '| &lt;script>x&lt;/script> \\| a;b | `<script>x</script> \\| a;b` |' }],
    ['mermaid', { given: '```mermaid\nsequenceDiagram\n    C->>S: {{v}}\n```', want: '```mermaid\nsequenceDiagram\n    C->>S: #60;script#62;x#60;/script#62; | a#59;b\n```' }],
    ['link destination', { given: '[x]({{v}})', want: '[x](%3Cscript%3Ex%3C/script%3E%20%7C%20a;b)' }],
    ['code helper in prose', { given: 'a {{code (concat "GET " v)}}', want: 'a `GET <script>x</script> | a;b`' }],
  ];
  it.each(rows)('%s', (_name, { given, want }) => expect(render(given as string, { v: evil })).toBe(want));

  it.each([
    ['triple-stash', '{{{v}}}', /unescaped output/],
    ['ampersand', '{{& v}}', /unescaped output/],
    ['inside a code span', '`{{v}}`', /inside a code span/],
    ['inside a json fence', '```json\n{{v}}\n```', /inside a ```json fence/],
    ['an explicit escaper', '{{escapeText v}}', /applied by the template compiler/],
  ])('refuses %s', (_name, source, error) => {
    expect(() => render(source, { v: evil })).toThrow(TemplateError);
    expect(() => render(source, { v: evil })).toThrow(error);
  });
});
