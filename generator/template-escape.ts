/**
 * G1 for the Handlebars docs templates: contextual auto-escaping. Every `{{…}}` of a template is
 * rewritten, before it is compiled, into a call of the escaper for where it stands in the
 * Markdown — so the default is safe and a template author cannot forget:
 *
 * - inside a ```mermaid fence          → `escapeMermaid` (mermaidText)
 * - right after `](` (a link target)   → `escapeUrl` (markdownUrl)
 * - on a table row (line starts `|`)   → `escapeCell` (markdownCell)
 * - first thing on its line            → `escapeLineStart` (markdownLineStart)
 * - anywhere else in prose             → `escapeText` (markdownText)
 *
 * The escapers pass a `SafeMarkdown` fragment (what `{{code …}}`, `{{json …}}` and `{{codeList …}}`
 * build through escape.ts) through, adapting it to the context (pipes in a cell), and escape any
 * other value. What has no safe meaning is a template error: `{{{…}}}` and `{{& …}}` (unescaped),
 * a mustache inside a code span of the template (use `{{code …}}`), inside another kind of fence,
 * or an explicit call of an escape helper.
 */
import type Handlebars from 'handlebars';
import { markdownCell, markdownLineStart, markdownText, markdownUrl, mermaidText, pipes, SafeMarkdown } from './escape.js';

type Context = 'mermaid' | 'url' | 'cell' | 'lineStart' | 'text';

/** Helper name per context. Part of the precompiled templates' hash (doc-templates.ts). */
export const ESCAPE_HELPERS: Readonly<Record<Context, string>> = {
  mermaid: 'escapeMermaid',
  url: 'escapeUrl',
  cell: 'escapeCell',
  lineStart: 'escapeLineStart',
  text: 'escapeText',
};

/** Bump when the rewriting changes, so precompiled templates built by an older pass are not used. */
export const AUTO_ESCAPE_VERSION = 1;

export class TemplateError extends Error {}

/** The escape helpers, registered on the Handlebars environment that renders the docs. */
export function registerEscapeHelpers(hb: typeof Handlebars): void {
  const markdownOnly = (v: unknown, context: string): string => {
    if (v instanceof SafeMarkdown) throw new TemplateError(`a Markdown fragment (code span, fence) cannot stand in a ${context}`);
    return String(v ?? '');
  };
  hb.registerHelper({
    [ESCAPE_HELPERS.text]: (v: unknown) => (v instanceof SafeMarkdown ? v.markdown : markdownText(v)),
    [ESCAPE_HELPERS.lineStart]: (v: unknown) => (v instanceof SafeMarkdown ? v.markdown : markdownLineStart(v)),
    [ESCAPE_HELPERS.cell]: (v: unknown) => (v instanceof SafeMarkdown ? pipes(v.markdown) : markdownCell(v)),
    [ESCAPE_HELPERS.url]: (v: unknown) => markdownUrl(markdownOnly(v, 'link destination')),
    [ESCAPE_HELPERS.mermaid]: (v: unknown) => mermaidText(markdownOnly(v, 'Mermaid diagram')),
  });
}

/** The options every docs template is compiled with; the escape helpers are known, so calls are direct. */
export const KNOWN_ESCAPE_HELPERS: Readonly<Record<string, true>> = Object.fromEntries(Object.values(ESCAPE_HELPERS).map((h) => [h, true]));

interface State {
  /** Static text of the current line so far (a mustache's output counts as one neutral character). */
  line: string;
  /** The fence the current line is inside, by its info string ('' for none). */
  fence: { readonly marker: string; readonly info: string } | undefined;
}

type Node = hbs.AST.Node & Record<string, unknown>;

/**
 * Rewrites the template's AST in place (parsed with `parseWithoutProcessing`, so whitespace
 * control still runs once, when it is compiled) and returns it. `name` is for error messages.
 */
