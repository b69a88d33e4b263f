/**
 * Ajv standalone code, made lean: the same checks in the same order, with every error object
 * built by one shared runtime helper (runtime/ajv-errors.ts) from a table of error sites, and
 * instance paths built only when a check fails.
 *
 * Ajv writes each failure as an object literal (instance path, keyword, params, schemaPath,
 * message), a third of its code, and passes every shared function an options object with the
 * instance path concatenated, on every call, valid or not. Here:
 * - `validateN.errors = [{…}]; return false;` becomes `return $f(validateN, path, site[, params])`,
 *   and a composite rule's `const errN = {…};` becomes `const errN = $e(path, site[, params]);`:
 *   keyword and constant params come from the table `$sites`; the message is worded when read
 *   (runtime/validation.ts). schemaPath, which no issue reports, is dropped.
 * - A function's paths are relative to its own data; a caller prefixes a failed callee's errors
 *   with the callee's location (`$n`), so a call passes the data alone.
 *
 * The code is read with TypeScript's scanner, as tokens (a full parse costs a quarter second on
 * a 200-message spec, more than the build may grow); every rewrite matches a whole construct
 * Ajv emits, bracket-balanced. Anything else in the code makes `leanAjvCode` return undefined and
 * the caller keeps Ajv's code as it is: slower and bigger, never different.
 */
import type { ts as TS } from 'ts-morph';
import { ts } from './ts-morph.js';

const K = ts.SyntaxKind;

interface Token {
  readonly kind: TS.SyntaxKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** After these a `/` starts a regular expression (Ajv writes one when it escapes a property name). */
const BEFORE_REGEX = new Set([K.OpenParenToken, K.CommaToken, K.EqualsToken, K.ColonToken, K.OpenBracketToken, K.ExclamationToken, K.AmpersandAmpersandToken, K.BarBarToken, K.QuestionToken, K.OpenBraceToken, K.SemicolonToken, K.ReturnKeyword]);

function tokenize(code: string): Token[] | undefined {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, true, ts.LanguageVariant.Standard, code);
  const tokens: Token[] = [];
  for (;;) {
    let kind = scanner.scan();
    if (kind === K.EndOfFileToken) return tokens;
    if ((kind === K.SlashToken || kind === K.SlashEqualsToken) && (tokens.length === 0 || BEFORE_REGEX.has(tokens[tokens.length - 1]!.kind))) kind = scanner.reScanSlashToken();
    if (kind === K.TemplateHead || kind === K.Unknown) return undefined;
    const start = scanner.getTokenStart();
    const end = scanner.getTokenEnd();
    tokens.push({ kind, start, end, text: code.slice(start, end) });
  }
}

/** Names of the shared helpers in generated code: `$` names, which Ajv never writes. */
export const LEAN_HELPERS = { fail: '$f', error: '$e', nest: '$n', rethrow: '$r', sites: '$sites' } as const;

/** The parameter list Ajv gives every function when no dynamic scope or `$data` is in use. */
const AJV_PARAMS = '(data,{instancePath="",parentData,parentDataProperty,rootData=data}={})';
/** Identifiers that must be gone once every construct that uses them is rewritten. */
const CONTEXT_NAMES = new Set(['instancePath', 'parentData', 'parentDataProperty', 'rootData', 'dynamicAnchors', 'evaluated']);

class Unsupported extends Error {}

export interface LeanAjvCode {
  /** The rewritten code, without the helpers' import (the emitter adds it). */
  readonly code: string;
  /** How many error sites were rewritten, and how many distinct table entries they use. */
  readonly sites: number;
  readonly entries: number;
}

