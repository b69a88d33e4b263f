/**
 * The table of error sites of the lean code (generator/lean-ajv-code.ts): each of Ajv's error
 * literals (`{instancePath, schemaPath, keyword, params, message}`) becomes the arguments of one
 * helper call — the instance path relative to the function's data, the index of its
 * `[keyword, params]` entry in the table, and the params' value when it varies — and the schema
 * constants only those literals read go with them.
 */
import type { Names } from './names.js';
import type { TokenView } from './token-view.js';
import { K, Unsupported } from './tokens.js';

/** Ajv's context names (its functions' options): none may be left once every construct using them is rewritten. */
export const CONTEXT_NAMES: ReadonlySet<string> = new Set(['instancePath', 'parentData', 'parentDataProperty', 'rootData', 'dynamicAnchors', 'evaluated']);

/** A character of `\w`: a letter, a digit or `_` (NaN, past either end, is none). */
const isWordChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

export interface ErrorSites {
  /** `{instancePath…,keyword:"k",params:{…},schemaPath…,message…}` opening at `open`, as the helper's arguments: `path,site[,value]`. */
  args(open: number): string;
  /** An instance path expression, tokens [from, to), made relative: `instancePath` is `""` and `instancePath+x` is x. */
  relative(from: number, to: number): string;
  /** Counts the schema constants read by the tokens `isKept` says stay: call it once every edit is made. */
  countKept(isKept: (i: number) => boolean): void;
  /** Declarations of schema constants nothing reads but their declaration (once `countKept` saw the kept code), as token ranges. */
  unusedSchemaConstants(): [number, number][];
  /** The table's entries, as code: `[keyword,params]`, `[keyword,"paramName"]` or `[keyword]`. */
  readonly table: readonly string[];
  /** How many sites were made (each table entry serves one or more). */
  count(): number;
}