export function autoEscape(ast: hbs.AST.Program, name: string): hbs.AST.Program {
  const fail = (node: hbs.AST.Node, message: string): never => {
    throw new TemplateError(`${name}:${node.loc?.start.line ?? '?'}:${(node.loc?.start.column ?? 0) + 1}: ${message}`);
  };
  const escapers = new Set(Object.values(ESCAPE_HELPERS));

  const content = (state: State, text: string): void => {
    for (const ch of text) {
      if (ch !== '\n') {
        state.line += ch;
        continue;
      }
      const line = state.line;
      state.line = '';
      const fence = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (!state.fence) {
        if (fence) state.fence = { marker: fence[1]!, info: fence[2]! };
      } else if (fence && fence[2] === '' && fence[1]![0] === state.fence.marker[0] && fence[1]!.length >= state.fence.marker.length) {
        state.fence = undefined;
      }
    }
  };

  const contextOf = (state: State, node: hbs.AST.Node): Context => {
    if (state.fence) return state.fence.info === 'mermaid' ? 'mermaid' : fail(node, `a mustache inside a \`\`\`${state.fence.info} fence has no escaper; build the whole block with a helper such as {{json …}}`);
    const ticks = (state.line.match(/`/g) ?? []).length;
    if (ticks % 2 === 1) return fail(node, 'a mustache inside a code span of the template: write {{code …}} (with concat for surrounding text) so backticks in the value cannot end the span');
    if (/\]\($/.test(state.line)) return 'url';
    if (/^\s*\|/.test(state.line)) return 'cell';
    if (/^\s*$/.test(state.line)) return 'lineStart';
    return 'text';
  };

  const rewrite = (node: hbs.AST.MustacheStatement, context: Context): void => {
    if (!node.escaped) fail(node, 'unescaped output ({{{…}}} or {{& …}}) is not allowed: every value goes through the escaper of its context');
    const path = node.path as Node;
    if (path.type === 'PathExpression' && escapers.has((path as unknown as hbs.AST.PathExpression).original)) {
      fail(node, `${(path as unknown as hbs.AST.PathExpression).original} is applied by the template compiler; do not call it yourself`);
    }
    const inner: hbs.AST.Expression =
      node.params.length > 0 || node.hash
        ? ({ type: 'SubExpression', path: node.path, params: node.params, hash: node.hash, loc: node.loc } as unknown as hbs.AST.Expression)
        : node.path;
    const helper = ESCAPE_HELPERS[context];
    node.path = { type: 'PathExpression', data: false, depth: 0, parts: [helper], original: helper, loc: node.loc } as hbs.AST.PathExpression;
    node.params = [inner];
    (node as { hash?: hbs.AST.Hash }).hash = undefined as unknown as hbs.AST.Hash;
  };

  const walk = (program: hbs.AST.Program | undefined, state: State): State => {
    if (!program) return state;
    for (const statement of program.body) {
      switch (statement.type) {
        case 'ContentStatement':
          content(state, (statement as hbs.AST.ContentStatement).value);
          break;
        case 'MustacheStatement':
          rewrite(statement as hbs.AST.MustacheStatement, contextOf(state, statement));
          state.line += 'x';
          break;
        case 'BlockStatement': {
          const block = statement as hbs.AST.BlockStatement;
          // The two branches are alternatives: each starts where the block does, and they must
          // agree on what matters for the text after the block.
          const before = { line: state.line, fence: state.fence };
          const then = walk(block.program, { ...before });
          const otherwise = walk(block.inverse, { ...before });
          if (block.inverse && (then.fence !== otherwise.fence || ticksParity(then.line) !== ticksParity(otherwise.line))) {
            fail(block, 'the branches of this block leave a fence or a code span open differently');
          }
          state.line = then.line;
          state.fence = then.fence;
          break;
        }
        case 'PartialStatement':
        case 'PartialBlockStatement':
          state.line += 'x'; // a partial is escaped when it is compiled itself
          break;
        default:
          break; // comments, decorators: no output
      }
    }
    return state;
  };

  walk(ast, { line: '', fence: undefined });
  return ast;
}

function ticksParity(line: string): number {
  return (line.match(/`/g) ?? []).length % 2;
}
