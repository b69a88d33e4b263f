/**
 * Ajv standalone code, made lean: the same checks in the same order, with every error object
 * built by one shared runtime helper (runtime/ajv-errors.ts) from a table of error sites, and
 * instance paths built only when a check fails.
 *
 * Ajv writes each failure as an object literal (instance path, keyword, params, schemaPath,
 * message), a third of its code, keeps it on the function (`validateN.errors`), and passes every
 * shared function an options object with the instance path concatenated, on every call, valid or
 * not. Here:
 * - `validateN.errors = [{…}]; return false;` becomes `return $f(path, site[, params])`, and a
 *   composite rule's `const errN = {…};` becomes `const errN = $e(path, site[, params]);`:
 *   keyword and constant params come from the table `$sites`; the message is worded when read
 *   (runtime/validation.ts). schemaPath, which no issue reports, is dropped.
 * - The helpers keep the errors of the last failure; no function keeps errors but the exported
 *   ones (`$x`), as Ajv's do (runtime/ajv-errors.ts says why).
 * - A function's paths are relative to its own data; a caller prefixes a failed callee's errors
 *   with the callee's location (`$r`, `$n`), so a call passes the data alone.
 *
 * The stages, one file each under lean-ajv/: `tokens` reads the code as tokens (a full parse costs
 * a quarter second on a 200-message spec, more than the build may grow), `token-view` reads and
 * compares them in place; `names` shortens Ajv's names and inlines a data variable read once;
 * `error-sites` turns error literals into helper arguments and the table; `bookkeeping` folds Ajv's error counting where no composite rule needs
 * it; `edits` makes the code. This file walks the tokens once and rewrites each construct Ajv
 * emits, matched whole and bracket-balanced. Anything else in the code makes `leanAjvCode` return
 * undefined and the caller keeps Ajv's code as it is: slower and bigger, never different.
 */
import { COLLECTED_ERRORS, createBookkeeping } from './lean-ajv/bookkeeping.js';
import { createEdits } from './lean-ajv/edits.js';
import { CONTEXT_NAMES, createErrorSites } from './lean-ajv/error-sites.js';
import { createNames } from './lean-ajv/names.js';
import { createTokenView } from './lean-ajv/token-view.js';
import { K, KIND_NAMES, tokenize, Unsupported, type Tokens } from './lean-ajv/tokens.js';

/** Names of the shared helpers in generated code: `$` names, which Ajv never writes. */
export const LEAN_HELPERS = { fail: '$f', error: '$e', nest: '$n', rethrow: '$r', collected: '$v', exported: '$x', sites: '$sites' } as const;

/** The import of the helpers the rewritten code calls, from the runtime module at `module` (a string literal). */
export function leanHelpersImport(module: string): string {
  const h = LEAN_HELPERS;
  return `import { createErrorHelpers, exported as ${h.exported}, failCollected as ${h.collected}, failWith as ${h.rethrow}, nestErrors as ${h.nest} } from ${module};`;
}

/** The parameter list Ajv gives every function when no dynamic scope or `$data` is in use. */
const AJV_PARAMS = '(data,{instancePath="",parentData,parentDataProperty,rootData=data}={})';
/** What follows a function's own name where it returns the errors it collected and failed (see COLLECTED_ERRORS). */
const COLLECTED_FAILED = '.errors = vErrors; return false;';

/** The kinds of token the rewrite's switch looks at (names first: they are the most frequent). */
const STARTS_A_CONSTRUCT = new Uint8Array(KIND_NAMES.length);
for (const kind of [K.Identifier, K.FunctionKeyword, K.CloseBraceToken, K.OpenBraceToken, K.ExportKeyword, K.OpenParenToken, K.ElseKeyword, K.LetKeyword, K.VarKeyword, K.IfKeyword, K.ConstKeyword]) STARTS_A_CONSTRUCT[kind] = 1;

