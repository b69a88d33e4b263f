/**
 * The error objects of the generated validators (validators.ajv.ts), made in one place. The
 * generator rewrites each of Ajv's inline error literals into a call here with the site's index
 * in a table of `[keyword, params]` (generator/lean-ajv-code.ts): the same objects Ajv makes,
 * minus `message` (worded when read, runtime/validation.ts) and `schemaPath` (never reported).
 *
 * Where Ajv keeps a function's errors on the function (`validateN.errors`), the generated functions
 * leave them here, as the errors of the last failed check: a caller reads a callee's errors right
 * after the callee returned false (validation is synchronous), and only the exported validators
 * (`exported`) carry `.errors`, as Ajv's do. A property on a function object is no fast place to
 * keep them: loaders that keep function names (tsx, esbuild's `keepNames`) redefine `name` on every
 * function, which puts its properties in dictionary mode, and reading or writing `.errors` then
 * costs a hash lookup on every check that fails (and on every one that passes, `errors = null`).
 */
import type { RawValidationError, RawValidator } from './validation.js';

/**
 * One error site: its keyword, and its params when they are the same on every failure, or the
 * name of its one param when only that param's value varies (the site passes the value).
 */
export type ErrorSite = readonly [keyword: string, params?: Readonly<Record<string, unknown>> | string];

type Params = Readonly<Record<string, unknown>>;

/** The errors of the last check that failed, until the next failure replaces them. */
let last: RawValidationError[] | null = null;

export interface ErrorHelpers {
  /** Makes the one error of a site the last failure's and returns false: a failed check. */
  fail(instancePath: string, site: number, params?: unknown): false;
  /** The error of a site, for a composite rule (oneOf, anyOf, …) that collects them. */
  error(instancePath: string, site: number, params?: unknown): RawValidationError;
}

export function createErrorHelpers(sites: readonly ErrorSite[]): ErrorHelpers {
  const keywords = sites.map((s) => s[0]);
  // Constant params are shared by every error of their site: nobody may change them.
  const constant = sites.map((s) => (typeof s[1] === 'object' ? Object.freeze(s[1]) : undefined));
  const names = sites.map((s) => (typeof s[1] === 'string' ? s[1] : undefined));
  const error = (instancePath: string, site: number, value?: unknown): RawValidationError => {
    let params = constant[site];
    if (params === undefined) {
      const name = names[site];
      // Literal shapes for the names Ajv uses most: V8 builds those fastest.
      params =
        name === 'missingProperty' ? { missingProperty: value } : name === 'additionalProperty' ? { additionalProperty: value } : name !== undefined ? { [name]: value } : (value as Params);
    }
    return { instancePath, keyword: keywords[site]!, params };
  };
  return {
    error,
    fail(instancePath, site, params) {
      last = [error(instancePath, site, params)];
      return false;
    },
  };
}

/** Each of the last failure's errors, which locate fields from the callee's data, located from the caller's: `prefix` is the callee's data location. */
function locate(errors: readonly RawValidationError[], prefix: string): void {
  if (prefix === '') return;
  for (let i = 0; i < errors.length; i++) (errors[i] as { instancePath: string }).instancePath = prefix + errors[i]!.instancePath;
}

/**
 * A failed callee's errors, located from the caller's data (see `locate`; the caller's paths are in
 * turn prefixed by its caller), appended to the errors the caller collected so far, as Ajv does.
 */
export function nestErrors(collected: RawValidationError[] | null, prefix: string): RawValidationError[] {
  const errors = last!;
  locate(errors, prefix);
  return collected === null ? errors : collected.concat(errors);
}

/** A failed callee's errors as the caller's own (located from the caller's data, see `locate`): the caller fails with them. */
export function failWith(prefix: string): false {
  locate(last!, prefix);
  return false;
}

/** A function that collected errors (a composite rule) fails with them. */
export function failCollected(collected: RawValidationError[] | null): false {
  last = collected;
  return false;
}

/** The check behind each validator `exported` made. */
const checks = new WeakMap<RawValidator, (data: unknown) => boolean>();

/**
 * A generated function as Ajv's validators are: `errors` holds the errors of its last call, null
 * when it passed. (An object's property, added once to every one of these functions alike.)
 */
export function exported(validate: (data: unknown) => boolean): RawValidator {
  const raw: RawValidator & { errors: readonly RawValidationError[] | null } = Object.assign(
    (data: unknown): boolean => {
      if (validate(data)) {
        raw.errors = null;
        return true;
      }
      raw.errors = last;
      return false;
    },
    { errors: null },
  );
  checks.set(raw, validate);
  return raw;
}

/**
 * The check behind a validator `exported` made (undefined for any other), for a caller that takes
 * the errors of a failure from `lastErrors()` at once: one call and one property write fewer than
 * calling the validator (runtime/validation.ts).
 */
export function leanCheck(raw: RawValidator): ((data: unknown) => boolean) | undefined {
  return checks.get(raw);
}

/** The errors of the last check that failed: read them right after it returned false. */
export function lastErrors(): readonly RawValidationError[] | null {
  return last;
}
