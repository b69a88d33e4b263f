/**
 * The edits of the lean rewrite (generator/lean-ajv-code.ts) and the code they make: token ranges
 * replaced by new text; every token in between is kept with the whitespace before it, its name
 * shortened or inlined (names.ts).
 */
import type { Names } from './names.js';
import type { TokenView } from './tokens.js';

export interface Edits {
  /** Replaces tokens [from, to) by `text`; edits come in token order, each after the previous one. */
  edit(from: number, to: number, text: string): void;
  /** The first token after the last edit. */
  keptFrom(): number;
  /** The token ranges no edit touched (once every in-order edit is made). */
  kept(): readonly [number, number][];
  /** Removes tokens [from, to), a range no other edit touches, in any order. */
  remove(from: number, to: number): void;
  /** The code with every edit made. */
  assemble(): string;
}

export function createEdits({ code, n, starts, ends, ids }: TokenView, { changed, mayChange }: Names): Edits {
  const edits: { from: number; to: number; text: string }[] = [];
  const kept: [number, number][] = [];
  let keptFrom = 0;
  return {
    edit(from, to, text) {
      kept.push([keptFrom, from]);
      edits.push({ from, to, text });
      keptFrom = to;
    },
    keptFrom: () => keptFrom,
    kept: () => [...kept, [keptFrom, n]],
    remove(from, to) {
      edits.push({ from, to, text: '' });
    },
    assemble() {
      edits.sort((a, b) => a.from - b.from);
      // Untouched tokens keep their text and the whitespace before them.
      let out = '';
      let at = 0;
      let keptIndex = 0;
      const copy = (to: number): void => {
        // Untouched code, names shortened.
        for (let j = keptIndex; j < to; j++) {
          // Most tokens are no name that may change: told by their id, without a call.
          const id = ids[j]!;
          if (id < 0 || mayChange[id] === 0) continue;
          const short = changed(j);
          if (short !== undefined) {
            out += code.slice(at, starts[j]!) + short;
            at = ends[j]!;
          }
        }
      };
      for (const e of edits) {
        copy(e.from);
        out += code.slice(at, starts[e.from]!) + e.text;
        at = ends[e.to - 1]!;
        keptIndex = e.to;
        // A statement removed whole takes its line with it.
        if (e.text === '' && code[at] === '\n' && (starts[e.from]! === 0 || code[starts[e.from]! - 1] === '\n')) at++;
      }
      copy(n);
      return out + code.slice(at);
    },
  };
}
