/**
 * The error objects of the generated validators (validators.ajv.ts), made in one place. The
 * generator rewrites each of Ajv's inline error literals into a call here with the site's index
 * in a table of `[keyword, params]` (generator/lean-ajv-code.ts): the same objects Ajv makes,
 * minus `message` (worded when read, runtime/validation.ts) and `schemaPath` (never reported).
 */
import type { RawValidationError } from './validation.js';

/**
 * One error site: its keyword, and its params when they are the same on every failure, or the
 * name of its one param when only that param's value varies (the site passes the value).
 */
export type ErrorSite = readonly [keyword: string, params?: Readonly<Record<string, unknown>> | string];

type Params = Readonly<Record<string, unknown>>;

interface Failing {
  errors?: readonly RawValidationError[] | null;
}

export interface ErrorHelpers {
  /** Sets `validate.errors` to the one error of a site and returns false: a failed check. */
  fail(validate: Failing, instancePath: string, site: number, params?: unknown): false;
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
    fail(validate, instancePath, site, params) {
      validate.errors = [error(instancePath, site, params)];
      return false;
    },
  };
}

/**
 * A called validator's errors, which locate fields from its own data, located from the caller's:
 * each path gets `prefix`, the callee's data location (the caller's paths are in turn prefixed by
 * its caller). Then appended to the errors collected so far, as Ajv does.
 */
export function nestErrors(collected: RawValidationError[] | null, errors: readonly RawValidationError[], prefix: string): RawValidationError[] {
  for (let i = 0; i < errors.length; i++) (errors[i] as { instancePath: string }).instancePath = prefix + errors[i]!.instancePath;
  return collected === null ? (errors as RawValidationError[]) : collected.concat(errors);
}

/** A failed callee's errors as the caller's own (located from the caller's data, see `nestErrors`): the caller fails with them. */
export function failWith(validate: Failing, callee: Failing, prefix: string): false {
  const errors = callee.errors!;
  validate.errors = prefix === '' ? errors : nestErrors(null, errors, prefix);
  return false;
}
