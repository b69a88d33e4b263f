/**
 * Stage 1 — load: read a spec file, parse it as JSON (comments allowed: JSONC), keep enough of
 * the parse tree to turn any JSON pointer back into a line and column for later findings, and
 * take the definitions the spec names from the shipped protocol kernel (kernel.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseTree, printParseErrorCode, stripComments, type Node, type ParseError } from 'jsonc-parser';
import { ContractError, escapePointerToken, parsePointer, type Finding } from './diagnostics.js';
import { resolveKernel, type KernelUse } from './kernel.js';
import { checkSpecLimits } from './spec-limits.js';

export interface Position {
  readonly line: number;
  readonly column: number;
  /** Set when the value lives in another file than the spec (a kernel definition): that file, as shown to the user. */
  readonly file?: string;
  /** With `file`: the pointer of the value in that file. */
  readonly pointer?: string;
}

export interface LoadedSpec {
  /** The path as given (used in messages). */
  readonly file: string;
  readonly text: string;
  readonly json: Record<string, unknown>;
  /** sha256 of the exact bytes; banners and `check` use it. */
  readonly hash: string;
  /** Line and column (1-based) of the value at a JSON pointer, or of its nearest parent. */
  locate(pointer: string): Position | undefined;
  /** Defects found while loading that do not stop the later stages (duplicate keys, kernel references); the checker reports them. */
  readonly findings: readonly Finding[];
  /** The shipped kernel the spec takes definitions from, if any. */
  readonly kernel?: KernelUse;
}

/** Read and parse a spec file. Throws ContractError with positions on any syntax error. */
export function load(file: string): LoadedSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : String(err);
    throw new ContractError([
      { severity: 'error', code: 'spec-unreadable', pointer: '', file, message: `cannot read the spec: ${reason}`, hint: 'pass an existing file with --spec' },
    ]);
  }
  return loadText(file, text);
}

/** Parse spec text that is already in memory (tests, `diff` of git revisions). */
export function loadText(file: string, text: string): LoadedSpec {
  const parsed = parseSpecText(file, text);
  const kernel = resolveKernel(parsed);
  return { ...parsed, ...kernel, findings: [...parsed.findings, ...kernel.findings] };
}

/** Parse JSON(C) text as it is, without taking anything from the kernel (the kernel file itself is read this way). */
export function parseSpecText(file: string, text: string): LoadedSpec {
  const lineStarts = computeLineStarts(text);
  const position = (offset: number): Position => offsetToPosition(lineStarts, offset);
  // G2: size, depth, unprintable numbers and __proto__ keys are findings before anything recursive runs.
  const limits = checkSpecLimits(file, text, position);
  if (limits.length > 0) throw new ContractError(limits);

  const errors: ParseError[] = [];
  // Comments are allowed (JSONC): a contract is documentation too. Trailing commas are not.
  const tree = parseTree(text, errors, { disallowComments: false, allowTrailingComma: false, allowEmptyContent: false });
  const findings: Finding[] = errors.map((e) => ({
    severity: 'error',
    code: 'json-syntax',
    pointer: '',
    file,
    ...position(e.offset),
    message: `invalid JSON: ${describeParseError(printParseErrorCode(e.error))}`,
    hint: 'fix the JSON syntax at this position (the spec is JSON with // and /* */ comments allowed; no trailing commas)',
  }));
  if (!tree || findings.length > 0) throw new ContractError(findings.length ? findings : [emptyFinding(file)]);
  if (tree.type !== 'object') {
    throw new ContractError([
      { severity: 'error', code: 'spec-not-object', pointer: '', file, ...position(tree.offset), message: 'the spec must be a JSON object (a JSON Schema document)', hint: 'wrap the contract in { … }' },
    ]);
  }
  // Duplicate keys do not stop loading (the last one wins, as in JSON.parse): the checker reports them with the rest.
  const duplicates = findDuplicateKeys(tree, '', position, file);

  // JSON.parse after blanking the comments: exactly JSON's semantics (a "__proto__" key stays a plain key).
  const json = parseJson(text);
  const hash = createHash('sha256').update(text).digest('hex');

  const locate = (pointer: string): Position | undefined => {
    // Walk as far as the pointer exists, so a finding about a missing key still has a place (the
    // nearest parent). A token is an index only inside an array: an object key may be "200".
    let node: Node = tree;
    for (const token of parsePointer(pointer)) {
      const next =
        node.type === 'array'
          ? /^(0|[1-9]\d*)$/.test(token) ? node.children?.[Number(token)] : undefined
          : node.type === 'object'
            ? node.children?.find((prop) => prop.children?.[0]?.value === token)?.children?.[1]
            : undefined;
      if (!next) break;
      node = next;
    }
    return position(node.parent?.type === 'property' ? node.parent.offset : node.offset);
  };
  return { file, text, json, hash, locate, findings: duplicates };
}

/**
 * The text's value by JSON.parse, comments blanked first only when there are any: blanking costs
 * twenty times the parse (20 ms on a 400 KB spec), and text that JSON.parse takes has no comment
 * (outside a string a comment is a syntax error, inside one it is text).
 */
function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return JSON.parse(stripComments(text)) as Record<string, unknown>;
  }
}

function emptyFinding(file: string): Finding {
  return { severity: 'error', code: 'json-syntax', pointer: '', file, line: 1, column: 1, message: 'the spec is empty', hint: 'write a JSON Schema document into the file' };
}

/** JSON.parse keeps the last of two equal keys silently; in a contract that hides a mistake. */
function findDuplicateKeys(node: Node, pointer: string, position: (o: number) => Position, file: string, out: Finding[] = []): Finding[] {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      if (!keyNode) continue;
      const key = String(keyNode.value);
      const child = `${pointer}/${escapePointerToken(key)}`;
      if (seen.has(key)) {
        out.push({ severity: 'error', code: 'duplicate-key', pointer: child, file, ...position(keyNode.offset), message: `the key "${key}" appears twice in the same object; JSON parsers keep only the last one`, hint: 'remove or merge one of the two entries' });
      }
      seen.add(key);
      // Only containers can hold a duplicate: a leaf needs no walk (and no pointer).
      if (valueNode?.children) findDuplicateKeys(valueNode, child, position, file, out);
    }
  } else if (node.type === 'array') {
    (node.children ?? []).forEach((c, i) => c.children && findDuplicateKeys(c, `${pointer}/${i}`, position, file, out));
  }
  return out;
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'a property name (in double quotes) was expected',
    ValueExpected: 'a value was expected',
    ColonExpected: 'a colon was expected',
    CommaExpected: 'a comma was expected',
    CloseBraceExpected: 'a closing } was expected',
    CloseBracketExpected: 'a closing ] was expected',
    EndOfFileExpected: 'unexpected content after the end of the document',
    InvalidCommentToken: 'comments are not allowed',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in a string',
  };
  return words[code] ?? code;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function offsetToPosition(lineStarts: number[], offset: number): Position {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
}