export function createErrorSites(view: TokenView, { nameAt, renamed, inlinedIn }: Names): ErrorSites {
  const { code, n, kinds, starts, ends, ids, names, words, closer, txt, text, is, parts, nameFlags } = view;
  // Module-level constants (schemaN, patternN, wrapperN): params that refer only to them are constant.
  const moduleConsts = new Set<string>();
  const schemaDecls: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const k = kinds[i];
    // Top-level tokens only: a bracketed group (a function body, say) is skipped whole.
    if (closer[i]! >= 0) i = closer[i]!;
    else if (k === K.ConstKeyword && is(i + 1, K.Identifier)) {
      moduleConsts.add(txt(i + 1)!);
      if (/^schema\d+$/.test(txt(i + 1)!)) {
        let end = i + 2;
        while (end < n && !is(end, K.SemicolonToken)) end = closer[end]! >= 0 ? closer[end]! + 1 : end + 1;
        schemaDecls.push([i, end + 1]);
      }
    }
  }

  const isContext = nameFlags((name) => CONTEXT_NAMES.has(name));
  /** Is token `i` one of Ajv's context names? */
  const isContextName = (i: number): boolean => kinds[i] === K.Identifier && isContext[ids[i]!] === 1;

  const relative = (from: number, to: number): string => {
    if (to - from === 1 && is(from, K.Identifier, 'instancePath')) return '""';
    if (is(from, K.Identifier, 'instancePath') && is(from + 1, K.PlusToken) && to - from > 2) {
      for (let i = from + 2; i < to; i++) if (isContextName(i)) throw new Unsupported();
      return renamed(from + 2, to);
    }
    throw new Unsupported();
  };

  const sites = new Map<string, number>();
  const table: string[] = [];
  let siteCount = 0;
  const constantsUsed = new Map<string, number>();
  // Only schemaN constants are ever dropped, so only their uses are counted: by name id, which names are such.
  const isSchemaConstant = nameFlags((name) => name.startsWith('schema') && moduleConsts.has(name));
  const countConstant = (name: string): void => {
    constantsUsed.set(name, (constantsUsed.get(name) ?? 0) + 1);
  };
  /** Adds to `counted` the schema constant token `i` reads, if it reads one. */
  const constantAt = (i: number, counted: string[]): void => {
    const id = ids[i]!;
    if (id >= 0 && isSchemaConstant[id] === 1 && kinds[i] === K.Identifier && !is(i - 1, K.DotToken)) counted.push(names[id]!);
  };
  // Schema constants are read in a few hundred places: those are found among the names
  // (tokens.ts `words`), and only they are asked whether they are kept.
  const countKept = (isKept: (i: number) => boolean): void => {
    for (let w = 0; w < words.length; w++) {
      const i = words[w]!;
      const id = ids[i]!;
      if (isSchemaConstant[id] === 1 && kinds[i] === K.Identifier && !is(i - 1, K.DotToken) && isKept(i)) countConstant(names[id]!);
    }
  };

  /**
   * Constant params as text, with `schemaN.properties.kind.enum` (Ajv's enum params) replaced by
   * the JSON it names: then the schema constant, a copy of the whole schema, is no longer needed.
   */
  // Each parsed when a param first names it (a few are; the schemas' JSON is a tenth of the code).
  const schemaDeclOf = new Map(schemaDecls.map(([from, to]) => [txt(from + 1)!, [from, to] as const]));
  const schemaValues = new Map<string, { value: unknown } | undefined>();
  const schemaValue = (name: string): { value: unknown } | undefined => {
    if (!schemaValues.has(name)) {
      const decl = schemaDeclOf.get(name);
      let parsed: { value: unknown } | undefined;
      try {
        if (decl) parsed = { value: JSON.parse(text(decl[0] + 3, decl[1] - 1)) };
      } catch {
        // Not JSON: the params keep referring to the constant.
      }
      schemaValues.set(name, parsed);
    }
    return schemaValues.get(name);
  };
  const constantParams = (from: number, to: number, counted: string[]): string => {
    let out = '';
    for (let i = from; i < to; i++) {
      const known = is(i, K.Identifier) && !is(i - 1, K.DotToken) ? schemaValue(txt(i)!) : undefined;
      if (known !== undefined) {
        let value = known.value;
        let end = i + 1;
        for (;;) {
          const key = is(end, K.DotToken) && /^[A-Za-z_$][\w$]*$/.test(txt(end + 1) ?? '') ? txt(end + 1)! : is(end, K.OpenBracketToken) && is(end + 1, K.StringLiteral) && is(end + 2, K.CloseBracketToken) ? (JSON.parse(txt(end + 1)!) as string) : undefined;
          if (key === undefined || typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) break;
          value = (value as Record<string, unknown>)[key];
          end += is(end, K.DotToken) ? 2 : 3;
        }
        if (end < to && (is(end, K.DotToken) || is(end, K.OpenBracketToken))) {
          constantAt(i, counted);
          out += txt(i)!;
          continue;
        }
        out += JSON.stringify(value);
        i = end - 1;
        continue;
      }
      constantAt(i, counted);
      const t = txt(i)!;
      out += (isWordChar(out.charCodeAt(out.length - 1)) && isWordChar(t.charCodeAt(0)) ? ' ' : '') + t;
    }
    return out;
  };

  const freshArguments = (open: number, counted: string[]): string => {
    let path: string | undefined;
    let keyword: string | undefined;
    let params: [number, number] | undefined;
    for (const [from, to] of parts(open)) {
      if (kinds[from] !== K.Identifier) throw new Unsupported();
      const name = txt(from)!;
      if (to === from + 1 && name === 'instancePath') path = '""';
      else if (!is(from + 1, K.ColonToken)) throw new Unsupported();
      else if (name === 'instancePath') path = relative(from + 2, to);
      else if (name === 'keyword' && to === from + 3 && is(from + 2, K.StringLiteral)) keyword = txt(from + 2)!;
      else if (name === 'params' && is(from + 2, K.OpenBraceToken) && closer[from + 2] === to - 1) params = [from + 2, to];
      else if (name === 'schemaPath' || name === 'message') {
        for (let i = from + 2; i < to; i++) if (isContextName(i)) throw new Unsupported();
      } else throw new Unsupported();
    }
    if (path === undefined || keyword === undefined || params === undefined) throw new Unsupported();
    // Params that name only constants go into the table; others (a missing property's name, say) stay at the site.
    let constant = true;
    for (let i = params[0]; i < params[1]; i++) {
      if (is(i, K.Identifier) && !is(i + 1, K.ColonToken) && !is(i - 1, K.DotToken) && !moduleConsts.has(txt(i)!)) constant = false;
      if (isContextName(i)) throw new Unsupported();
    }
    // One param whose value varies (`{missingProperty: missing0}`): the table names it, the site gives the value.
    const single = !constant && params[1] - params[0] === 5 && is(params[0] + 1, K.Identifier) && is(params[0] + 2, K.ColonToken) && is(params[0] + 3, K.Identifier);
    const entry = constant ? `[${keyword},${constantParams(params[0], params[1], counted)}]` : single ? `[${keyword},${JSON.stringify(txt(params[0] + 1)!)}]` : `[${keyword}]`;
    let site = sites.get(entry);
    if (site === undefined) {
      site = table.length;
      sites.set(entry, site);
      table.push(entry);
    }
    siteCount++;
    return `${path},${site}${constant ? '' : `,${single ? nameAt(params[0] + 3) : renamed(params[0], params[1])}`}`;
  };
  /**
   * Arguments by the literal's code: Ajv writes the same literal again and again (the checks of
   * shared schemas are inlined into every message's function: 3 600 sites, 700 distinct ones).
   * Not for a literal reading an inlined variable, which depends on its place.
   */
  const made = new Map<string, { args: string; counted: string[] }>();
  const errorArguments = (open: number): string => {
    const close = closer[open]!;
    const key = inlinedIn(open, close) ? undefined : code.slice(starts[open]!, ends[close]!);
    const known = key === undefined ? undefined : made.get(key);
    if (known !== undefined) {
      siteCount++;
      for (const name of known.counted) countConstant(name);
      return known.args;
    }
    const counted: string[] = [];
    const args = freshArguments(open, counted);
    for (const name of counted) countConstant(name);
    if (key !== undefined) made.set(key, { args, counted });
    return args;
  };
  return {
    args: errorArguments,
    relative,
    countKept,
    unusedSchemaConstants: () => schemaDecls.filter(([from]) => (constantsUsed.get(txt(from + 1)!) ?? 0) <= 1),
    table,
    count: () => siteCount,
  };
}