export function leanAjvCode(code: string): LeanAjvCode | undefined {
  const tokens = tokenize(code);
  if (!tokens) return undefined;
  try {
    return rewrite(code, tokens);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

function rewrite(code: string, t: readonly Token[]): LeanAjvCode {
  for (const tok of t) if (tok.kind === K.Identifier && tok.text.startsWith('$')) throw new Unsupported();
  const closer = matchBrackets(t);
  const text = (from: number, to: number): string => code.slice(t[from]!.start, t[to - 1]!.end);
  const flat = (from: number, to: number): string => {
    let s = '';
    for (let i = from, end = Math.min(to, t.length); i < end; i++) s += t[i]!.text;
    return s;
  };
  const is = (i: number, kind: TS.SyntaxKind, value?: string): boolean => t[i]?.kind === kind && (value === undefined || t[i]!.text === value);

  // Module-level constants (schemaN, patternN, wrapperN): params that refer only to them are constant.
  const moduleConsts = new Set<string>();
  const schemaDecls: [number, number][] = [];
  for (let i = 0, depth = 0; i < t.length; i++) {
    const k = t[i]!.kind;
    if (k === K.OpenBraceToken || k === K.OpenParenToken || k === K.OpenBracketToken) depth++;
    else if (k === K.CloseBraceToken || k === K.CloseParenToken || k === K.CloseBracketToken) depth--;
    else if (depth === 0 && k === K.ConstKeyword && is(i + 1, K.Identifier)) {
      moduleConsts.add(t[i + 1]!.text);
      if (/^schema\d+$/.test(t[i + 1]!.text)) {
        let end = i + 2;
        while (end < t.length && !is(end, K.SemicolonToken)) end = closer[end] !== undefined ? closer[end]! + 1 : end + 1;
        schemaDecls.push([i, end + 1]);
      }
    }
  }

  /** Comma-separated parts of the bracketed list opening at `open`, as token ranges. */
  const parts = (open: number): [number, number][] => {
    const out: [number, number][] = [];
    const end = closer[open]!;
    let from = open + 1;
    for (let i = from; i < end; i++) {
      if (closer[i] !== undefined) i = closer[i]!;
      else if (t[i]!.kind === K.CommaToken) {
        out.push([from, i]);
        from = i + 1;
      }
    }
    if (from < end) out.push([from, end]);
    return out;
  };

  /**
   * Ajv's most frequent names, shortened (a sixth of the code): validateN → vN, data → d,
   * dataN → dN, keyN → kN, missingN → mN; each family only when no name of its short form is taken.
   */
  const SHORT: readonly (readonly [RegExp, RegExp, string])[] = [
    [/^validate(\d+)$/, /^v\d+$/, 'v'],
    [/^data(\d*)$/, /^d\d*$/, 'd'],
    [/^key(\d+)$/, /^k\d+$/, 'k'],
    [/^missing(\d+)$/, /^m\d+$/, 'm'],
  ];
  const families = SHORT.filter(([, short]) => !t.some((tok) => tok.kind === K.Identifier && short.test(tok.text)));
  const ren = (name: string): string => {
    for (const [long, , prefix] of families) {
      const m = long.exec(name);
      if (m) return prefix + m[1]!;
    }
    return name;
  };
  /** Whether token `j` is a variable's name (not a property after `.`, nor an object literal's key). */
  const isVariable = (j: number): boolean => t[j]!.kind === K.Identifier && !is(j - 1, K.DotToken) && !(is(j + 1, K.ColonToken) && (is(j - 1, K.OpenBraceToken) || is(j - 1, K.CommaToken)));
  /** The code of tokens [from, to), names shortened. */
  const renamed = (from: number, to: number): string => {
    let out = '';
    let at = t[from]!.start;
    for (let j = from; j < to; j++) {
      if (isVariable(j)) {
        const short = ren(t[j]!.text);
        if (short !== t[j]!.text) {
          out += code.slice(at, t[j]!.start) + short;
          at = t[j]!.end;
        }
      }
    }
    return out + code.slice(at, t[to - 1]!.end);
  };

  /** An instance path expression made relative: `instancePath` is '' and `instancePath+x` is x. */
  const relative = (from: number, to: number): string => {
    if (to - from === 1 && is(from, K.Identifier, 'instancePath')) return '""';
    if (is(from, K.Identifier, 'instancePath') && is(from + 1, K.PlusToken) && to - from > 2) {
      for (let i = from + 2; i < to; i++) if (is(i, K.Identifier) && CONTEXT_NAMES.has(t[i]!.text)) throw new Unsupported();
      return renamed(from + 2, to);
    }
    throw new Unsupported();
  };

  const sites = new Map<string, number>();
  const table: string[] = [];
  let siteCount = 0;
  const constantsUsed = new Map<string, number>();
  const countConstants = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (is(i, K.Identifier) && moduleConsts.has(t[i]!.text) && !is(i - 1, K.DotToken)) constantsUsed.set(t[i]!.text, (constantsUsed.get(t[i]!.text) ?? 0) + 1);
  };

  /**
   * Constant params as text, with `schemaN.properties.kind.enum` (Ajv's enum params) replaced by
   * the JSON it names: then the schema constant, a copy of the whole schema, is no longer needed.
   */
  const schemaValues = new Map<string, unknown>();
  for (const [from, to] of schemaDecls) {
    try {
      schemaValues.set(t[from + 1]!.text, JSON.parse(text(from + 3, to - 1)));
    } catch {
      // Not JSON: the params keep referring to the constant.
    }
  }
  const constantParams = (from: number, to: number): string => {
    let out = '';
    for (let i = from; i < to; i++) {
      if (is(i, K.Identifier) && !is(i - 1, K.DotToken) && schemaValues.has(t[i]!.text)) {
        let value = schemaValues.get(t[i]!.text);
        let end = i + 1;
        for (;;) {
          const key = is(end, K.DotToken) && /^[A-Za-z_$][\w$]*$/.test(t[end + 1]?.text ?? '') ? t[end + 1]!.text : is(end, K.OpenBracketToken) && is(end + 1, K.StringLiteral) && is(end + 2, K.CloseBracketToken) ? (JSON.parse(t[end + 1]!.text) as string) : undefined;
          if (key === undefined || typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) break;
          value = (value as Record<string, unknown>)[key];
          end += is(end, K.DotToken) ? 2 : 3;
        }
        if (end < to && (is(end, K.DotToken) || is(end, K.OpenBracketToken))) {
          countConstants(i, i + 1);
          out += t[i]!.text;
          continue;
        }
        out += JSON.stringify(value);
        i = end - 1;
        continue;
      }
      countConstants(i, i + 1);
      out += (/\w$/.test(out) && /^\w/.test(t[i]!.text) ? ' ' : '') + t[i]!.text;
    }
    return out;
  };

  /** `{instancePath…,keyword:"k",params:{…},schemaPath…,message…}` at `open`, as the helper's arguments after the first. */
  const errorArguments = (open: number): string => {
    let path: string | undefined;
    let keyword: string | undefined;
    let params: [number, number] | undefined;
    for (const [from, to] of parts(open)) {
      const name = t[from]!;
      if (name.kind !== K.Identifier) throw new Unsupported();
      if (to === from + 1 && name.text === 'instancePath') path = '""';
      else if (!is(from + 1, K.ColonToken)) throw new Unsupported();
      else if (name.text === 'instancePath') path = relative(from + 2, to);
      else if (name.text === 'keyword' && to === from + 3 && is(from + 2, K.StringLiteral)) keyword = t[from + 2]!.text;
      else if (name.text === 'params' && is(from + 2, K.OpenBraceToken) && closer[from + 2] === to - 1) params = [from + 2, to];
      else if (name.text === 'schemaPath' || name.text === 'message') {
        for (let i = from + 2; i < to; i++) if (is(i, K.Identifier) && CONTEXT_NAMES.has(t[i]!.text)) throw new Unsupported();
      } else throw new Unsupported();
    }
    if (path === undefined || keyword === undefined || params === undefined) throw new Unsupported();
    // Params that name only constants go into the table; others (a missing property's name, say) stay at the site.
    let constant = true;
    for (let i = params[0]; i < params[1]; i++) {
      if (is(i, K.Identifier) && !is(i + 1, K.ColonToken) && !is(i - 1, K.DotToken) && !moduleConsts.has(t[i]!.text)) constant = false;
      if (is(i, K.Identifier) && CONTEXT_NAMES.has(t[i]!.text)) throw new Unsupported();
    }
    // One param whose value varies (`{missingProperty: missing0}`): the table names it, the site gives the value.
    const single = !constant && params[1] - params[0] === 5 && is(params[0] + 1, K.Identifier) && is(params[0] + 2, K.ColonToken) && is(params[0] + 3, K.Identifier);
    const entry = constant ? `[${keyword},${constantParams(params[0], params[1])}]` : single ? `[${keyword},${JSON.stringify(t[params[0] + 1]!.text)}]` : `[${keyword}]`;
    let site = sites.get(entry);
    if (site === undefined) {
      site = table.length;
      sites.set(entry, site);
      table.push(entry);
    }
    siteCount++;
    return `${path},${site}${constant ? '' : `,${single ? ren(t[params[0] + 3]!.text) : renamed(params[0], params[1])}`}`;
  };

  const edits: { from: number; to: number; text: string }[] = [];
  const kept: [number, number][] = [];
  let keptFrom = 0;
  const edit = (from: number, to: number, replacement: string): void => {
    kept.push([keptFrom, from]);
    edits.push({ from, to, text: replacement });
    keptFrom = to;
  };

  /** In a simple function: the end of a bookkeeping construct at `i` that was dropped, or undefined. */
  const foldBookkeeping = (i: number): number | undefined => {
    const k = t[i]!.kind;
    if (k !== K.LetKeyword && k !== K.ConstKeyword && k !== K.VarKeyword && k !== K.IfKeyword && k !== K.ElseKeyword && !(k === K.Identifier && t[i]!.text === self)) return undefined;
    const drop = (to: number): number => {
      edit(i, to, '');
      return to - 1;
    };
    // let vErrors = null;  let errors = 0;  const _errsN = errors;
    if (flat(i, i + 5) === 'letvErrors=null;' || flat(i, i + 5) === 'leterrors=0;') return drop(i + 5);
    if (is(i, K.ConstKeyword) && /^_errs\d+$/.test(t[i + 1]?.text ?? '') && flat(i + 2, i + 5) === '=errors;') return drop(i + 5);
    // var validN = …;  (always true here)
    if (is(i, K.VarKeyword) && /^_?valid\d+$/.test(t[i + 1]?.text ?? '')) {
      let end = i;
      while (!is(end, K.SemicolonToken)) end++;
      return drop(end + 1);
    }
    // if(errors === _errsN) / if(_errsN === errors) / if(errors === 0) / if(validN)  →  the block alone
    if (is(i, K.IfKeyword) && is(i + 1, K.OpenParenToken)) {
      const close = closer[i + 1]!;
      const cond = flat(i + 2, close);
      if (/^(?:errors===(?:_errs\d+|0)|_errs\d+===errors|_?valid\d+)$/.test(cond) && is(close + 1, K.OpenBraceToken)) return drop(close + 1);
      // if(!validN){break;}
      if (/^!_?valid\d+$/.test(cond) && flat(close + 1, close + 5) === '{break;}') return drop(close + 5);
    }
    // else { var validN = true; }  (nothing left once the var goes)
    if (is(i, K.ElseKeyword) && is(i + 1, K.OpenBraceToken) && is(i + 2, K.VarKeyword) && closer[i + 1] === i + 7 && flat(i + 4, i + 7) === '=true;') return drop(i + 8);
    // validateN.errors = vErrors; return errors === 0;  →  validateN.errors = null; return true;
    if (flat(i, i + 11) === `${self}.errors=vErrors;returnerrors===0;`) {
      edit(i, i + 11, `${ren(self)}.errors = null;\nreturn true;`);
      return i + 10;
    }
    return undefined;
  };

  /**
   * A function is simple when no composite rule (oneOf, anyOf, not, if, contains) collects errors
   * in it: its only change to `errors` is taking a failed callee's errors. Ajv runs no check after
   * a failure outside a composite rule (allErrors is off), so a simple function may return the
   * callee's errors at once, `errors` then stays 0, and Ajv's bookkeeping of it folds away:
   * `const _errsN = errors;` and `var validN = …;` go, `if(errors === _errsN)` and `if(validN)`
   * keep only their block.
   */
  const simpleUntil = new Map<number, number>();
  const isSimple = (from: number, to: number): boolean => {
    for (let i = from; i < to; i++) {
      // (`let vErrors = null; let errors = 0;` open every function.)
      const name = t[i]!.kind === K.Identifier && !is(i - 1, K.DotToken) && !is(i - 1, K.LetKeyword) ? t[i]!.text : undefined;
      if (name === 'errors' && is(i + 1, K.PlusPlusToken)) return false;
      if (name === 'errors' && is(i + 1, K.EqualsToken)) {
        if (flat(i + 2, i + 6) !== 'vErrors.length;') return false;
        i += 5;
        continue;
      }
      if (name === 'vErrors' && flat(i, i + 6) === 'vErrors=vErrors===null?') {
        // A callee's errors taken: checked where it is rewritten.
        while (!is(i, K.SemicolonToken)) i++;
        continue;
      }
      if (name === 'vErrors' && is(i + 1, K.DotToken)) return false;
      if (name === 'vErrors' && is(i + 1, K.EqualsToken) && !is(i + 2, K.Identifier, 'vErrors')) return false;
      if (name !== undefined && /^_?valid\d+$/.test(name)) {
        // validN is only ever set to true here: `= _errsN === errors` or `= true`, read by `if(validN)` or `if(!validN){break;}`.
        const set = is(i - 1, K.VarKeyword) && is(i + 1, K.EqualsToken);
        if (set && !(flat(i + 2, i + 4) === 'true;' || (/^_errs\d+$/.test(t[i + 2]!.text) && flat(i + 3, i + 6) === '===errors;'))) return false;
        if (!set && !(is(i - 2, K.IfKeyword) && is(i - 1, K.OpenParenToken) && is(i + 1, K.CloseParenToken)) && flat(i - 3, i + 6) !== 'if(!' + name + '){break;}') return false;
      }
    }
    return true;
  };
  for (let i = 0; i < t.length; i++) {
    if (is(i, K.FunctionKeyword) && is(i + 1, K.Identifier) && is(i + 2, K.OpenParenToken) && is(closer[i + 2]! + 1, K.OpenBraceToken)) {
      const body = closer[i + 2]! + 1;
      if (isSimple(body, closer[body]!)) simpleUntil.set(i, closer[body]!);
      i = closer[body]!;
    }
  }
  let simpleEnd = -1;
  let self = '';

  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    // function validateN(data, {instancePath="", …}={}) → function validateN(data)
    if (tok.kind === K.FunctionKeyword && is(i + 1, K.Identifier) && is(i + 2, K.OpenParenToken)) {
      const close = closer[i + 2]!;
      if (flat(i + 2, close + 1) !== AJV_PARAMS) throw new Unsupported();
      simpleEnd = simpleUntil.get(i) ?? -1;
      self = t[i + 1]!.text;
      edit(i + 2, close + 1, `(${ren('data')})`);
      i = close;
      continue;
    }
    if (i < simpleEnd) {
      const skip = foldBookkeeping(i);
      if (skip !== undefined) {
        i = skip;
        continue;
      }
    }
    // validateN.errors = [{…}]; return false;  →  return $f(validateN, path, site);
    if (tok.kind === K.Identifier && is(i + 1, K.DotToken) && is(i + 2, K.Identifier, 'errors') && is(i + 3, K.EqualsToken) && is(i + 4, K.OpenBracketToken) && is(i + 5, K.OpenBraceToken)) {
      const obj = i + 5;
      const end = closer[obj]!;
      if (closer[i + 4] === end + 1 && is(end + 2, K.SemicolonToken) && is(end + 3, K.ReturnKeyword) && is(end + 4, K.FalseKeyword) && is(end + 5, K.SemicolonToken)) {
        if (is(i - 1, K.DotToken)) throw new Unsupported();
        // Ajv's `break;` after the return never runs.
        const to = flat(end + 6, end + 8) === 'break;' ? end + 8 : end + 6;
        edit(i, to, `return ${LEAN_HELPERS.fail}(${ren(tok.text)},${errorArguments(obj)});`);
        i = to - 1;
        continue;
      }
      throw new Unsupported();
    }
    // const errN = {instancePath…};  →  const errN = $e(path, site);
    if (tok.kind === K.ConstKeyword && is(i + 1, K.Identifier) && is(i + 2, K.EqualsToken) && is(i + 3, K.OpenBraceToken) && is(i + 4, K.Identifier, 'instancePath')) {
      const end = closer[i + 3]!;
      edit(i + 3, end + 1, `${LEAN_HELPERS.error}(${errorArguments(i + 3)})`);
      i = end;
      continue;
    }
    // f(x, {instancePath:…, parentData…, rootData}) → f(x), and its errors prefixed where they are taken.
    if (tok.kind === K.OpenParenToken && closer[i] !== undefined) {
      const args = parts(i);
      const options = args[1];
      if (args.length === 2 && options && is(options[0], K.OpenBraceToken) && is(options[0] + 1, K.Identifier, 'instancePath') && closer[options[0]] === options[1] - 1) {
        const callee = calleeBefore(t, i);
        let prefix: string | undefined;
        for (const [from, to] of parts(options[0])) {
          const name = t[from]!.text;
          if (name === 'instancePath') prefix = to === from + 1 ? '""' : is(from + 1, K.ColonToken) ? relative(from + 2, to) : undefined;
          else if (name === 'rootData' && to === from + 1) continue;
          else if ((name === 'parentData' || name === 'parentDataProperty') && is(from + 1, K.ColonToken)) continue;
          else throw new Unsupported();
        }
        if (prefix === undefined || !callee) throw new Unsupported();
        // if(!(f(x, …))){ vErrors = vErrors === null ? f.errors : vErrors.concat(f.errors);
        const close = closer[i]!;
        const take = close + 4;
        const expected = `vErrors=vErrors===null?${callee}.errors:vErrors.concat(${callee}.errors);`;
        let takeEnd = take;
        while (takeEnd < t.length && !is(takeEnd, K.SemicolonToken)) takeEnd++;
        if (!(is(close + 1, K.CloseParenToken) && is(close + 2, K.CloseParenToken) && is(close + 3, K.OpenBraceToken)) || flat(take, takeEnd + 1) !== expected) throw new Unsupported();
        kept.push([keptFrom, options[0] - 1]);
        edits.push({ from: options[0] - 1, to: options[1], text: '' });
        keptFrom = options[1];
        if (i < simpleEnd) {
          // …; errors = vErrors.length;  →  return $r(self, callee.errors, prefix);
          if (flat(takeEnd + 1, takeEnd + 7) !== 'errors=vErrors.length;') throw new Unsupported();
          kept.push([keptFrom, take]);
          edits.push({ from: take, to: takeEnd + 7, text: `return ${LEAN_HELPERS.rethrow}(${ren(self)}, ${ren(callee)}, ${prefix});` });
          keptFrom = takeEnd + 7;
          i = takeEnd + 6;
          continue;
        }
        if (prefix !== '""') {
          kept.push([keptFrom, take]);
          edits.push({ from: take, to: takeEnd + 1, text: `vErrors = ${LEAN_HELPERS.nest}(vErrors, ${ren(callee)}.errors, ${prefix});` });
          keptFrom = takeEnd + 1;
        }
        i = takeEnd;
        continue;
      }
    }
    if (tok.kind === K.Identifier && CONTEXT_NAMES.has(tok.text) && !is(i - 1, K.DotToken)) throw new Unsupported();
    // In a simple function every use of the bookkeeping is folded above; one left would now be undeclared.
    if (i < simpleEnd && tok.kind === K.Identifier && !is(i - 1, K.DotToken) && /^(?:errors|vErrors|_errs\d+|_?valid\d+)$/.test(tok.text)) throw new Unsupported(`${tok.text} at ${tok.start}`);
  }
  kept.push([keptFrom, t.length]);
  for (const [from, to] of kept) countConstants(from, to);
  // A schema constant only the rewritten error sites used (its declaration is its one mention left) goes too.
  for (const [from, to] of schemaDecls) if ((constantsUsed.get(t[from + 1]!.text) ?? 0) <= 1) edits.push({ from, to, text: '' });
  edits.sort((a, b) => a.from - b.from);

  // Assemble: untouched tokens keep their text and the whitespace before them.
  let out = '';
  let at = 0;
  const copy = (to: number): void => {
    // Untouched code, names shortened.
    for (let j = keptIndex; j < to; j++) {
      if (!isVariable(j)) continue;
      const short = ren(t[j]!.text);
      if (short !== t[j]!.text) {
        out += code.slice(at, t[j]!.start) + short;
        at = t[j]!.end;
      }
    }
  };
  let keptIndex = 0;
  for (const e of edits) {
    copy(e.from);
    out += code.slice(at, t[e.from]!.start) + e.text;
    at = t[e.to - 1]!.end;
    keptIndex = e.to;
    // A statement removed whole takes its line with it.
    if (e.text === '' && code[at] === '\n' && (t[e.from]!.start === 0 || code[t[e.from]!.start - 1] === '\n')) at++;
  }
  copy(t.length);
  out += code.slice(at);
  return { code: `${out.trimEnd()}\n\n// Error sites: [keyword, params] (params given at the site when they are not constant; a name: the one param, its value given at the site).\nconst ${LEAN_HELPERS.sites} = [\n${table.join(',\n')}\n];\n`, sites: siteCount, entries: table.length };
}

