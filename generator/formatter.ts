/**
 * Stage 4b — format: every emitted TypeScript file is indented by bracket depth (two spaces a
 * level), whichever library printed it (json-schema-to-typescript, ts-morph), so the output style
 * never depends on the machine. The printers already put one declaration, property or statement
 * on a line; what they leave is indentation (code values are printed without it), and that is all
 * this fixes: lines are never joined, split or reordered, so the layout is as stable as the
 * printers. It reads tokens with the TypeScript scanner (strings, templates, comments and regular
 * expressions are never mistaken for brackets): a few milliseconds a file, where prettier or the
 * compiler's formatter (a parse and a tree walk each) cost ~2 ms a message on a large contract.
 * The printer (printer.ts) lays out its files as it prints them, in the thread that holds the
 * compiler; other files flagged `format` are sent there (emitters.ts).
 */
import type { SyntaxKind } from 'ts-morph';
import type { GeneratedFile } from './files.js';
import { ts } from './ts-morph.js';

const K = ts.SyntaxKind;
const OPENERS = new Set([K.OpenBraceToken, K.OpenBracketToken, K.OpenParenToken]);
const CLOSERS = new Set([K.CloseBraceToken, K.CloseBracketToken, K.CloseParenToken]);
/** After these a `/` divides; elsewhere it starts a regular expression. */
const ENDS_OPERAND = new Set([
  K.Identifier, K.PrivateIdentifier, K.NumericLiteral, K.BigIntLiteral, K.StringLiteral, K.NoSubstitutionTemplateLiteral, K.TemplateTail,
  K.RegularExpressionLiteral, K.CloseParenToken, K.CloseBracketToken, K.CloseBraceToken, K.PlusPlusToken, K.MinusMinusToken,
  K.ThisKeyword, K.SuperKeyword, K.TrueKeyword, K.FalseKeyword, K.NullKeyword, K.UndefinedKeyword,
]);
const INDENT = '  ';

/** `text` re-indented: each line by the brackets open before it, trailing spaces dropped. */
export function layout(text: string): string {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const open: number[] = []; // per open bracket: the indent of the lines inside it
  const templates: number[] = []; // per open `${`: the depth of `open` at which its `}` closes it
  const out: string[] = [];
  let lineStart = true;
  let lineIndent = 0;
  let space = '';
  let previous: SyntaxKind = K.Unknown;
  for (let kind = scanner.scan(); kind !== K.EndOfFileToken; kind = scanner.scan()) {
    if (kind === K.CloseBraceToken && templates.length > 0 && templates[templates.length - 1] === open.length) kind = scanner.reScanTemplateToken(false);
    else if ((kind === K.SlashToken || kind === K.SlashEqualsToken) && !ENDS_OPERAND.has(previous)) kind = scanner.reScanSlashToken();
    if (kind === K.NewLineTrivia) {
      out.push('\n');
      lineStart = true;
      space = '';
      continue;
    }
    if (kind === K.WhitespaceTrivia) {
      if (!lineStart) space = scanner.getTokenText();
      continue;
    }
    if (lineStart) {
      // A line that starts by closing a bracket sits at the indent of the line that opened it.
      lineIndent = CLOSERS.has(kind) || kind === K.TemplateMiddle || kind === K.TemplateTail ? (open[open.length - 1] ?? 1) - 1 : (open[open.length - 1] ?? 0);
      out.push(INDENT.repeat(lineIndent));
      lineStart = false;
    } else {
      out.push(space);
    }
    space = '';
    let token = scanner.getTokenText();
    if (OPENERS.has(kind)) open.push(lineIndent + 1);
    else if (CLOSERS.has(kind)) open.pop();
    else if (kind === K.TemplateHead) {
      open.push(lineIndent + 1);
      templates.push(open.length);
    } else if (kind === K.TemplateTail) {
      open.pop();
      templates.pop();
    } else if (kind === K.MultiLineCommentTrivia) token = commentAt(token, lineIndent);
    if (kind !== K.MultiLineCommentTrivia && kind !== K.SingleLineCommentTrivia) previous = kind;
    out.push(token);
  }
  return out.join('');
}

/** A block comment's later lines (` * …`) aligned under its first. */
function commentAt(comment: string, indent: number): string {
  const lines = comment.split('\n');
  return lines.map((line, i) => (i === 0 ? line : line.trim() === '' ? '' : `${INDENT.repeat(indent)}${line.trimStart().startsWith('*') ? ' ' : ''}${line.trim()}`)).join('\n');
}

/** Lays out the files flagged `format` and drops the flag; the others pass through. */
export function formatFiles(files: readonly GeneratedFile[]): GeneratedFile[] {
  return files.map(({ path, content, format }) => ({ path, content: format ? layout(content) : content }));
}
