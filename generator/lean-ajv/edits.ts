/**
 * The edits of the lean rewrite (generator/lean-ajv-code.ts) and the code they make: token ranges
 * replaced by new text; every token in between is kept with the whitespace before it, its name
 * shortened or inlined (names.ts).
 */
import type { Names } from './names.js';
import type { TokenView } from './token-view.js';

export interface Edits {
  /** Replaces tokens [from, to) by `text`; edits come in token order, each after the previous one. */
  edit(from: number, to: number, text: string): void;
  /** The first token after the last edit. */
  keptFrom(): number;
  /** Is token `i` one no in-order edit touched? */
  isKept(i: number): boolean;
  /** Removes tokens [from, to), a range no other edit touches; removals come in token order too. */
  remove(from: number, to: number): void;
  /** The code with every edit made. */
  assemble(): string;
}

/**
 * The edits in typed arrays (a rewrite makes 20 000 of them; objects would all live until the
 * code is made, and be copied by every young-generation collection until then), and the code
 * made as a list of pieces joined once.
 */
export function createEdits({ code, n, starts, ends }: TokenView, { changed, changing }: Names): Edits {
  let froms = new Int32Array(1024);
  let tos = new Int32Array(1024);
  const texts: string[] = [];
  const removed: [number, number][] = [];
  let keptFrom = 0;
  return {
    edit(from, to, text) {
      const k = texts.length;
      if (k === froms.length) {
        const moreFroms = new Int32Array(k * 2);
        moreFroms.set(froms);
        froms = moreFroms;
        const moreTos = new Int32Array(k * 2);
        moreTos.set(tos);
        tos = moreTos;
      }
      froms[k] = from;
      tos[k] = to;
      texts.push(text);
      keptFrom = to;
    },
    keptFrom: () => keptFrom,
    isKept(i) {
      // The last edit from before `i` (edits are in token order), found by halves.
      let lo = 0;
      let hi = texts.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (froms[mid]! <= i) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 || tos[lo - 1]! <= i;
    },
    remove(from, to) {
      removed.push([from, to]);
    },
    assemble() {
      // Untouched tokens keep their text and the whitespace before them. The pieces are joined
      // a few hundred at a time: 100 000 small strings alive until the end would be copied by
      // every young-generation collection on the way.
      const chunks: string[] = [];
      const out: string[] = [];
      const piece = (text: string): void => {
        if (out.push(text) === 512) {
          chunks.push(out.join(''));
          out.length = 0;
        }
      };
      let at = 0;
      let keptIndex = 0;
      // The next name that may change (names.ts `changing`): only those are looked at.
      let c = 0;
      const copy = (to: number): void => {
        // Untouched code, names shortened.
        while (c < changing.length && changing[c]! < keptIndex) c++;
        for (; c < changing.length && changing[c]! < to; c++) {
          const j = changing[c]!;
          const short = changed(j);
          if (short !== undefined) {
            piece(code.slice(at, starts[j]!));
            piece(short);
            at = ends[j]!;
          }
        }
      };
      const apply = (from: number, to: number, text: string): void => {
        copy(from);
        if (starts[from]! > at) piece(code.slice(at, starts[from]!));
        if (text !== '') piece(text);
        at = ends[to - 1]!;
        keptIndex = to;
        // A statement removed whole takes its line with it.
        if (text === '' && code.charCodeAt(at) === 10 && (starts[from]! === 0 || code.charCodeAt(starts[from]! - 1) === 10)) at++;
      };
      // The edits and the removals, both in token order, merged.
      let r = 0;
      for (let k = 0; k < texts.length; k++) {
        for (; r < removed.length && removed[r]![0] < froms[k]!; r++) apply(removed[r]![0], removed[r]![1], '');
        apply(froms[k]!, tos[k]!, texts[k]!);
      }
      for (; r < removed.length; r++) apply(removed[r]![0], removed[r]![1], '');
      copy(n);
      piece(code.slice(at));
      chunks.push(out.join(''));
      return chunks.join('');
    },
  };
}
