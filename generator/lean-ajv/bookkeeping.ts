/**
 * Ajv's bookkeeping of errors, folded where it does nothing (generator/lean-ajv-code.ts).
 *
 * A function is simple when no composite rule (oneOf, anyOf, not, if, contains) collects errors
 * in it: its only change to `errors` is taking a failed callee's errors. Ajv runs no check after
 * a failure outside a composite rule (allErrors is off), so a simple function may return the
 * callee's errors at once, `errors` then stays 0, and Ajv's bookkeeping of it folds away:
 * `const _errsN = errors;` and `var validN = …;` go, `if(errors === _errsN)` and `if(validN)`
 * keep only their block.
 */
import type { TokenView } from './token-view.js';
import { K } from './tokens.js';

/** What follows a function's own name where it returns the errors it collected: `validateN.errors = vErrors; return errors === 0;`. */
export const COLLECTED_ERRORS = '.errors = vErrors; return errors === 0;';

export interface Bookkeeping {
  /** Simple functions: by the index of the `function` token, the index of the body's closing brace. */
  readonly simpleUntil: ReadonlyMap<number, number>;
  /** Closing braces of blocks whose opening brace was dropped (they go too). */
  readonly unwrapped: ReadonlySet<number>;
  /** In a simple function named `self`: the last token of a bookkeeping construct at `i` that was dropped (through `edit`), or undefined. */
  fold(i: number, self: string): number | undefined;
}

