/**
 * G2, before anything parses the spec: what no stage could survive is refused as a finding with
 * a position and a pointer, never a crash. One iterative pass over the tokens (no recursion, so
 * a spec nested 100 000 deep costs a loop, not the stack) checks
 *
 * - the size of the file,
 * - how deep objects and arrays nest (every later stage — the parser, Ajv, json-schema-to-typescript,
 *   the TypeScript printer — recurses over the spec),
 * - numbers that do not fit a double (JSON.parse turns them into Infinity, which no emitter can print),
 * - `__proto__` keys (a JavaScript object cannot hold one as a plain property: copying it sets the
 *   prototype instead, so schemas would silently lose it).
 */
import { createScanner, SyntaxKind } from 'jsonc-parser';
import { escapePointerToken, type Finding } from './diagnostics.js';

/** The bounds, generous for any real contract (the canonical spec is 24 KiB and 11 levels deep). */
export const SPEC_LIMITS = {
  /** Bytes of the spec file. */
  maxBytes: 2 * 1024 * 1024,
  /** Nesting of objects and arrays, the document itself being level 1. */
  maxDepth: 64,
  /** Findings of one kind reported before the rest are summed up. */
  maxReported: 20,
} as const;

interface Frame {
  readonly array: boolean;
  /** The key (in an object) or index (in an array) of the value being read. */
  token: string | number;
  expectKey: boolean;
}

type Position = { readonly line: number; readonly column: number };

/**
 * Findings for a spec text that must not reach the parser, or [] when it may. Size and depth stop
 * the scan (nothing after them is worth reading); numbers and `__proto__` keys are all reported.
 */
export function checkSpecLimits(file: string, text: string, position: (offset: number) => Position, limits = SPEC_LIMITS): Finding[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    return [
      {
        severity: 'error',
        code: 'spec-too-large',
        pointer: '',
        file,
        line: 1,
        column: 1,
        message: `the spec is ${bytes} bytes; contractgen reads specs up to ${limits.maxBytes} bytes`,
        hint: 'split what is not the protocol contract out of the file, or remove generated or duplicated schemas',
      },
    ];
  }
  const findings: Finding[] = [];
  const counts = { number: 0, proto: 0 };
  const stack: Frame[] = [];
  const pointer = (): string => stack.map((f) => `/${escapePointerToken(f.token)}`).join('');
  const report = (kind: keyof typeof counts, f: Omit<Finding, 'severity' | 'file'>): void => {
    if (++counts[kind] <= limits.maxReported) findings.push({ severity: 'error', file, ...f });
  };

  const scanner = createScanner(text, true);
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    const top = stack[stack.length - 1];
    switch (kind) {
      case SyntaxKind.OpenBraceToken:
      case SyntaxKind.OpenBracketToken:
        if (stack.length + 1 > limits.maxDepth) {
          return [
            {
              severity: 'error',
              code: 'spec-too-deep',
              pointer: pointer(),
              file,
              ...position(scanner.getTokenOffset()),
              message: `objects and arrays nest more than ${limits.maxDepth} levels deep here`,
              hint: `flatten the schema: move nested schemas under $defs and refer to them with $ref (at most ${limits.maxDepth} levels)`,
            },
          ];
        }
        stack.push({ array: kind === SyntaxKind.OpenBracketToken, token: kind === SyntaxKind.OpenBracketToken ? 0 : '', expectKey: kind === SyntaxKind.OpenBraceToken });
        break;
      case SyntaxKind.CloseBraceToken:
      case SyntaxKind.CloseBracketToken:
        stack.pop();
        break;
      case SyntaxKind.CommaToken:
        if (top?.array) top.token = (top.token as number) + 1;
        else if (top) top.expectKey = true;
        break;
      case SyntaxKind.ColonToken:
        if (top) top.expectKey = false;
        break;
      case SyntaxKind.StringLiteral:
        if (top && !top.array && top.expectKey) {
          top.token = scanner.getTokenValue();
          if (top.token === '__proto__') {
            report('proto', {
              code: 'proto-key',
              pointer: pointer(),
              ...position(scanner.getTokenOffset()),
              message: 'the key "__proto__" cannot be a property in JavaScript: copying it sets an object\'s prototype, so generated code would lose or misread it',
              hint: 'rename the property (e.g. "proto")',
            });
          }
        }
        break;
      case SyntaxKind.NumericLiteral:
        if (!Number.isFinite(Number(scanner.getTokenValue()))) {
          report('number', {
            code: 'number-out-of-range',
            pointer: pointer(),
            ...position(scanner.getTokenOffset()),
            message: `${scanner.getTokenValue()} is beyond the range of a double (it would read as Infinity)`,
            hint: `use a number between ${-Number.MAX_VALUE} and ${Number.MAX_VALUE}`,
          });
        }
        break;
      default:
        break; // syntax errors are the parser's to report, with its own positions
    }
  }
  for (const [kind, code] of [['number', 'number-out-of-range'], ['proto', 'proto-key']] as const) {
    if (counts[kind] > limits.maxReported) {
      findings.push({ severity: 'error', code, pointer: '', file, line: 1, column: 1, message: `${counts[kind] - limits.maxReported} more like the ones above`, hint: 'fix the ones above first' });
    }
  }
  return findings;
}
