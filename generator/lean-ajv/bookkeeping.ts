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
import { K, type TokenView } from './tokens.js';

export interface Bookkeeping {
  /** Simple functions: by the index of the `function` token, the index of the body's closing brace. */
  readonly simpleUntil: ReadonlyMap<number, number>;
  /** Closing braces of blocks whose opening brace was dropped (they go too). */
  readonly unwrapped: ReadonlySet<number>;
  /** In a simple function named `self`: the last token of a bookkeeping construct at `i` that was dropped (through `edit`), or undefined. */
  fold(i: number, self: string): number | undefined;
}

export function createBookkeeping(view: TokenView, edit: (from: number, to: number, text: string) => void): Bookkeeping {
  const { n, kinds, closer, txt, startsWith, flat, is, spells } = view;
  /** Closing braces of blocks whose opening brace was dropped. */
  const unwrapped = new Set<number>();
  /** Does the block opening at `open` declare nothing (let, const, function, class) directly in it? */
  const declaresNothing = (open: number): boolean => {
    for (let j = open + 1, end = closer[open]!; j < end; j++) {
      const k = kinds[j];
      if (k === K.ConstKeyword || k === K.LetKeyword || k === K.FunctionKeyword || k === 'class') return false;
      if (closer[j]! >= 0) j = closer[j]!;
    }
    return true;
  };
  const fold = (i: number, self: string): number | undefined => {
    const k = kinds[i];
    if (k !== K.LetKeyword && k !== K.ConstKeyword && k !== K.VarKeyword && k !== K.IfKeyword && k !== K.ElseKeyword && !(k === K.Identifier && txt(i)! === self)) return undefined;
    const drop = (to: number): number => {
      edit(i, to, '');
      return to - 1;
    };
    // let vErrors = null;  let errors = 0;  const _errsN = errors;
    if (spells(i, i + 5, 'letvErrors=null;') || spells(i, i + 5, 'leterrors=0;')) return drop(i + 5);
    if (is(i, K.ConstKeyword) && /^_errs\d+$/.test(txt(i + 1) ?? '') && spells(i + 2, i + 5, '=errors;')) return drop(i + 5);
    // var validN = …;  (always true here)
    if (is(i, K.VarKeyword) && /^_?valid\d+$/.test(txt(i + 1) ?? '')) {
      let end = i;
      while (!is(end, K.SemicolonToken)) end++;
      return drop(end + 1);
    }
    // if(errors === _errsN) / if(_errsN === errors) / if(errors === 0) / if(validN)  →  the block alone
    if (is(i, K.IfKeyword) && is(i + 1, K.OpenParenToken)) {
      const close = closer[i + 1]!;
      const cond = close - i <= 5 ? flat(i + 2, close) : '';
      if (/^(?:errors===(?:_errs\d+|0)|_errs\d+===errors|_?valid\d+)$/.test(cond) && is(close + 1, K.OpenBraceToken)) {
        const end = closer[close + 1]!;
        if (end === close + 2) return drop(close + 3);
        // The block goes too unless it declares a name of its own (it would then clash with its surroundings).
        if (declaresNothing(close + 1)) {
          unwrapped.add(end);
          return drop(close + 2);
        }
        return drop(close + 1);
      }
      // if(!validN){break;}
      if (/^!_?valid\d+$/.test(cond) && spells(close + 1, close + 5, '{break;}')) return drop(close + 5);
    }
    // else { var validN = true; }  (nothing left once the var goes)
    if (is(i, K.ElseKeyword) && is(i + 1, K.OpenBraceToken) && is(i + 2, K.VarKeyword) && closer[i + 1] === i + 7 && spells(i + 4, i + 7, '=true;')) return drop(i + 8);
    // validateN.errors = vErrors; return errors === 0;  →  return true;  (a failure returned already)
    if (spells(i, i + 11, `${self}.errors=vErrors;returnerrors===0;`)) {
      edit(i, i + 11, 'return true;');
      return i + 10;
    }
    return undefined;
  };

  const simpleUntil = new Map<number, number>();
  const isSimple = (from: number, to: number): boolean => {
    for (let i = from; i < to; i++) {
      // (`let vErrors = null; let errors = 0;` open every function.)
      // Only names of the bookkeeping matter here (errors, vErrors, _errsN, validN): sliced only when they may be one.
      const name =
        kinds[i] === K.Identifier && (startsWith(i, 'e') || startsWith(i, 'v') || startsWith(i, '_')) && !is(i - 1, K.DotToken) && !is(i - 1, K.LetKeyword) ? txt(i)! : undefined;
      if (name === 'errors' && is(i + 1, K.PlusPlusToken)) return false;
      if (name === 'errors' && is(i + 1, K.EqualsToken)) {
        if (!spells(i + 2, i + 6, 'vErrors.length;')) return false;
        i += 5;
        continue;
      }
      if (name === 'vErrors' && spells(i, i + 6, 'vErrors=vErrors===null?')) {
        // A callee's errors taken: checked where it is rewritten.
        while (!is(i, K.SemicolonToken)) i++;
        continue;
      }
      if (name === 'vErrors' && is(i + 1, K.DotToken)) return false;
      if (name === 'vErrors' && is(i + 1, K.EqualsToken) && !is(i + 2, K.Identifier, 'vErrors')) return false;
      if (name !== undefined && /^_?valid\d+$/.test(name)) {
        // validN is only ever set to true here: `= _errsN === errors` or `= true`, read by `if(validN)` or `if(!validN){break;}`.
        const set = is(i - 1, K.VarKeyword) && is(i + 1, K.EqualsToken);
        if (set && !(spells(i + 2, i + 4, 'true;') || (/^_errs\d+$/.test(txt(i + 2)!) && spells(i + 3, i + 6, '===errors;')))) return false;
        if (!set && !(is(i - 2, K.IfKeyword) && is(i - 1, K.OpenParenToken) && is(i + 1, K.CloseParenToken)) && !spells(i - 3, i + 6, `if(!${name}){break;}`)) return false;
      }
    }
    return true;
  };
  for (let i = 0; i < n; i++) {
    if (is(i, K.FunctionKeyword) && is(i + 1, K.Identifier) && is(i + 2, K.OpenParenToken) && is(closer[i + 2]! + 1, K.OpenBraceToken)) {
      const body = closer[i + 2]! + 1;
      if (isSimple(body, closer[body]!)) simpleUntil.set(i, closer[body]!);
      i = closer[body]!;
    }
  }
  return { simpleUntil, unwrapped, fold };
}