export function createBookkeeping(view: TokenView, edit: (from: number, to: number, text: string) => void): Bookkeeping {
  const { kinds, ids, words, wordAt, closer, txt, is, idOf, nameFlags, pattern, matches } = view;
  // The bookkeeping's statements, as tokens (compared by kind and name id, not character by character).
  const letVErrorsNull = pattern('let vErrors = null;');
  const letErrorsZero = pattern('let errors = 0;');
  const isErrorsEnd = pattern('= errors;');
  const breakBlock = pattern('{ break; }');
  const isTrueEnd = pattern('= true;');
  const trueEnd = pattern('true;');
  const collected = pattern(COLLECTED_ERRORS);
  const errorsCounted = pattern('vErrors.length;');
  const errorsTaken = pattern('vErrors = vErrors === null ?');
  const equalsErrorsEnd = pattern('=== errors;');

  // The bookkeeping's names, by name id (tokens.ts): a test per distinct name, not per token.
  const errorsId = idOf('errors');
  const vErrorsId = idOf('vErrors');
  const isErrs = nameFlags((name) => /^_errs\d+$/.test(name));
  const isValid = nameFlags((name) => /^_?valid\d+$/.test(name));
  /** Is token `i` a name of the kind `flags` marks? */
  const named = (i: number, flags: Uint8Array): boolean => kinds[i] === K.Identifier && flags[ids[i]!] === 1;
  /** Is token `i` the name `id`? */
  const isName = (i: number, id: number): boolean => kinds[i] === K.Identifier && ids[i] === id;
  /** Closing braces of blocks whose opening brace was dropped. */
  const unwrapped = new Set<number>();
  /** Does the block opening at `open` declare nothing (let, const, function, class) directly in it? */
  const declaresNothing = (open: number): boolean => {
    for (let j = open + 1, end = closer[open]!; j < end; j++) {
      const k = kinds[j];
      if (k === K.ConstKeyword || k === K.LetKeyword || k === K.FunctionKeyword || k === K.ClassKeyword) return false;
      if (closer[j]! >= 0) j = closer[j]!;
    }
    return true;
  };
  const drop = (i: number, to: number): number => {
    edit(i, to, '');
    return to - 1;
  };
  // By kind first: most tokens here start no bookkeeping construct and are told so at once.
  const fold = (i: number, self: string): number | undefined => {
    switch (kinds[i]) {
      case K.LetKeyword:
        // let vErrors = null;  let errors = 0;
        if (kinds[i + 1] === K.Identifier && (ids[i + 1] === vErrorsId || ids[i + 1] === errorsId) && (matches(i, letVErrorsNull) || matches(i, letErrorsZero))) return drop(i, i + 5);
        return undefined;
      case K.ConstKeyword:
        // const _errsN = errors;
        if (named(i + 1, isErrs) && matches(i + 2, isErrorsEnd)) return drop(i, i + 5);
        return undefined;
      case K.VarKeyword:
        // var validN = …;  (always true here)
        if (named(i + 1, isValid)) {
          let end = i;
          while (!is(end, K.SemicolonToken)) end++;
          return drop(i, end + 1);
        }
        return undefined;
      case K.IfKeyword: {
        // if(errors === _errsN) / if(_errsN === errors) / if(errors === 0) / if(validN)  →  the block alone
        if (!is(i + 1, K.OpenParenToken)) return undefined;
        const close = closer[i + 1]!;
        const length = close - i - 2;
        // The condition, token by token (the lexer reads `errors===_errs1` as three tokens, no other way).
        const bookkeeping =
          (length === 1 && named(i + 2, isValid)) ||
          (length === 3 &&
            is(i + 3, K.EqualsEqualsEqualsToken) &&
            ((isName(i + 2, errorsId) && (named(i + 4, isErrs) || is(i + 4, K.NumericLiteral, '0'))) || (named(i + 2, isErrs) && isName(i + 4, errorsId))));
        if (bookkeeping && is(close + 1, K.OpenBraceToken)) {
          const end = closer[close + 1]!;
          if (end === close + 2) return drop(i, close + 3);
          // The block goes too unless it declares a name of its own (it would then clash with its surroundings).
          if (declaresNothing(close + 1)) {
            unwrapped.add(end);
            return drop(i, close + 2);
          }
          return drop(i, close + 1);
        }
        // if(!validN){break;}
        if (length === 2 && is(i + 2, K.ExclamationToken) && named(i + 3, isValid) && matches(close + 1, breakBlock)) return drop(i, close + 5);
        return undefined;
      }
      case K.ElseKeyword:
        // else { var validN = true; }  (nothing left once the var goes)
        if (is(i + 1, K.OpenBraceToken) && is(i + 2, K.VarKeyword) && closer[i + 1] === i + 7 && matches(i + 4, isTrueEnd)) return drop(i, i + 8);
        return undefined;
      case K.Identifier:
        // validateN.errors = vErrors; return errors === 0;  →  return true;  (a failure returned already)
        if (txt(i) === self && matches(i + 1, collected)) {
          edit(i, i + 11, 'return true;');
          return i + 10;
        }
        return undefined;
      default:
        return undefined;
    }
  };

  const simpleUntil = new Map<number, number>();
  const isSimple = (from: number, to: number): boolean => {
    // Only names of the bookkeeping matter here (errors, vErrors, _errsN, validN): names and
    // keywords are walked (tokens.ts `words`), `i` the last token read so far.
    for (let w = wordAt(from), i = from - 1; w < words.length; w++) {
      if (words[w]! <= i) continue;
      i = words[w]!;
      if (i >= to) break;
      // (`let vErrors = null; let errors = 0;` open every function.)
      if (kinds[i] !== K.Identifier) continue;
      const id = ids[i]!;
      if ((id !== errorsId && id !== vErrorsId && isValid[id] === 0) || is(i - 1, K.DotToken) || is(i - 1, K.LetKeyword)) continue;
      if (id === errorsId && is(i + 1, K.PlusPlusToken)) return false;
      if (id === errorsId && is(i + 1, K.EqualsToken)) {
        if (!matches(i + 2, errorsCounted)) return false;
        i += 5;
        continue;
      }
      if (id === vErrorsId && matches(i, errorsTaken)) {
        // A callee's errors taken: checked where it is rewritten.
        while (!is(i, K.SemicolonToken)) i++;
        continue;
      }
      if (id === vErrorsId && is(i + 1, K.DotToken)) return false;
      if (id === vErrorsId && is(i + 1, K.EqualsToken) && !isName(i + 2, vErrorsId)) return false;
      if (isValid[id] === 1) {
        // validN is only ever set to true here: `= _errsN === errors` or `= true`, read by `if(validN)` or `if(!validN){break;}`.
        const set = is(i - 1, K.VarKeyword) && is(i + 1, K.EqualsToken);
        if (set && !(matches(i + 2, trueEnd) || (named(i + 2, isErrs) && matches(i + 3, equalsErrorsEnd)))) return false;
        if (!set && !(is(i - 2, K.IfKeyword) && is(i - 1, K.OpenParenToken) && is(i + 1, K.CloseParenToken)) && !(is(i - 3, K.IfKeyword) && is(i - 2, K.OpenParenToken) && is(i - 1, K.ExclamationToken) && is(i + 1, K.CloseParenToken) && matches(i + 2, breakBlock))) return false;
      }
    }
    return true;
  };
  for (let w = 0; w < words.length; w++) {
    const i = words[w]!;
    if (kinds[i] === K.FunctionKeyword && is(i + 1, K.Identifier) && is(i + 2, K.OpenParenToken) && is(closer[i + 2]! + 1, K.OpenBraceToken)) {
      const body = closer[i + 2]! + 1;
      if (isSimple(body, closer[body]!)) simpleUntil.set(i, closer[body]!);
      // On after the body: a function inside it is part of it.
      w = wordAt(closer[body]!) - 1;
    }
  }
  return { simpleUntil, unwrapped, fold };
}