/** `validate12` or `wrapper0.validate` before the call's `(`, as text, or undefined. */
function calleeBefore(t: readonly Token[], open: number): string | undefined {
  const last = t[open - 1];
  if (last?.kind !== K.Identifier) return undefined;
  if (t[open - 2]?.kind === K.DotToken && t[open - 3]?.kind === K.Identifier) return `${t[open - 3]!.text}.${last.text}`;
  return last.text;
}

/** Index of the closing bracket of every opening one. */
function matchBrackets(t: readonly Token[]): (number | undefined)[] {
  const closer: (number | undefined)[] = new Array(t.length);
  const stack: number[] = [];
  const pairs = new Map([
    [K.CloseBraceToken, K.OpenBraceToken],
    [K.CloseParenToken, K.OpenParenToken],
    [K.CloseBracketToken, K.OpenBracketToken],
  ]);
  for (let i = 0; i < t.length; i++) {
    const k = t[i]!.kind;
    if (k === K.OpenBraceToken || k === K.OpenParenToken || k === K.OpenBracketToken) stack.push(i);
    else if (pairs.has(k)) {
      const open = stack.pop();
      if (open === undefined || t[open]!.kind !== pairs.get(k)) throw new Unsupported();
      closer[open] = i;
    }
  }
  if (stack.length) throw new Unsupported();
  return closer;
}