export interface LeanAjvCode {
  /** The rewritten code, without the helpers' import (see `leanHelpersImport`). */
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

function rewrite(code: string, tokens: Tokens): LeanAjvCode {
  const view = createTokenView(code, tokens);
  const { n, kinds, ids, closer, txt, startsWith, is, spells, parts, idOf, nameFlags, pattern, matches } = view;
  const names = createNames(view, tokens.shortNames);
  const { ren, inlinedDeclarations, vSchemaUses } = names;
  const sites = createErrorSites(view, names);
  const edits = createEdits(view, names);
  const { edit, keptFrom } = edits;
  const { simpleUntil, unwrapped, fold } = createBookkeeping(view, edit);

  /** `validate12` or `wrapper0.validate` before the call's `(`, as text, or undefined. */
  const calleeBefore = (open: number): string | undefined => {
    if (kinds[open - 1] !== K.Identifier) return undefined;
    if (kinds[open - 2] === K.DotToken && kinds[open - 3] === K.Identifier) return `${txt(open - 3)!}.${txt(open - 1)!}`;
    return txt(open - 1);
  };

  // `const vSchemaN = schemaM.….enum;` that nothing reads (Ajv's optimizer, off for compile speed, would drop it).
  let functionAt = -1;
  const unusedDeclarationEnd = (i: number): number | undefined => {
    if (kinds[i] !== K.ConstKeyword || !is(i + 2, K.EqualsToken) || !startsWith(i + 1, 'v') || vSchemaUses.get(`${functionAt}:${txt(i + 1) ?? ''}`) !== 1) return undefined;
    let end = i + 3;
    while (end < n && kinds[end] !== K.SemicolonToken) end = closer[end]! >= 0 ? closer[end]! + 1 : end + 1;
    return end + 1;
  };
  let simpleEnd = -1;
  let self = '';

  // By name id (tokens.ts), the names this loop tests, so that a name token is told by an integer compare.
  const errorsId = idOf('errors');
  const ajvParams = pattern(AJV_PARAMS);
  const collected = pattern(COLLECTED_ERRORS);
  const collectedFailed = pattern(COLLECTED_FAILED);
  const instancePathId = idOf('instancePath');
  const isContext = nameFlags((name) => CONTEXT_NAMES.has(name));
  // In a simple function every use of the bookkeeping is folded; one left would be undeclared.
  const isBookkeeping = nameFlags((name) => name === 'errors' || name === 'vErrors' || /^(?:_errs\d+|_?valid\d+)$/.test(name));
  // The names `name()` below looks at, whatever their place.
  const isWatched = isContext.map((context, id) => context | isBookkeeping[id]!);
  let selfId = -1;

  /** A name at `i`: the rewrites that start with one, and the names that must not be left. The last token read. */
  const name = (i: number): number => {
    const id = ids[i]!;
    if (id === selfId) {
      if (i < simpleEnd) {
        const skip = fold(i, self);
        if (skip !== undefined) return skip;
      } else if (matches(i + 1, collected)) {
        // A function that collected errors (a composite rule) returns with them:
        // validateN.errors = vErrors; return errors === 0;  →  return errors === 0 || $v(vErrors);
        edit(i, i + 11, `return errors === 0 || ${LEAN_HELPERS.collected}(vErrors);`);
        return i + 10;
      } else if (matches(i + 1, collectedFailed)) {
        // validateN.errors = vErrors; return false;  →  return $v(vErrors);
        edit(i, i + 9, `return ${LEAN_HELPERS.collected}(vErrors);`);
        return i + 8;
      }
    }
    // validateN.errors = [{…}]; return false;  →  return $f(path, site);
    if (kinds[i + 1] === K.DotToken && kinds[i + 2] === K.Identifier && ids[i + 2] === errorsId) {
      const obj = i + 5;
      const end = closer[obj]!;
      if (id === selfId && is(i + 3, K.EqualsToken) && is(i + 4, K.OpenBracketToken) && is(obj, K.OpenBraceToken) && closer[i + 4] === end + 1 && is(end + 2, K.SemicolonToken) && is(end + 3, K.ReturnKeyword) && is(end + 4, K.FalseKeyword) && is(end + 5, K.SemicolonToken)) {
        if (is(i - 1, K.DotToken)) throw new Unsupported();
        // Ajv's `break;` after the return never runs.
        const to = spells(end + 6, end + 8, 'break;') ? end + 8 : end + 6;
        edit(i, to, `return ${LEAN_HELPERS.fail}(${sites.args(obj)});`);
        return to - 1;
      }
      // Errors are kept by the helpers, not on the functions: any other use of them is not understood.
      throw new Unsupported();
    }
    // No context name may be left (no function has them now), nor in a simple function any bookkeeping (it would be undeclared).
    if ((isContext[id] === 1 || (i < simpleEnd && isBookkeeping[id] === 1)) && !is(i - 1, K.DotToken)) throw new Unsupported();
    return i;
  };

  /** A call's `(` at `i`: f(x, {instancePath:…, parentData…, rootData}) → f(x), and its errors prefixed where they are taken. The last token read. */
  const call = (i: number): number => {
    if (!(closer[i]! >= 0 && is(i - 1, K.Identifier) && is(closer[i]! - 1, K.CloseBraceToken))) return i;
    const args = parts(i);
    const options = args[1];
    if (!(args.length === 2 && options && is(options[0], K.OpenBraceToken) && is(options[0] + 1, K.Identifier, 'instancePath') && closer[options[0]] === options[1] - 1)) return i;
    const callee = calleeBefore(i);
    let prefix: string | undefined;
    for (const [from, to] of parts(options[0])) {
      const name = txt(from)!;
      if (name === 'instancePath') prefix = to === from + 1 ? '""' : is(from + 1, K.ColonToken) ? sites.relative(from + 2, to) : undefined;
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
    while (takeEnd < n && !is(takeEnd, K.SemicolonToken)) takeEnd++;
    if (!(is(close + 1, K.CloseParenToken) && is(close + 2, K.CloseParenToken) && is(close + 3, K.OpenBraceToken)) || !spells(take, takeEnd + 1, expected)) throw new Unsupported();
    // if(!(f(x))) → if(!f(x)): Ajv's parentheses around a call go with the options.
    const bare = kinds[i - 2] === K.OpenParenToken && kinds[i - 3] === K.ExclamationToken && kinds[i - 1] === K.Identifier && closer[i - 2] === close + 1 && keptFrom() <= i - 2;
    if (bare) edit(i - 2, i - 1, '');
    edit(options[0] - 1, options[1], '');
    if (bare) edit(close + 1, close + 2, '');
    if (i < simpleEnd) {
      // …; errors = vErrors.length;  →  return $r(prefix);  (the callee's errors are the last ones made), or return false; when it has no prefix
      if (!spells(takeEnd + 1, takeEnd + 7, 'errors=vErrors.length;')) throw new Unsupported();
      edit(take, takeEnd + 7, prefix === '""' ? 'return false;' : `return ${LEAN_HELPERS.rethrow}(${prefix});`);
      return takeEnd + 6;
    }
    edit(take, takeEnd + 1, `vErrors = ${LEAN_HELPERS.nest}(vErrors, ${prefix});`);
    return takeEnd;
  };

  // One switch on the kind per token: a token is tested only for the constructs that start with its
  // kind, and half the tokens (strings, `,`, `;`, `)`…) start none and are passed at once.
  for (let i = 0; i < n; i++) {
    if (STARTS_A_CONSTRUCT[kinds[i]!] === 0) continue;
    switch (kinds[i]) {
      case K.Identifier: {
        // Most names are none of these: told without a call.
        const id = ids[i]!;
        if (id === selfId || isWatched[id] === 1 || (kinds[i + 1] === K.DotToken && ids[i + 2] === errorsId)) i = name(i);
        break;
      }
      case K.FunctionKeyword: {
        // function validateN(data, {instancePath="", …}={}) → function validateN(data)
        if (!is(i + 1, K.Identifier) || !is(i + 2, K.OpenParenToken)) break;
        const close = closer[i + 2]!;
        if (close + 1 !== i + 2 + ajvParams.kinds.length || !matches(i + 2, ajvParams)) throw new Unsupported();
        simpleEnd = simpleUntil.get(i) ?? -1;
        functionAt = i;
        self = txt(i + 1)!;
        selfId = ids[i + 1]!;
        edit(i + 2, close + 1, `(${ren('data')})`);
        i = close;
        break;
      }
      case K.CloseBraceToken:
        if (unwrapped.has(i)) edit(i, i + 1, '');
        break;
      case K.OpenBraceToken:
        // An empty block where a statement goes (Ajv's optimizer would drop it too).
        if (kinds[i + 1] === K.CloseBraceToken && (kinds[i - 1] === K.SemicolonToken || kinds[i - 1] === K.OpenBraceToken || kinds[i - 1] === K.CloseBraceToken)) {
          edit(i, i + 2, '');
          i++;
        }
        break;
      case K.ExportKeyword:
        // export const rawX = validateN;  →  export const rawX = $x(vN);  (the one place a function keeps its errors, see runtime/ajv-errors.ts)
        if (is(i + 1, K.ConstKeyword) && is(i + 2, K.Identifier) && is(i + 3, K.EqualsToken) && is(i + 4, K.Identifier) && is(i + 5, K.SemicolonToken)) {
          edit(i + 4, i + 5, `${LEAN_HELPERS.exported}(${ren(txt(i + 4)!)})`);
          i += 5;
        }
        break;
      case K.OpenParenToken:
        // A call whose last argument is an object literal (Ajv's options).
        if (kinds[i - 1] === K.Identifier && closer[i]! >= 0 && kinds[closer[i]! - 1] === K.CloseBraceToken) i = call(i);
        break;
      case K.ElseKeyword:
        // An empty else.
        if (kinds[i + 1] === K.OpenBraceToken && kinds[i + 2] === K.CloseBraceToken) {
          edit(i, i + 3, '');
          i += 2;
          break;
        }
        // In a simple function, Ajv's bookkeeping folded (bookkeeping.ts): on after what it dropped.
        if (i < simpleEnd) i = fold(i, self) ?? i;
        break;
      case K.LetKeyword:
        if (inlinedDeclarations.has(i + 1)) {
          const end = inlinedDeclarations.get(i + 1)! + 1;
          edit(i, end, '');
          i = end - 1;
          break;
        }
        if (i < simpleEnd) i = fold(i, self) ?? i;
        break;
      case K.VarKeyword:
      case K.IfKeyword:
        if (i < simpleEnd) i = fold(i, self) ?? i;
        break;
      case K.ConstKeyword: {
        const end = unusedDeclarationEnd(i);
        if (end !== undefined) {
          edit(i, end, '');
          i = end - 1;
          break;
        }
        const folded = i < simpleEnd ? (fold(i, self) ?? i) : i;
        if (folded !== i) {
          i = folded;
          break;
        }
        // const errN = {instancePath…};  →  const errN = $e(path, site);
        if (is(i + 1, K.Identifier) && is(i + 2, K.EqualsToken) && is(i + 3, K.OpenBraceToken) && kinds[i + 4] === K.Identifier && ids[i + 4] === instancePathId) {
          const close = closer[i + 3]!;
          edit(i + 3, close + 1, `${LEAN_HELPERS.error}(${sites.args(i + 3)})`);
          i = close;
        }
        break;
      }
    }
  }
  sites.countKept(edits.isKept);
  // A schema constant only the rewritten error sites used (its declaration is its one mention left) goes too.
  for (const [from, to] of sites.unusedSchemaConstants()) edits.remove(from, to);
  const table = sites.table;
  return {
    code: `${edits.assemble().trimEnd()}\n\n// Error sites: [keyword, params] (params given at the site when they are not constant; a name: the one param, its value given at the site).\nconst ${LEAN_HELPERS.sites} = [\n${table.join(',\n')}\n];\nconst { fail: ${LEAN_HELPERS.fail}, error: ${LEAN_HELPERS.error} } = createErrorHelpers(${LEAN_HELPERS.sites});\n`,
    sites: sites.count(),
    entries: table.length,
  };
}
